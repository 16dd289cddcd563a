//! Where the API is published: the scheme, host and path prefix that every absolute URL it
//! gives starts with (list `links` and `Link` headers, dataset downloads, the DCAT catalog,
//! `links.self` of the compatibility files), and so a part of the key of kept responses.
//!
//! Never the request's own `Host`, nor a forwarded header from just anyone: a client may send
//! any, and an answer kept by the response cache would hand its forged URLs to every later
//! client. The base of a request's URLs is, in order:
//!
//! 1. `--public-url`, when it is set: every URL starts with it, whatever a request says;
//! 2. for a request whose TCP peer is one of `--trusted-proxies`, the scheme and host that proxy
//!    forwards: `Forwarded` (`proto=`, `host=`), else `X-Forwarded-Proto` and
//!    `X-Forwarded-Host`, each from the last element of the header, the one the nearest proxy
//!    wrote (the first ones may be a client's); a part it does not forward, or forwards as
//!    anything but `http`/`https` and a plain `host[:port]`, is that of the next rule;
//! 3. the address the server is bound to, `http://ADDR`, an unspecified one (`0.0.0.0`, `::`)
//!    as `localhost` with its port.
//!
//! See [`crate::config`] for the options.

use std::borrow::Cow;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::sync::LazyLock;

use actix_web::dev::RequestHead;
use actix_web::http::header::{self, HeaderName};
use actix_web::{HttpRequest, web};
use ipnet::IpNet;
use url::Url;

use crate::api::http::state::AppState;

/// An absolute `http` or `https` URL with a host, and perhaps a port and a path prefix; without
/// credentials, query or fragment, and without a trailing slash, so that a path is appended to
/// it as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl(String);

/// Why a text is not a [`BaseUrl`]; clap prints it after the option it was given to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BaseUrlError {
    #[error("not an absolute URL ({0}); give one such as https://data.example.org/betadata")]
    NotAbsolute(url::ParseError),
    #[error("the scheme is `{0}`; only http and https URLs are published")]
    Scheme(String),
    #[error("a user name or password has no place in a published URL")]
    Credentials,
    #[error("a query string or fragment has no place in a base URL")]
    QueryOrFragment,
}

impl BaseUrl {
    /// Checks `text`, and trims its trailing slashes.
    pub fn parse(text: &str) -> Result<Self, BaseUrlError> {
        let url = Url::parse(text).map_err(BaseUrlError::NotAbsolute)?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(BaseUrlError::Scheme(url.scheme().to_owned()));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(BaseUrlError::Credentials);
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(BaseUrlError::QueryOrFragment);
        }
        // The URL as the url crate writes it: host in lower case, default port left out.
        Ok(Self(url.as_str().trim_end_matches('/').to_owned()))
    }

    /// The URL of a server bound to `addr`; an unspecified address, which accepts connections
    /// to any of the machine's, is named `localhost`.
    pub fn bound_to(addr: SocketAddr) -> Self {
        if addr.ip().is_unspecified() {
            return Self(format!("http://localhost:{}", addr.port()));
        }
        // Without an IPv6 scope id, which has no place in a URL's host.
        Self(format!(
            "http://{}",
            SocketAddr::new(addr.ip(), addr.port())
        ))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The scheme, the host (with its port) and the path prefix.
    fn parts(&self) -> (&str, &str, &str) {
        let (scheme, rest) = self.0.split_once("://").unwrap_or(("http", &self.0));
        let path = rest.find('/').map_or("", |at| &rest[at..]);
        (scheme, &rest[..rest.len() - path.len()], path)
    }
}

impl FromStr for BaseUrl {
    type Err = BaseUrlError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

impl fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One entry of `--trusted-proxies`: an IP address, or a range in CIDR notation.
pub fn parse_proxy(text: &str) -> Result<IpNet, String> {
    let text = text.trim();
    text.parse::<IpNet>()
        .map(|range| range.trunc())
        .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| {
            format!("`{text}` is neither an IP address nor a CIDR range (such as 10.0.0.0/8)")
        })
}

