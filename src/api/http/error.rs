//! The one error type of the HTTP API, rendered as RFC 9457 `application/problem+json`.

use actix_web::http::{Method, StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::Unavailable;

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{resource} `{id}` does not exist")]
    NotFound { resource: &'static str, id: String },
    #[error("startup `{id}` had not started on {day}")]
    NotStarted { id: String, day: chrono::NaiveDate },
    #[error("no resource lives at this address; the API is under /api/v1 and documented at /docs")]
    NoRoute,
    #[error("this resource answers {}", allowed_list(.allowed))]
    MethodNotAllowed { allowed: Vec<Method> },
    #[error("the request has invalid parameters")]
    InvalidParameters(Vec<FieldError>),
    #[error("the request body is not valid JSON: {0}")]
    MalformedBody(String),
    #[error("the request body is larger than {limit} bytes")]
    BodyTooLarge { limit: usize },
    #[error("the request body must be `application/json`")]
    UnsupportedMediaType,
    #[error("the request target is longer than {limit} bytes")]
    UriTooLong { limit: usize },
    #[error("the request headers are larger than {limit} bytes in all")]
    HeadersTooLarge { limit: usize },
    /// The client took longer than the limit to send the request body.
    #[error("the request body did not arrive within {seconds} second(s)")]
    RequestTimeout { seconds: u64 },
    #[error("the request body breaks the rules below")]
    Invalid(Vec<BodyError>),
    #[error("{0}")]
    Conflict(String),
    #[error("the resource changed since the version `If-Match` names; read it again")]
    PreconditionFailed,
    #[error(
        "this Idempotency-Key was first used with another request; use a new key for a new request"
    )]
    IdempotencyKeyReused,
    /// No usable token: the detail says why, never quoting the token.
    #[error("{0}")]
    Unauthorized(String),
    /// A valid token whose scope does not cover what the request writes.
    #[error("{0}")]
    Forbidden(String),
    #[error("too many writes with this token; retry in {retry_after_seconds} second(s)")]
    TooManyRequests { retry_after_seconds: u64 },
    /// The database could not be used: unreachable, connection lost, or locked too long.
    #[error("{}", .0.detail())]
    Unavailable(#[source] Unavailable),
    /// The database work of the request ran past the time limit of a request.
    #[error("the request took longer than {seconds} second(s) to answer; retry shortly")]
    TimedOut { seconds: u64 },
    /// Any other database error: a 500, whose cause is logged and never sent.
    #[error("database error")]
    Database(diesel::result::Error),
    #[error("internal error")]
    Internal(String),
}

/// A database error is a 503 when it says the database could not be used, else a 500.
impl From<diesel::result::Error> for ApiError {
    fn from(error: diesel::result::Error) -> Self {
        match Unavailable::classify(error) {
            Ok(unavailable) => Self::Unavailable(unavailable),
            Err(error) => Self::Database(error),
        }
    }
}

impl From<Unavailable> for ApiError {
    fn from(error: Unavailable) -> Self {
        Self::Unavailable(error)
    }
}

fn allowed_list(methods: &[Method]) -> String {
    methods
        .iter()
        .map(Method::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

/// One bad parameter or field, and what is allowed instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// The query parameter at fault.
    #[schema(example = "page_size")]
    pub parameter: String,
    /// What is wrong, and what is allowed.
    #[schema(example = "must be an integer from 1 to 1000")]
    pub detail: String,
}

impl FieldError {
    pub fn new(parameter: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            parameter: parameter.into(),
            detail: detail.into(),
        }
    }

    /// A `cursor` this collection did not issue.
    pub fn foreign_cursor() -> Self {
        Self::new(
            "cursor",
            "not a cursor issued by this API: follow links.next or links.prev as given",
        )
    }
}

/// One rule of the request body broken, and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct BodyError {
    /// Where in the body, as an RFC 6901 JSON Pointer.
    #[schema(example = "/phases/1/end")]
    pub pointer: String,
    /// What is wrong, and what is allowed.
    #[schema(example = "2019-01-01 is before the phase's start, 2019-06-01")]
    pub detail: String,
}

impl BodyError {
    pub fn new(pointer: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            pointer: pointer.into(),
            detail: detail.into(),
        }
    }
}

/// An item of a problem's `errors`: a query parameter (400) or a place in the body (422).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(untagged)]
pub enum ProblemItem {
    Parameter(FieldError),
    Body(BodyError),
}

impl From<FieldError> for ApiError {
    fn from(error: FieldError) -> Self {
        Self::InvalidParameters(vec![error])
    }
}

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    #[schema(example = "/problems/invalid-parameters")]
    pub kind: String,
    /// A short summary of the kind of problem.
    #[schema(example = "Invalid parameters")]
    pub title: String,
    /// The HTTP status code.
    #[schema(example = 400)]
    pub status: u16,
    /// What went wrong with this request.
    pub detail: String,
    /// Each bad parameter (400) or each broken rule of the body (422).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ProblemItem>,
}

pub const PROBLEM_JSON: &str = "application/problem+json";

