//! Bounds on the request head, checked before any route: the request target, the headers and
//! the declared body length, each answered with its problem+json status.
//!
//! actix-http refuses a request head larger than 128 KiB on its own, before this code sees
//! it, with a bare 431; these limits are far below it, so a request the application would
//! refuse is answered with a problem document.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;

use crate::api::http::body::BODY_LIMIT;
use crate::api::http::error::ApiError;

/// The longest request target (path and query string) accepted, in bytes.
pub const MAX_TARGET: usize = 8 * 1024;

/// The largest size of all the headers of a request together (names, values and their
/// separators), in bytes.
pub const MAX_HEADERS: usize = 16 * 1024;

/// What is wrong with the head of a request, if anything.
pub fn check_head(req: &ServiceRequest) -> Result<(), ApiError> {
    let target = req
        .uri()
        .path_and_query()
        .map_or(0, |target| target.as_str().len());
    if target > MAX_TARGET {
        return Err(ApiError::UriTooLong { limit: MAX_TARGET });
    }
    let headers: usize = req
        .headers()
        .iter()
        // `name: value` and its line end.
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    if headers > MAX_HEADERS {
        return Err(ApiError::HeadersTooLarge { limit: MAX_HEADERS });
    }
    // Every route, not only those that read a body: nothing here takes a larger one.
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|length| length > BODY_LIMIT as u64) {
        return Err(ApiError::BodyTooLarge { limit: BODY_LIMIT });
    }
    Ok(())
}

/// Refuses a request whose head breaks [`check_head`] before any route runs.
pub async fn bound_request(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if let Err(error) = check_head(&req) {
        let (request, _) = req.into_parts();
        let response = actix_web::ResponseError::error_response(&error);
        return Ok(ServiceResponse::new(request, response));
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_boxed_body)
}
