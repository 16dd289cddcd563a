//! `/api/v1/startups/{id}/history`: the changes made to one startup, its phases included, in
//! the order they committed; the change feed of [`crate::api::v1::changes`] narrowed to it.

use actix_web::{HttpRequest, HttpResponse, get, web};

use crate::api::http::error::{ApiError, Problem};
use crate::api::http::query::ApiQuery;
use crate::api::http::state::AppState;
use crate::api::shape::envelope::ListResponse;
use crate::api::shape::formats::respond_list;
use crate::api::v1::changes::{ChangeResponse, ChangesQuery, feed, fetch};
use crate::db::changes::Change;
use crate::db::startups::Startup;

/// List the changes made to one startup (its phases included), oldest first.
#[utoipa::path(
    tag = "changes",
    params(
        ("id" = String, Path, description = "Startup id", example = "medle"),
        ChangesQuery,
    ),
    responses(
        (status = 200, description = "A page of the startup's changes", body = ListResponse<ChangeResponse>),
        (status = 400, description = "Invalid parameter", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such startup, and none deleted", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/startups/{id}/history")]
pub async fn get_startup_history(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    ApiQuery(query): ApiQuery<ChangesQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let (request, whole, format, filter) =
        feed(&req, query, Some(("startup".to_owned(), id.clone())))?;
    let key = id.clone();
    let known = state
        .db(move |conn| Ok(Startup::exists(conn, &key)? || Change::any_of(conn, "startup", &key)?))
        .await?;
    if !known {
        return Err(ApiError::NotFound {
            resource: "startup",
            id,
        });
    }
    respond_list(&req, &state, format, request, whole, fetch(filter)).await
}