/// How the base of a request's URLs is decided; see the module's documentation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicUrl {
    /// `--public-url`: every URL starts with it.
    Configured(BaseUrl),
    /// The address the server is bound to, unless a trusted proxy forwards another scheme or
    /// host.
    Bound {
        base: BaseUrl,
        trusted_proxies: Vec<IpNet>,
    },
}

impl Default for PublicUrl {
    /// As if bound to `localhost:8080`, trusting no proxy: an application built without saying
    /// where it is published (in tests, for one).
    fn default() -> Self {
        Self::Bound {
            base: BaseUrl("http://localhost:8080".to_owned()),
            trusted_proxies: Vec::new(),
        }
    }
}

impl PublicUrl {
    /// `configured` when given; else the URL of a server bound to `addr`, whose
    /// `trusted_proxies` may forward another scheme and host.
    pub fn new(configured: Option<BaseUrl>, addr: SocketAddr, trusted_proxies: Vec<IpNet>) -> Self {
        match configured {
            Some(base) => Self::Configured(base),
            None => Self::Bound {
                base: BaseUrl::bound_to(addr),
                trusted_proxies,
            },
        }
    }

    /// The base URL without a request: what every URL starts with unless a trusted proxy says
    /// otherwise.
    pub fn base(&self) -> &BaseUrl {
        match self {
            Self::Configured(base) | Self::Bound { base, .. } => base,
        }
    }

    /// The base of the absolute URLs in the answer to `head`.
    pub fn base_for(&self, head: &RequestHead) -> Cow<'_, str> {
        let Self::Bound {
            base,
            trusted_proxies,
        } = self
        else {
            return Cow::Borrowed(self.base().as_str());
        };
        let forwarded = if from_one_of(head, trusted_proxies) {
            Forwarded::of(head)
        } else {
            Forwarded::default()
        };
        if forwarded == Forwarded::default() {
            return Cow::Borrowed(base.as_str());
        }
        let (scheme, host, path) = base.parts();
        Cow::Owned(format!(
            "{}://{}{path}",
            forwarded.proto.unwrap_or(scheme),
            forwarded.host.unwrap_or(host)
        ))
    }
}

/// The base of the absolute URLs in the answer to `req`, by the application's [`PublicUrl`].
pub fn base(req: &HttpRequest) -> Cow<'_, str> {
    // Every request to `api::app` finds its state; a handler mounted alone gets the default,
    // as actix's `ConnectionInfo` falls back to its configured host.
    static UNSAID: LazyLock<PublicUrl> = LazyLock::new(PublicUrl::default);
    req.app_data::<web::Data<AppState>>()
        .map_or(&*UNSAID, |state| &state.public_url)
        .base_for(req.head())
}

/// Whether the TCP peer of `head` is in one of `ranges` (an IPv4 peer of an IPv6 socket too).
fn from_one_of(head: &RequestHead, ranges: &[IpNet]) -> bool {
    head.peer_addr.is_some_and(|peer| {
        let ip = peer.ip().to_canonical();
        ranges.iter().any(|range| range.contains(&ip))
    })
}

/// The scheme and host a trusted proxy forwards, those it forwards plainly.
#[derive(Debug, Default, PartialEq, Eq)]
struct Forwarded<'a> {
    proto: Option<&'static str>,
    host: Option<&'a str>,
}

const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");

impl<'a> Forwarded<'a> {
    fn of(head: &'a RequestHead) -> Self {
        let mut proto = None;
        let mut host = None;
        // `for=…;proto=https;host=…`, its values tokens or quoted strings.
        for pair in last_element(head, &header::FORWARDED).split(';') {
            let Some((name, value)) = pair.split_once('=') else {
                continue;
            };
            let value = value.trim().trim_matches('"');
            match name.trim().to_ascii_lowercase().as_str() {
                "proto" => proto = Some(value),
                "host" => host = Some(value),
                _ => {}
            }
        }
        let proto = proto.or_else(|| non_empty(last_element(head, &X_FORWARDED_PROTO)));
        let host = host.or_else(|| non_empty(last_element(head, &X_FORWARDED_HOST)));
        Self {
            proto: proto.and_then(plain_scheme),
            host: host.and_then(plain_host),
        }
    }
}

