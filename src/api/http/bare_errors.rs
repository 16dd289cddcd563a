//! Errors answered by code that is not the API's own (Swagger UI's 404 for a file it does not
//! hold, an extractor of actix's) get the problem document every other error has.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{HttpResponse, ResponseError};

use crate::api::http::error::{ApiError, PROBLEM_JSON, bare_problem};

/// Replaces the body of a 4xx or 5xx that is not `application/problem+json` with a problem
/// document of the same status; its other headers (`Allow`, `Retry-After`…) are kept.
pub async fn dress_bare_errors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    // An inner service's `Err` goes on as it is: its request is gone, and the API's own
    // errors render themselves as problems.
    let response = next.call(req).await?.map_into_boxed_body();
    let status = response.status();
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    if !(status.is_client_error() || status.is_server_error()) || is_problem {
        return Ok(response);
    }
    let (request, bare) = response.into_parts();
    if status.is_server_error() {
        log::error!(
            "{} {}: a bare {status} answered",
            request.method(),
            request.path()
        );
    }
    let mut dressed: HttpResponse = if status == actix_web::http::StatusCode::NOT_FOUND {
        ApiError::NoRoute.error_response()
    } else {
        bare_problem(status)
    };
    for (name, value) in bare.headers() {
        if !matches!(
            *name,
            header::CONTENT_TYPE | header::CONTENT_LENGTH | header::CONTENT_ENCODING
        ) {
            dressed.headers_mut().append(name.clone(), value.clone());
        }
    }
    Ok(ServiceResponse::new(request, dressed))
}
