//! HTTP transport for reusers: validators and 304s, compression, CORS, on both backends.

use crate::common;

use actix_web::http::header;
use actix_web::test;
use betadata::api::app;
use common::both_backends;

both_backends! {
    fn every_get_has_a_strong_etag_and_answers_304(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        for uri in [
            "/api/v1/startups?phase=transfere",
            "/api/v1/startups/medle",
            "/api/v1/incubators",
            "/api/v1/stats",
            "/api/v1/openapi.json",
        ] {
            let first = test::call_service(&app, test::TestRequest::get().uri(uri).to_request()).await;
            assert_eq!(first.status(), 200, "{uri}");
            let etag = first.headers().get(header::ETAG).expect("an ETag").clone();
            let tag = etag.to_str().unwrap();
            assert!(tag.starts_with('"') && !tag.starts_with("W/"), "a strong tag: {tag}");
            assert_eq!(first.headers().get(header::CACHE_CONTROL).unwrap(), "public, max-age=60");
            let again = test::call_service(
                &app,
                test::TestRequest::get().uri(uri).insert_header((header::IF_NONE_MATCH, etag.clone())).to_request(),
            )
            .await;
            assert_eq!(again.status(), 304, "{uri}");
            assert_eq!(again.headers().get(header::ETAG), Some(&etag));
            assert!(test::read_body(again).await.is_empty());
            let stale = test::call_service(
                &app,
                test::TestRequest::get().uri(uri).insert_header((header::IF_NONE_MATCH, "\"stale\"")).to_request(),
            )
            .await;
            assert_eq!(stale.status(), 200, "{uri}");
        }
        let other = test::call_service(&app, test::TestRequest::get().uri("/api/v1/startups?phase=abandon").to_request()).await;
        let one = test::call_service(&app, test::TestRequest::get().uri("/api/v1/startups?phase=transfere").to_request()).await;
        assert_ne!(other.headers().get(header::ETAG), one.headers().get(header::ETAG), "another body, another tag");
        let missing = test::call_service(&app, test::TestRequest::get().uri("/api/v1/startups/nope").to_request()).await;
        assert_eq!(missing.status(), 404);
        assert!(missing.headers().get(header::ETAG).is_none(), "errors carry no validator");
    }

    fn head_answers_the_headers_of_get(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        let get = test::call_service(&app, test::TestRequest::get().uri("/api/v1/phases").to_request()).await;
        let head = test::call_service(
            &app,
            test::TestRequest::default().method(actix_web::http::Method::HEAD).uri("/api/v1/phases").to_request(),
        )
        .await;
        assert_eq!(head.status(), 200);
        for name in [header::ETAG, header::LAST_MODIFIED, header::CONTENT_TYPE, header::LINK] {
            assert_eq!(head.headers().get(&name), get.headers().get(&name), "{name}");
        }
    }

    fn responses_are_compressed_on_request(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        let plain = test::call_service(&app, test::TestRequest::get().uri("/api/v1/startups?page_size=100").to_request()).await;
        let plain_etag = plain.headers().get(header::ETAG).cloned();
        let plain_len = test::read_body(plain).await.len();
        for coding in ["gzip", "br"] {
            let response = test::call_service(
                &app,
                test::TestRequest::get()
                    .uri("/api/v1/startups?page_size=100")
                    .insert_header((header::ACCEPT_ENCODING, coding))
                    .to_request(),
            )
            .await;
            assert_eq!(response.status(), 200);
            assert_eq!(response.headers().get(header::CONTENT_ENCODING).unwrap(), coding);
            assert!(response.headers().get(header::VARY).is_some_and(|v| v.to_str().unwrap().contains("accept-encoding")));
            let tag = response.headers().get(header::ETAG).expect("a tag").to_str().unwrap().to_owned();
            let plain = plain_etag.as_ref().expect("a plain tag").to_str().unwrap();
            assert_eq!(tag, format!("{}-{coding}\"", plain.trim_end_matches('"')), "each coding has its own tag, named after the representation");
            let compressed = test::read_body(response).await.len();
            assert!(compressed * 2 < plain_len, "{coding}: {compressed} bytes for {plain_len}");
        }
    }

    fn reads_are_open_to_every_origin(db) {
        let app = test::init_service(app(db.state())).await;
        let response = test::call_service(
            &app,
            test::TestRequest::get()
                .uri("/api/v1/phases")
                .insert_header((header::ORIGIN, "https://example.org"))
                .to_request(),
        )
        .await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers().get(header::ACCESS_CONTROL_ALLOW_ORIGIN).unwrap(), "*");
        let exposed = response.headers().get(header::ACCESS_CONTROL_EXPOSE_HEADERS).unwrap().to_str().unwrap().to_lowercase();
        assert!(exposed.contains("etag") && exposed.contains("link"), "{exposed}");
        let preflight = test::call_service(
            &app,
            test::TestRequest::default()
                .method(actix_web::http::Method::OPTIONS)
                .uri("/api/v1/startups")
                .insert_header((header::ORIGIN, "https://example.org"))
                .insert_header((header::ACCESS_CONTROL_REQUEST_METHOD, "GET"))
                .to_request(),
        )
        .await;
        assert!(preflight.status().is_success(), "{}", preflight.status());
        assert!(preflight.headers().get(header::ACCESS_CONTROL_ALLOW_METHODS).is_some());
    }
}

