//! Conditional requests: every successful GET carries a strong `ETag` and `Cache-Control`;
//! data resources also carry `Last-Modified`. A matching `If-None-Match`, or (without one) an
//! `If-Modified-Since` no older than the data, is answered `304 Not Modified`; writes compare
//! `If-Match` with [`if_match`].
//!
//! The tag is a hash of the representation's bytes before any content coding, with the coding
//! appended (`"…-gzip"`, `"…-br"`) when one is applied: each coding has its own validator, as
//! strong validators must, and a writer's `If-Match` names the representation whichever coding
//! it was read in. `Last-Modified` is the later of the data's last change and the start of
//! today (UTC): what is "current" moves at midnight even when no data does.

use actix_web::HttpMessage;
use actix_web::body::{BoxBody, MessageBody, to_bytes};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::HttpDate;
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse, web};
use chrono::{NaiveDateTime, Timelike};

use crate::api::http::response_cache::DataVersion;
use crate::api::http::state::AppState;
use crate::api::shape::formats::Streamed;

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

/// The codings that get a suffix of their own on the tag of the identity representation.
const CODINGS: [&str; 4] = ["gzip", "br", "zstd", "deflate"];

/// The tag of the identity representation that `tag` (as sent, possibly for a coding) names;
/// `None` for a weak tag, which never matches strongly.
fn representation_of(tag: &str) -> Option<String> {
    let tag = tag.trim();
    if tag.starts_with("W/") {
        return None;
    }
    let opaque = tag.strip_prefix('"')?.strip_suffix('"')?;
    let identity = CODINGS
        .iter()
        .find_map(|coding| opaque.strip_suffix(&format!("-{coding}")))
        .unwrap_or(opaque);
    Some(format!("\"{identity}\""))
}

/// Whether an `If-Match` value names `current`, the tag of the identity representation of the
/// resource as it is now (strong comparison, RFC 9110 section 13.1.1; `*` matches any).
pub fn if_match(if_match: &str, current: &str) -> bool {
    if_match.trim() == "*"
        || if_match
            .split(',')
            .filter_map(representation_of)
            .any(|tag| tag == current)
}

/// Whether a path serves the data (rather than the contract or the documentation): the API,
/// the compatibility files under `/compat/`, and the landing page, which shows the data.
fn serves_data(path: &str) -> bool {
    path == "/"
        || (path.starts_with("/api/") && !path.ends_with("/openapi.json"))
        || path.starts_with("/compat/")
}

/// The data revision and today, and when what `/api` serves last changed, to the second.
async fn data_revision(req: &ServiceRequest) -> Option<(DataVersion, NaiveDateTime)> {
    let state = req.app_data::<web::Data<AppState>>()?;
    let revision = state.revision().await?;
    let day = state.today();
    let midnight = day.and_hms_opt(0, 0, 0)?;
    let changed = revision.changed_at.max(midnight).with_nanosecond(0)?;
    let version = DataVersion {
        revision: revision.revision,
        day,
    };
    Some((version, changed))
}

fn http_date(time: NaiveDateTime) -> HttpDate {
    let seconds = u64::try_from(time.and_utc().timestamp()).unwrap_or_default();
    HttpDate::from(std::time::UNIX_EPOCH + std::time::Duration::from_secs(seconds))
}

/// Whether the client's copy, dated `if_modified_since`, is at least as recent as `modified`.
fn unmodified_since(if_modified_since: &str, modified: NaiveDateTime) -> bool {
    if_modified_since
        .parse::<HttpDate>()
        .ok()
        .map(std::time::SystemTime::from)
        .is_some_and(|since| since >= std::time::SystemTime::from(http_date(modified)))
}

/// Innermost middleware: tags a successful GET with the hash of its body before any content
/// coding. Streamed exports are left to [`conditional_get`], which tags them without reading
/// them.
pub async fn tag_representation(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let get = *req.method() == Method::GET;
    let response = next.call(req).await?;
    let streamed = response.response().extensions().contains::<Streamed>();
    if !get || streamed || response.status() != StatusCode::OK {
        return Ok(response.map_into_boxed_body());
    }
    let (request, inner) = response.into_parts();
    let (mut head, body) = inner.into_parts();
    let bytes = to_bytes(body)
        .await
        .map_err(|e| actix_web::error::ErrorInternalServerError(e.into().to_string()))?;
    head.headers_mut().insert(
        header::ETAG,
        HeaderValue::from_str(&entity_tag(&bytes))
            .map_err(actix_web::error::ErrorInternalServerError)?,
    );
    Ok(ServiceResponse::new(
        request,
        head.set_body(bytes).map_into_boxed_body(),
    ))
}

