//! Announcing that a route will go away: a deprecated route keeps answering, and says so in
//! every response with a `Deprecation` header (RFC 9745: since when), a `Sunset` header
//! (RFC 8594: the day it stops) and a `Link` to what replaces it (`rel="successor-version"`).
//!
//! The routes are listed in [`DEPRECATED`]; none is deprecated yet. Deprecating one means adding
//! it there and marking its `#[utoipa::path]` `deprecated`, so the contract says it too.

use std::future::{Ready, ready};
use std::rc::Rc;

use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{ResourceDef, Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use chrono::NaiveDate;
use futures_util::future::LocalBoxFuture;

/// A route on its way out.
#[derive(Debug, Clone, Copy)]
pub struct Deprecated {
    /// The path pattern, as routes are declared (`/api/v1/things/{id}`).
    pub path: &'static str,
    /// The day it was deprecated (UTC midnight).
    pub since: NaiveDate,
    /// The day it stops answering.
    pub sunset: NaiveDate,
    /// The path of what replaces it.
    pub successor: &'static str,
}

/// The deprecated routes of this version of the API.
pub const DEPRECATED: &[Deprecated] = &[];

impl Deprecated {
    /// The headers announcing this deprecation.
    pub fn headers(&self) -> [(HeaderName, String); 3] {
        let midnight = |day: NaiveDate| day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
        let sunset = midnight(self.sunset).format("%a, %d %b %Y %H:%M:%S GMT");
        [
            (
                HeaderName::from_static("deprecation"),
                format!("@{}", midnight(self.since).timestamp()),
            ),
            (HeaderName::from_static("sunset"), sunset.to_string()),
            (
                header::LINK,
                format!("<{}>; rel=\"successor-version\"", self.successor),
            ),
        ]
    }
}

/// Middleware adding the headers of the deprecated routes it is given to their responses.
pub struct Announce(pub &'static [Deprecated]);

impl<S, B> Transform<S, ServiceRequest> for Announce
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Transform = AnnounceMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        let routes = self
            .0
            .iter()
            .map(|d| (ResourceDef::new(d.path), *d))
            .collect();
        ready(Ok(AnnounceMiddleware {
            service: Rc::new(service),
            routes: Rc::new(routes),
        }))
    }
}

pub struct AnnounceMiddleware<S> {
    service: Rc<S>,
    routes: Rc<Vec<(ResourceDef, Deprecated)>>,
}

impl<S, B> Service<ServiceRequest> for AnnounceMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    actix_web::dev::forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let deprecated = self
            .routes
            .iter()
            .find(|(def, _)| def.is_match(req.path()))
            .map(|(_, d)| *d);
        let response = self.service.call(req);
        Box::pin(async move {
            let mut response = response.await?;
            if let Some(deprecated) = deprecated {
                for (name, value) in deprecated.headers() {
                    if let Ok(value) = HeaderValue::from_str(&value) {
                        response.headers_mut().append(name, value);
                    }
                }
            }
            Ok(response)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::{TestRequest, call_service, init_service};
    use actix_web::{App, HttpResponse, web};

    const OLD: &[Deprecated] = &[Deprecated {
        path: "/api/v1/old/{id}",
        since: NaiveDate::from_ymd_opt(2026, 1, 1).expect("date"),
        sunset: NaiveDate::from_ymd_opt(2026, 7, 1).expect("date"),
        successor: "/api/v2/new",
    }];

    #[actix_web::test]
    async fn a_deprecated_route_says_since_when_until_when_and_what_replaces_it() {
        let app = init_service(
            App::new()
                .wrap(Announce(OLD))
                .route("/api/v1/old/{id}", web::get().to(HttpResponse::Ok))
                .route("/api/v1/kept", web::get().to(HttpResponse::Ok)),
        )
        .await;
        let old = call_service(&app, TestRequest::get().uri("/api/v1/old/7").to_request()).await;
        let header = |name: &str| {
            old.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        assert_eq!(header("deprecation").as_deref(), Some("@1767225600"));
        assert_eq!(
            header("sunset").as_deref(),
            Some("Wed, 01 Jul 2026 00:00:00 GMT")
        );
        assert_eq!(
            header("link").as_deref(),
            Some("</api/v2/new>; rel=\"successor-version\"")
        );
        let kept = call_service(&app, TestRequest::get().uri("/api/v1/kept").to_request()).await;
        assert!(kept.headers().get("deprecation").is_none());
        assert!(kept.headers().get("sunset").is_none());
    }

    #[test]
    fn every_listed_route_ends_after_it_was_deprecated() {
        for d in DEPRECATED {
            assert!(d.sunset > d.since, "{}", d.path);
        }
    }
}