both_backends! {
    fn data_resources_carry_last_modified(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        let get = |uri: &str, since: Option<&str>| {
            let mut request = test::TestRequest::get().uri(uri);
            if let Some(since) = since {
                request = request.insert_header((header::IF_MODIFIED_SINCE, since.to_owned()));
            }
            request.to_request()
        };
        let first = test::call_service(&app, get("/api/v1/startups", None)).await;
        let modified = first.headers().get(header::LAST_MODIFIED).expect("Last-Modified").to_str().unwrap().to_owned();
        assert!(modified.ends_with(" GMT"), "{modified}");
        let same = test::call_service(&app, get("/api/v1/startups", Some(&modified))).await;
        assert_eq!(same.status(), 304);
        assert_eq!(same.headers().get(header::LAST_MODIFIED).unwrap().to_str().unwrap(), modified);
        let older = test::call_service(&app, get("/api/v1/startups", Some("Sat, 01 Jan 2000 00:00:00 GMT"))).await;
        assert_eq!(older.status(), 200);
        let garbage = test::call_service(&app, get("/api/v1/startups", Some("last week"))).await;
        assert_eq!(garbage.status(), 200, "an unreadable date is ignored");
        let contract = test::call_service(&app, get("/api/v1/openapi.json", None)).await;
        assert!(contract.headers().get(header::LAST_MODIFIED).is_none(), "the contract is not data");
    }

    fn writes_bump_the_data_revision(db) {
        use betadata::db::revision::Revision;
        use betadata::seed::{SeedFile, SeedKind, load};
        let db = db.seeded();
        let mut conn = db.pool.get().unwrap();
        let before = Revision::current(&mut conn).unwrap();
        assert!(before.revision >= 1, "seeding changed the data");
        let file = |text: &str| SeedFile {
            path: "organisations.yaml".into(),
            kind: SeedKind::Organisations,
            text: text.into(),
        };
        load::import(&mut conn, &[file("- id: cnil\n  name: CNIL\n  kind: agency\n")]).unwrap();
        let after = Revision::current(&mut conn).unwrap();
        assert_eq!(after.revision, before.revision + 1);
        assert!(after.changed_at >= before.changed_at);
        load::import(&mut conn, &[file("- id: cnil\n  name: CNIL\n  kind: agency\n")]).unwrap();
        assert_eq!(Revision::current(&mut conn).unwrap(), after, "nothing written, nothing bumped");
    }
}

both_backends! {
    fn streamed_exports_have_validators_too(db) {
        use betadata::seed::{SeedFile, SeedKind, load};
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        let tag_of = |response: &actix_web::dev::ServiceResponse<_>| {
            response.headers().get(header::ETAG).expect("an ETag").clone()
        };
        let csv = test::call_service(&app, test::TestRequest::get().uri("/api/v1/organisations?format=csv").to_request()).await;
        assert_eq!(csv.status(), 200);
        let etag = tag_of(&csv);
        assert!(csv.headers().get(header::LAST_MODIFIED).is_some());
        let ndjson = test::call_service(&app, test::TestRequest::get().uri("/api/v1/organisations?format=ndjson").to_request()).await;
        assert_ne!(tag_of(&ndjson), etag, "another representation, another tag");
        let again = test::call_service(
            &app,
            test::TestRequest::get().uri("/api/v1/organisations?format=csv").insert_header((header::IF_NONE_MATCH, etag.clone())).to_request(),
        )
        .await;
        assert_eq!(again.status(), 304);
        assert!(test::read_body(again).await.is_empty());
        let mut conn = db.pool.get().unwrap();
        let file = SeedFile { path: "organisations.yaml".into(), kind: SeedKind::Organisations, text: "- id: cnil\n  name: CNIL\n  kind: agency\n".into() };
        load::import(&mut conn, &[file]).unwrap();
        drop(conn);
        let changed = test::call_service(
            &app,
            test::TestRequest::get().uri("/api/v1/organisations?format=csv").insert_header((header::IF_NONE_MATCH, etag.clone())).to_request(),
        )
        .await;
        assert_eq!(changed.status(), 200, "the data changed: the old tag no longer matches");
        assert_ne!(tag_of(&changed), etag);
        let text = String::from_utf8(test::read_body(changed).await.to_vec()).unwrap();
        assert!(text.contains("cnil,CNIL"), "{text}");
    }

    fn no_answer_may_be_sniffed(db) {
        let app = test::init_service(app(db.state())).await;
        for uri in ["/api/v1/startups", "/api/v1/nowhere", "/health", "/api/v1/startups?format=csv"] {
            let response = test::call_service(&app, test::TestRequest::get().uri(uri).to_request()).await;
            assert_eq!(response.headers().get(header::X_CONTENT_TYPE_OPTIONS).map(|v| v.to_str().unwrap()), Some("nosniff"), "{uri}");
        }
    }
}