/// Middleware: tags successful GET responses and answers 304 when the client's copy is current.
pub async fn conditional_get(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let conditional = matches!(*req.method(), Method::GET | Method::HEAD);
    // HEAD is answered as GET; the HTTP layer sends the headers without the body.
    if *req.method() == Method::HEAD {
        req.head_mut().method = Method::GET;
    }
    let header_text = |name| {
        req.headers()
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
            .map(str::to_owned)
    };
    let if_none_match = header_text(header::IF_NONE_MATCH);
    let if_modified_since = header_text(header::IF_MODIFIED_SINCE);
    let uri = req.uri().to_string();
    let data = if conditional && serves_data(req.path()) {
        data_revision(&req).await
    } else {
        None
    };
    let last_modified = data.map(|(_, modified)| modified);
    if let Some((version, _)) = data {
        // For the response cache, inside: what the answer is rendered from.
        req.extensions_mut().insert(version);
    }
    let response = next.call(req).await?;
    if !conditional || response.status() != StatusCode::OK {
        return Ok(response.map_into_boxed_body());
    }
    let streamed = response.response().extensions().contains::<Streamed>();
    let coding = response
        .headers()
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let etag = if streamed {
        // A streamed export is not read twice to be hashed: its bytes are fixed by the data
        // revision, the day, the request and the content coding, so a hash of those is as
        // strong a validator.
        let Some((revision, modified)) = data else {
            return Ok(response.map_into_boxed_body());
        };
        let key = format!("{}\n{modified}\n{uri}\n{coding}", revision.revision);
        entity_tag(key.as_bytes())
    } else {
        let Some(identity) = response
            .headers()
            .get(header::ETAG)
            .and_then(|v| v.to_str().ok())
        else {
            return Ok(response.map_into_boxed_body());
        };
        match CODINGS.iter().find(|c| **c == coding) {
            Some(coding) => format!("{}-{coding}\"", identity.trim_end_matches('"')),
            None => identity.to_owned(),
        }
    };
    let mut response = response.map_into_boxed_body();
    let headers = response.headers_mut();
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
    if let Some(modified) = last_modified {
        let value = http_date(modified).to_string();
        headers.insert(
            header::LAST_MODIFIED,
            HeaderValue::from_str(&value).map_err(actix_web::error::ErrorInternalServerError)?,
        );
    }
    // If-None-Match, when sent, decides alone (RFC 9110, section 13.2.2).
    let unchanged = match (&if_none_match, &if_modified_since, last_modified) {
        (Some(tags), _, _) => none_match(tags, &etag),
        (None, Some(since), Some(modified)) => unmodified_since(since, modified),
        _ => false,
    };
    if !unchanged {
        return Ok(response);
    }
    let mut not_modified = HttpResponse::NotModified();
    for name in [
        header::ETAG,
        header::LAST_MODIFIED,
        header::CACHE_CONTROL,
        header::VARY,
    ] {
        if let Some(value) = response.headers().get(&name) {
            not_modified.insert_header((name, value.clone()));
        }
    }
    // Dropping the full response stops a streamed export's reading.
    let (request, _) = response.into_parts();
    Ok(ServiceResponse::new(request, not_modified.finish()))
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
    fn if_modified_since_compares_to_the_second() {
        let modified: NaiveDateTime = "2026-01-02T03:04:05".parse().expect("time");
        assert!(unmodified_since("Fri, 02 Jan 2026 03:04:05 GMT", modified));
        assert!(unmodified_since("Sat, 03 Jan 2026 00:00:00 GMT", modified));
        assert!(!unmodified_since("Fri, 02 Jan 2026 03:04:04 GMT", modified));
        assert!(!unmodified_since("yesterday", modified));
    }

    #[test]
    fn if_match_names_the_representation_in_any_coding_but_never_weakly() {
        let current = entity_tag(b"x");
        let opaque = current.trim_matches('"');
        assert!(if_match(&current, &current));
        assert!(if_match(&format!("\"{opaque}-gzip\""), &current));
        assert!(if_match(&format!("\"old\", \"{opaque}-br\""), &current));
        assert!(if_match("*", &current));
        assert!(!if_match(&format!("W/{current}"), &current));
        assert!(!if_match("\"old\"", &current));
        assert!(!if_match(opaque, &current), "unquoted");
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