/// The last comma-separated element of the last `name` header, trimmed; empty when there is
/// none or it is not text.
fn last_element<'a>(head: &'a RequestHead, name: &HeaderName) -> &'a str {
    head.headers
        .get_all(name)
        .last()
        .and_then(|value| value.to_str().ok())
        .and_then(|text| text.rsplit(',').next())
        .map_or("", str::trim)
}

fn non_empty(text: &str) -> Option<&str> {
    (!text.is_empty()).then_some(text)
}

fn plain_scheme(text: &str) -> Option<&'static str> {
    ["http", "https"]
        .into_iter()
        .find(|scheme| text.eq_ignore_ascii_case(scheme))
}

/// `text` when it is a host, perhaps with a port, and nothing else.
fn plain_host(text: &str) -> Option<&str> {
    let plain = !text.is_empty()
        && text.len() <= 255
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._:[]".contains(&b));
    (plain && Url::parse(&format!("http://{text}/")).is_ok()).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn base(text: &str) -> BaseUrl {
        BaseUrl::parse(text).expect(text)
    }

    fn behind_proxies(proxies: &[&str]) -> PublicUrl {
        PublicUrl::Bound {
            base: base("http://localhost:8080"),
            trusted_proxies: proxies.iter().map(|p| parse_proxy(p).expect(p)).collect(),
        }
    }

    /// The base of a request from `peer` with `headers`.
    fn base_for(public_url: &PublicUrl, peer: &str, headers: &[(&str, &str)]) -> String {
        let mut request = TestRequest::get()
            .uri("/api/v1/startups")
            .peer_addr(peer.parse().expect("a socket address"));
        for (name, value) in headers {
            request = request.append_header((*name, *value));
        }
        public_url
            .base_for(request.to_http_request().head())
            .into_owned()
    }

    const FORGED: [(&str, &str); 4] = [
        ("host", "evil.example"),
        ("x-forwarded-host", "evil.example"),
        ("x-forwarded-proto", "https"),
        ("forwarded", "proto=https;host=evil.example"),
    ];

    #[test]
    fn a_base_url_is_absolute_http_without_query_and_trailing_slash() {
        assert_eq!(
            base("https://Data.Example.gouv.fr/betadata/").as_str(),
            "https://data.example.gouv.fr/betadata"
        );
        assert_eq!(
            base("https://data.example:443").as_str(),
            "https://data.example"
        );
        assert_eq!(base("http://[::1]:8080//").as_str(), "http://[::1]:8080");
        let refused = |text| BaseUrl::parse(text).expect_err(text);
        assert!(matches!(
            refused("data.example.gouv.fr"),
            BaseUrlError::NotAbsolute(_)
        ));
        assert!(matches!(refused("/betadata"), BaseUrlError::NotAbsolute(_)));
        assert_eq!(
            refused("ftp://data.example"),
            BaseUrlError::Scheme("ftp".into())
        );
        assert_eq!(
            refused("https://me:pw@data.example"),
            BaseUrlError::Credentials
        );
        assert_eq!(
            refused("https://data.example/?a=1"),
            BaseUrlError::QueryOrFragment
        );
        assert_eq!(
            refused("https://data.example/#top"),
            BaseUrlError::QueryOrFragment
        );
    }

    #[test]
    fn a_bound_address_names_itself_and_an_unspecified_one_localhost() {
        let bound = |addr: &str| BaseUrl::bound_to(addr.parse().expect(addr)).0;
        assert_eq!(bound("127.0.0.1:8080"), "http://127.0.0.1:8080");
        assert_eq!(bound("0.0.0.0:8080"), "http://localhost:8080");
        assert_eq!(bound("[::]:9000"), "http://localhost:9000");
        assert_eq!(bound("[::1]:9000"), "http://[::1]:9000");
        assert_eq!(bound("[fe80::1%2]:9000"), "http://[fe80::1]:9000");
    }

    #[test]
    fn proxies_are_addresses_or_ranges() {
        assert_eq!(
            parse_proxy(" 10.0.0.1 "),
            Ok("10.0.0.1/32".parse().expect("net"))
        );
        assert_eq!(
            parse_proxy("10.1.2.3/8"),
            Ok("10.0.0.0/8".parse().expect("net"))
        );
        assert_eq!(
            parse_proxy("fd00::/8"),
            Ok("fd00::/8".parse().expect("net"))
        );
        assert!(parse_proxy("proxy.local").is_err());
        assert!(parse_proxy("10.0.0.0/33").is_err());
    }

    #[test]
    fn a_configured_url_ignores_what_any_request_says() {
        let public_url = PublicUrl::new(
            Some(base("https://data.example.gouv.fr/betadata")),
            "0.0.0.0:8080".parse().expect("addr"),
            vec![parse_proxy("127.0.0.1").expect("ip")],
        );
        assert_eq!(
            base_for(&public_url, "127.0.0.1:5000", &FORGED),
            "https://data.example.gouv.fr/betadata"
        );
    }

    #[test]
    fn an_untrusted_peer_forwards_nothing() {
        let public_url = behind_proxies(&["10.0.0.0/8"]);
        assert_eq!(
            base_for(&public_url, "192.0.2.7:5000", &FORGED),
            "http://localhost:8080"
        );
        assert_eq!(
            base_for(&PublicUrl::default(), "10.0.0.1:5000", &FORGED),
            "http://localhost:8080"
        );
    }

    #[test]
    fn a_trusted_proxy_forwards_scheme_and_host() {
        let public_url = behind_proxies(&["10.0.0.0/8", "::1"]);
        let from = |peer, headers: &[(&str, &str)]| base_for(&public_url, peer, headers);
        let x_forwarded = [
            ("x-forwarded-host", "data.example"),
            ("x-forwarded-proto", "https"),
        ];
        assert_eq!(from("10.1.2.3:5000", &x_forwarded), "https://data.example");
        assert_eq!(from("[::1]:5000", &x_forwarded), "https://data.example");
        // An IPv4 peer of an IPv6 socket.
        assert_eq!(
            from("[::ffff:10.0.0.1]:5000", &x_forwarded),
            "https://data.example"
        );
        // `Forwarded` first; the element the nearest proxy added.
        let forwarded = [
            (
                "forwarded",
                "for=192.0.2.1;host=forged.example, for=10.0.0.2;host=\"data.example:8443\";proto=HTTPS",
            ),
            ("x-forwarded-host", "other.example"),
        ];
        assert_eq!(
            from("10.0.0.9:5000", &forwarded),
            "https://data.example:8443"
        );
        // The last value an appending proxy added.
        let appended = [("x-forwarded-host", "forged.example, data.example")];
        assert_eq!(from("10.0.0.9:5000", &appended), "http://data.example");
        // What is not forwarded is the bound address's.
        let proto_only = [("x-forwarded-proto", "https")];
        assert_eq!(from("10.0.0.9:5000", &proto_only), "https://localhost:8080");
        // The request's own `Host` is never the base.
        assert_eq!(
            from("10.0.0.9:5000", &[("host", "data.example")]),
            "http://localhost:8080"
        );
    }

    #[test]
    fn a_trusted_proxy_forwards_only_plain_schemes_and_hosts() {
        let public_url = behind_proxies(&["10.0.0.0/8"]);
        for (name, value) in [
            ("x-forwarded-proto", "javascript"),
            ("x-forwarded-host", "data.example/evil"),
            ("x-forwarded-host", "user@data.example"),
            ("x-forwarded-host", "data.example>; rel=\"next\""),
            ("x-forwarded-host", "data.example:99999"),
            ("forwarded", "host=\"a b\""),
        ] {
            assert_eq!(
                base_for(&public_url, "10.0.0.1:5000", &[(name, value)]),
                "http://localhost:8080",
                "{name}: {value}"
            );
        }
    }
}
