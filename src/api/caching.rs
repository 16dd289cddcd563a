//! Conditional GETs: every successful GET carries a strong `ETag` (a hash of the bytes sent)
//! and `Cache-Control`, and a matching `If-None-Match` is answered `304 Not Modified`.
//!
//! The hash is taken over the body as sent, after compression, so that each content coding has
//! its own validator, as strong validators must.

use actix_web::body::{BoxBody, MessageBody, to_bytes};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse};

/// How long clients and shared caches may reuse a response without asking again.
pub const CACHE_CONTROL: &str = "public, max-age=60";

/// The strong entity tag of a body: a truncated BLAKE3 hash, quoted.
pub fn entity_tag(body: &[u8]) -> String {
    let hash = blake3::hash(body);
    format!("\"{}\"", &hash.to_hex()[..32])
}

/// Whether an `If-None-Match` value names `etag` (weak comparison, as RFC 9110 asks for it).
pub fn none_match(if_none_match: &str, etag: &str) -> bool {
    let opaque = |tag: &str| tag.trim().trim_start_matches("W/").to_owned();
    if_none_match.trim() == "*"
        || if_none_match
            .split(',')
            .any(|tag| opaque(tag) == opaque(etag))
}

/// Middleware: tags successful GET responses and answers 304 when the client's copy is current.
pub async fn conditional_get(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let conditional = matches!(*req.method(), Method::GET | Method::HEAD);
    let if_none_match = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let response = next.call(req).await?;
    if !conditional || response.status() != StatusCode::OK {
        return Ok(response.map_into_boxed_body());
    }
    let (request, response) = response.into_parts();
    let (mut head, body) = response.into_parts();
    let bytes = to_bytes(body)
        .await
        .map_err(|e| actix_web::error::ErrorInternalServerError(e.into().to_string()))?;
    let etag = entity_tag(&bytes);
    let headers = head.headers_mut();
    headers.insert(
        header::ETAG,
        HeaderValue::from_str(&etag).map_err(actix_web::error::ErrorInternalServerError)?,
    );
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(CACHE_CONTROL),
        );
    }
    if if_none_match.is_some_and(|value| none_match(&value, &etag)) {
        let mut not_modified = HttpResponse::NotModified();
        for name in [header::ETAG, header::CACHE_CONTROL, header::VARY] {
            if let Some(value) = head.headers().get(&name) {
                not_modified.insert_header((name, value.clone()));
            }
        }
        return Ok(ServiceResponse::new(request, not_modified.finish()));
    }
    Ok(ServiceResponse::new(
        request,
        head.set_body(bytes).map_into_boxed_body(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_differ_with_the_bytes() {
        assert_eq!(entity_tag(b"abc"), entity_tag(b"abc"));
        assert_ne!(entity_tag(b"abc"), entity_tag(b"abd"));
        assert!(entity_tag(b"").starts_with('"') && entity_tag(b"").ends_with('"'));
    }

    #[test]
    fn if_none_match_lists_and_wildcards_match() {
        let tag = entity_tag(b"x");
        assert!(none_match(&tag, &tag));
        assert!(none_match(&format!("\"other\", {tag}"), &tag));
        assert!(none_match(&format!("W/{tag}"), &tag));
        assert!(none_match("*", &tag));
        assert!(!none_match("\"other\"", &tag));
    }
}
