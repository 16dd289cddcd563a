//! Every absolute URL the API gives (list `links` and `Link` headers, dataset downloads, the
//! Data Package, the DCAT catalog, `links.self` of the compatibility files) starts with the
//! public URL: `--public-url` whatever a request says, else what a trusted proxy forwards, else
//! the bound address; never a `Host` or a forwarded header from just anyone, and never another
//! client's through the response cache. In process on both backends, then through the real
//! binary and its options.

use crate::common;
use crate::process;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::header;
use actix_web::test as web_test;
use betadata::api::app;
use betadata::api::http::public_url::{BaseUrl, PublicUrl, parse_proxy};
use common::{Reply, both_backends};
use serde_json::Value;

/// The public URL of these tests, with a path prefix.
const PUBLIC: &str = "https://data.example.gouv.fr/betadata";

/// What a client may send to make the API name another host.
const FORGED: [(&str, &str); 4] = [
    ("host", "evil.example"),
    ("x-forwarded-host", "evil.example"),
    ("x-forwarded-proto", "http"),
    ("forwarded", "for=192.0.2.1;proto=http;host=evil.example"),
];

/// A proxy's address, and one of nobody's.
const PROXY: &str = "10.0.0.2:40000";
const STRANGER: &str = "192.0.2.1:40000";

/// The operations whose answers hold absolute URLs.
const WITH_URLS: [&str; 6] = [
    "/api/v1/startups?page_size=2",
    "/api/v1/datasets",
    "/api/v1/datasets/startups",
    "/api/v1/datapackage.json",
    "/api/v1/catalog",
    "/compat/v2.7/startups.json",
];

fn configured() -> PublicUrl {
    PublicUrl::Configured(BaseUrl::parse(&format!("{PUBLIC}/")).expect("a URL"))
}

/// Bound to `localhost:8080`, trusting the proxies of `10.0.0.0/8`.
fn behind_proxies() -> PublicUrl {
    PublicUrl::new(
        None,
        "0.0.0.0:8080".parse().expect("an address"),
        vec![parse_proxy("10.0.0.0/8").expect("a range")],
    )
}

/// GETs `uri` from the TCP peer `peer` with `headers`.
async fn fetch<S, B>(app: &S, uri: &str, peer: &str, headers: &[(&str, &str)]) -> Reply
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let mut request = web_test::TestRequest::get()
        .uri(uri)
        .peer_addr(peer.parse().expect("a socket address"));
    for (name, value) in headers {
        request = request.insert_header((*name, *value));
    }
    let response = web_test::call_service(app, request.to_request()).await;
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = web_test::read_body(response).await;
    Reply {
        status,
        headers,
        body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    }
}