/// The detail of the 401 for a request that carries no bearer token at all. Its challenge has
/// no error code (RFC 6750 §3.1); every other 401 refuses a token that was sent, and says
/// `error="invalid_token"`.
pub const NO_BEARER_TOKEN: &str =
    "this operation needs a token, sent as `Authorization: Bearer <token>`";

/// The `WWW-Authenticate` challenge of a 401 with `detail`.
fn bearer_challenge(detail: &str) -> &'static str {
    if detail == NO_BEARER_TOKEN {
        r#"Bearer realm="betadata""#
    } else {
        r#"Bearer realm="betadata", error="invalid_token""#
    }
}

impl ApiError {
    fn kind_and_title(&self) -> (&'static str, &'static str) {
        match self {
            Self::NotFound { .. } | Self::NotStarted { .. } | Self::NoRoute => {
                ("/problems/not-found", "Not found")
            }
            Self::MethodNotAllowed { .. } => ("/problems/method-not-allowed", "Method not allowed"),
            Self::InvalidParameters(_) => ("/problems/invalid-parameters", "Invalid parameters"),
            Self::MalformedBody(_) => ("/problems/malformed-body", "Malformed body"),
            Self::BodyTooLarge { .. } => ("/problems/body-too-large", "Body too large"),
            Self::UnsupportedMediaType => {
                ("/problems/unsupported-media-type", "Unsupported media type")
            }
            Self::UriTooLong { .. } => ("/problems/uri-too-long", "URI too long"),
            Self::HeadersTooLarge { .. } => {
                ("/problems/headers-too-large", "Request headers too large")
            }
            Self::RequestTimeout { .. } => ("/problems/request-timeout", "Request timeout"),
            Self::Invalid(_) => ("/problems/invalid-body", "Invalid body"),
            Self::Conflict(_) => ("/problems/conflict", "Conflict"),
            Self::PreconditionFailed => ("/problems/precondition-failed", "Precondition failed"),
            Self::IdempotencyKeyReused => {
                ("/problems/idempotency-key-reused", "Idempotency key reused")
            }
            Self::Unauthorized(_) => ("/problems/unauthorized", "Unauthorized"),
            Self::Forbidden(_) => ("/problems/forbidden", "Forbidden"),
            Self::TooManyRequests { .. } => ("/problems/too-many-requests", "Too many requests"),
            Self::Unavailable(Unavailable::Locked(_)) => ("/problems/busy", "Service unavailable"),
            Self::Unavailable(_) => ("/problems/unavailable", "Service unavailable"),
            Self::TimedOut { .. } => ("/problems/timed-out", "Service unavailable"),
            Self::Database(_) | Self::Internal(_) => ("/problems/internal", "Internal error"),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::NotFound { .. } | Self::NotStarted { .. } | Self::NoRoute => {
                StatusCode::NOT_FOUND
            }
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::InvalidParameters(_) | Self::MalformedBody(_) => StatusCode::BAD_REQUEST,
            Self::BodyTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::UriTooLong { .. } => StatusCode::URI_TOO_LONG,
            Self::HeadersTooLarge { .. } => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            Self::RequestTimeout { .. } => StatusCode::REQUEST_TIMEOUT,
            Self::Invalid(_) | Self::IdempotencyKeyReused => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) | Self::TimedOut { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::Database(_) | Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        match self {
            // The pool logs an outage once, when it starts; each request refused meanwhile
            // is only worth a debug line.
            Self::Unavailable(cause @ Unavailable::Unreachable(_)) => {
                log::debug!("database unavailable: {cause}");
            }
            Self::Unavailable(cause) => log::warn!("database unavailable: {cause}"),
            Self::TimedOut { seconds } => {
                log::warn!("database work ran past the limit of {seconds} second(s)");
            }
            Self::Database(cause) => log::error!("database error: {cause}"),
            Self::Internal(cause) => log::error!("internal error: {cause}"),
            _ => {}
        }
        let (kind, title) = self.kind_and_title();
        let problem = Problem {
            kind: kind.to_owned(),
            title: title.to_owned(),
            status: status.as_u16(),
            detail: self.to_string(),
            errors: match self {
                Self::InvalidParameters(errors) => {
                    errors.iter().cloned().map(ProblemItem::Parameter).collect()
                }
                Self::Invalid(errors) => errors.iter().cloned().map(ProblemItem::Body).collect(),
                _ => Vec::new(),
            },
        };
        let mut response = HttpResponse::build(status);
        response.content_type(PROBLEM_JSON);
        if let Self::MethodNotAllowed { allowed } = self {
            response.insert_header((header::ALLOW, allowed_list(allowed)));
        }
        match self {
            Self::Unavailable(cause) => {
                response
                    .insert_header((header::RETRY_AFTER, cause.retry_after_seconds().to_string()));
            }
            Self::TimedOut { .. } => {
                response.insert_header((header::RETRY_AFTER, "5"));
            }
            Self::TooManyRequests {
                retry_after_seconds,
            } => {
                response.insert_header((header::RETRY_AFTER, retry_after_seconds.to_string()));
            }
            Self::Unauthorized(detail) => {
                response.insert_header((header::WWW_AUTHENTICATE, bearer_challenge(detail)));
            }
            _ => {}
        }
        response.json(problem)
    }
}

/// A problem document that says no more than `status`: for errors not raised by the API
/// itself (see [`crate::api::http::bare_errors`]).
pub fn bare_problem(status: StatusCode) -> HttpResponse {
    let title = status.canonical_reason().unwrap_or("Error");
    HttpResponse::build(status)
        .content_type(PROBLEM_JSON)
        .json(Problem {
            kind: format!("/problems/http-{}", status.as_u16()),
            title: title.to_owned(),
            status: status.as_u16(),
            detail: title.to_lowercase(),
            errors: Vec::new(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::to_bytes;

    async fn body(error: ApiError) -> (StatusCode, String, serde_json::Value) {
        let response = error.error_response();
        let status = response.status();
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let bytes = to_bytes(response.into_body()).await.expect("body");
        (
            status,
            content_type,
            serde_json::from_slice(&bytes).expect("JSON"),
        )
    }

    #[actix_rt::test]
    async fn internal_errors_hide_their_cause() {
        let cause = diesel::result::Error::QueryBuilderError("SELECT secret FROM t".into());
        let (status, content_type, problem) = body(ApiError::Database(cause)).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(content_type, PROBLEM_JSON);
        assert_eq!(problem["status"], 500);
        assert!(!problem.to_string().contains("secret"), "{problem}");
    }

    #[actix_rt::test]
    async fn a_lost_connection_or_a_lock_is_a_503_without_its_cause() {
        use diesel::result::{DatabaseErrorKind, Error};
        for (kind, message, retry_after, kind_uri) in [
            (
                DatabaseErrorKind::ClosedConnection,
                "server closed the connection: SELECT secret FROM t",
                "5",
                "/problems/unavailable",
            ),
            (
                DatabaseErrorKind::Unknown,
                "database is locked: secret.db",
                "1",
                "/problems/busy",
            ),
        ] {
            let error = ApiError::from(Error::DatabaseError(kind, Box::new(message.to_owned())));
            assert_eq!(
                header(&error, header::RETRY_AFTER).as_deref(),
                Some(retry_after)
            );
            let (status, content_type, problem) = body(error).await;
            assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(content_type, PROBLEM_JSON);
            assert_eq!(problem["type"], kind_uri);
            assert!(!problem.to_string().contains("secret"), "{problem}");
        }
        let other = ApiError::from(Error::DatabaseError(
            DatabaseErrorKind::Unknown,
            Box::new("no such column: secret".to_owned()),
        ));
        assert_eq!(other.status_code(), StatusCode::INTERNAL_SERVER_ERROR);
    }

    fn header(error: &ApiError, name: header::HeaderName) -> Option<String> {
        let response = error.error_response();
        let value = response.headers().get(name)?;
        Some(value.to_str().expect("ASCII").to_owned())
    }

    #[actix_rt::test]
    async fn a_missing_token_is_challenged_without_an_error_code() {
        let error = ApiError::Unauthorized(NO_BEARER_TOKEN.to_owned());
        assert_eq!(
            header(&error, header::WWW_AUTHENTICATE).as_deref(),
            Some(r#"Bearer realm="betadata""#)
        );
        let (status, content_type, problem) = body(error).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(content_type, PROBLEM_JSON);
        assert_eq!(problem["type"], "/problems/unauthorized");
        assert_eq!(problem["detail"], NO_BEARER_TOKEN);
    }

    #[actix_rt::test]
    async fn a_refused_token_is_an_invalid_token() {
        let error = ApiError::Unauthorized("the token has expired".to_owned());
        assert_eq!(
            header(&error, header::WWW_AUTHENTICATE).as_deref(),
            Some(r#"Bearer realm="betadata", error="invalid_token""#)
        );
        let (status, _, problem) = body(error).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(problem["detail"], "the token has expired");
    }

    #[actix_rt::test]
    async fn forbidden_and_too_many_requests() {
        let error = ApiError::Forbidden("out of scope".to_owned());
        assert_eq!(header(&error, header::WWW_AUTHENTICATE), None);
        let (status, _, problem) = body(error).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(problem["type"], "/problems/forbidden");

        let error = ApiError::TooManyRequests {
            retry_after_seconds: 7,
        };
        assert_eq!(header(&error, header::RETRY_AFTER).as_deref(), Some("7"));
        let (status, _, problem) = body(error).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(problem["status"], 429);
        assert!(
            problem["detail"]
                .as_str()
                .is_some_and(|d| d.contains("7 second")),
            "{problem}"
        );
    }

    #[actix_rt::test]
    async fn invalid_parameters_list_each_one() {
        let error = ApiError::InvalidParameters(vec![
            FieldError::new("as_of", "not a date"),
            FieldError::new("sort", "allowed: name"),
        ]);
        let (status, _, problem) = body(error).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(problem["errors"][1]["parameter"], "sort");
        assert_eq!(problem["type"], "/problems/invalid-parameters");
    }
}