/// Every absolute URL of an answer: the strings of its body, and the targets of its `Link`.
fn urls(reply: &Reply) -> Vec<String> {
    fn strings(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::String(text) if text.starts_with("http") => out.push(text.clone()),
            Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
            Value::Object(members) => members.values().for_each(|v| strings(v, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    strings(&reply.body, &mut out);
    if let Some(link) = reply.headers.get(header::LINK) {
        let link = link.to_str().expect("ASCII");
        out.extend(
            link.split('<')
                .skip(1)
                .filter_map(|part| part.split_once('>'))
                .map(|(url, _)| url.to_owned()),
        );
    }
    out
}

/// Asserts that the answer to `uri` names the API only under `base`, and names some.
fn assert_under(reply: &Reply, uri: &str, base: &str) {
    assert_eq!(reply.status, 200, "{uri}: {}", reply.body);
    let ours: Vec<String> = urls(reply)
        .into_iter()
        .filter(|url| url.contains("/api/v1") || url.contains("/compat/"))
        .collect();
    assert!(!ours.is_empty(), "{uri}: holds URLs of the API");
    for url in &ours {
        assert!(
            url.starts_with(&format!("{base}/")),
            "{uri}: {url} is under {base}"
        );
    }
    assert!(
        !reply.body.to_string().contains("evil.example"),
        "{uri}: {}",
        reply.body
    );
}

/// The path of the API an absolute URL under `base` names.
fn local<'a>(url: &'a str, base: &str) -> &'a str {
    url.strip_prefix(base).expect("a URL under the base")
}

both_backends! {
    fn forged_headers_change_no_url_of_a_configured_public_url(db) {
        let db = db.seeded();
        let state = db.state().with_public_url(configured());
        let app = web_test::init_service(app(state.clone())).await;
        for uri in WITH_URLS {
            // Forged first: were it kept, the next clients would be handed its URLs.
            for peer in [STRANGER, PROXY] {
                let forged = fetch(&app, uri, peer, &FORGED).await;
                assert_under(&forged, uri, PUBLIC);
            }
            let plain = fetch(&app, uri, STRANGER, &[]).await;
            assert_under(&plain, uri, PUBLIC);
        }
        let page = fetch(&app, WITH_URLS[0], STRANGER, &FORGED).await;
        assert_eq!(page.body["links"]["self"], format!("{PUBLIC}/api/v1/startups?page_size=2"));
        let catalog = fetch(&app, "/api/v1/catalog", STRANGER, &FORGED).await;
        assert_eq!(catalog.body["@id"], format!("{PUBLIC}/api/v1/catalog"));
        let compat = fetch(&app, "/compat/v2.7/startups.json", STRANGER, &FORGED).await;
        assert_eq!(compat.body["links"]["self"], format!("{PUBLIC}/compat/v2.7/startups.json"));
    }

    fn the_path_prefix_leads_back_to_the_api(db) {
        let db = db.seeded();
        let app = web_test::init_service(app(db.state().with_public_url(configured()))).await;
        // Each page's `next`, its prefix taken off as the proxy does, is the next page.
        let mut seen = Vec::new();
        let mut next = Some("/api/v1/incubators?page_size=3".to_owned());
        while let Some(uri) = next.take() {
            let page = fetch(&app, &uri, STRANGER, &[]).await;
            assert_under(&page, &uri, PUBLIC);
            seen.extend(page.body["data"].as_array().expect("data").iter().map(|i| i["id"].clone()));
            next = page.body["links"]["next"].as_str().map(|url| local(url, PUBLIC).to_owned());
        }
        let all = fetch(&app, "/api/v1/incubators?page_size=1000", STRANGER, &[]).await;
        assert_eq!(seen.len(), all.body["data"].as_array().expect("data").len());
        // Every download of the catalog answers.
        let catalog = fetch(&app, "/api/v1/catalog", STRANGER, &[]).await;
        for url in urls(&catalog).iter().filter(|u| u.contains("?format=")) {
            let download = web_test::TestRequest::get().uri(local(url, PUBLIC)).to_request();
            let response = web_test::call_service(&app, download).await;
            assert_eq!(response.status(), 200, "{url}");
            assert!(!web_test::read_body(response).await.is_empty(), "{url}");
        }
        // A creation's `Location` is a path under the prefix too.
        let admin = common::issue_token(&db, "ops", "admin");
        let organisation = serde_json::json!({"id": "prefixee", "name": "Organisation préfixée", "kind": "autre"});
        let created = common::send(&app, actix_web::http::Method::POST, "/api/v1/organisations", Some(&admin), Some(&organisation), &[]).await;
        assert_eq!(created.status, 201, "{}", created.body);
        assert_eq!(created.headers.get("location").expect("Location"), "/betadata/api/v1/organisations/prefixee");
    }

    fn a_trusted_proxy_sets_scheme_and_host_and_a_stranger_does_not(db) {
        let db = db.seeded();
        let state = db.state().with_public_url(behind_proxies());
        let app = web_test::init_service(app(state.clone())).await;
        let x_forwarded = [("x-forwarded-host", "data.example.org"), ("x-forwarded-proto", "https")];
        let forwarded = [("forwarded", "for=192.0.2.1;host=data.example.org;proto=https")];
        for uri in WITH_URLS {
            // The stranger first: its answer, kept, must not be handed to the proxy's clients,
            // nor the proxy's to anyone else.
            for headers in [&x_forwarded[..], &forwarded, &FORGED] {
                let stranger = fetch(&app, uri, STRANGER, headers).await;
                assert_under(&stranger, uri, "http://localhost:8080");
            }
            for headers in [&x_forwarded[..], &forwarded] {
                let proxied = fetch(&app, uri, PROXY, headers).await;
                assert_under(&proxied, uri, "https://data.example.org");
            }
            let direct = fetch(&app, uri, PROXY, &[("host", "evil.example")]).await;
            assert_under(&direct, uri, "http://localhost:8080");
        }
        assert!(state.cache.hits() > 0, "answers were kept, and reused");
    }

    fn without_configuration_urls_name_the_bound_address(db) {
        let db = db.seeded();
        let bound = PublicUrl::new(None, "0.0.0.0:9000".parse().expect("an address"), Vec::new());
        let app = web_test::init_service(app(db.state().with_public_url(bound))).await;
        for uri in WITH_URLS {
            let reply = fetch(&app, uri, PROXY, &FORGED).await;
            assert_under(&reply, uri, "http://localhost:9000");
        }
    }
}

/// Sends a GET with `headers` to the server at `addr` and reads the JSON answer.
fn get_from(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> Value {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(process::CLIENT_TIMEOUT))
        .expect("a read timeout");
    let mut head = format!("GET {path} HTTP/1.1\r\nConnection: close\r\n");
    if !headers.iter().any(|(name, _)| *name == "host") {
        head.push_str(&format!("Host: {addr}\r\n"));
    }
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).expect("send");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read");
    let response = process::parse_response(&raw).expect("an HTTP answer");
    assert_eq!(response.status, 200, "{path}: {}", response.text());
    response.json()
}

#[test]
fn the_server_publishes_under_its_options() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let db = dir.path().join("betadata.db").display().to_string();
    let path = "/api/v1/phases";

    let server = process::Server::start(
        &db,
        dir.path(),
        &[("BETADATA_PUBLIC_URL", &format!("{PUBLIC}/"))],
    );
    let page = get_from(server.addr, path, &FORGED);
    assert_eq!(page["links"]["self"], format!("{PUBLIC}{path}"));
    assert!(
        server
            .log()
            .contains(&format!("absolute URLs start with {PUBLIC} (--public-url)")),
        "{}",
        server.log()
    );
    drop(server);

    // The tests' client connects from 127.0.0.1.
    let server = process::Server::start(
        &db,
        dir.path(),
        &[("BETADATA_TRUSTED_PROXIES", "192.0.2.0/24, 127.0.0.1")],
    );
    let bound = format!("http://{}", server.addr);
    let proxied = get_from(
        server.addr,
        path,
        &[
            ("x-forwarded-host", "data.example.org"),
            ("x-forwarded-proto", "https"),
        ],
    );
    assert_eq!(
        proxied["links"]["self"],
        format!("https://data.example.org{path}")
    );
    let direct = get_from(server.addr, path, &[("host", "evil.example")]);
    assert_eq!(direct["links"]["self"], format!("{bound}{path}"));
    assert!(
        server.log().contains(&format!(
            "absolute URLs start with {bound}, the bound address"
        )),
        "{}",
        server.log()
    );
    drop(server);

    let server = process::Server::start(&db, dir.path(), &[]);
    let forged = get_from(server.addr, path, &FORGED);
    assert_eq!(
        forged["links"]["self"],
        format!("http://{}{path}", server.addr)
    );
}

#[test]
fn serve_refuses_a_public_url_it_cannot_publish_under() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let db = dir.path().join("betadata.db").display().to_string();
    for (option, value) in [
        ("--public-url", "data.example.gouv.fr"),
        ("--public-url", "ftp://data.example.gouv.fr"),
        ("--public-url", "https://data.example.gouv.fr/?page=1"),
        ("--trusted-proxies", "10.0.0.1,proxy.local"),
    ] {
        let output = process::betadata(&db)
            .args(["serve", option, value])
            .output()
            .expect("run betadata");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{option} {value}: {stderr}");
        assert!(stderr.contains(option), "{option} {value}: {stderr}");
    }
}
