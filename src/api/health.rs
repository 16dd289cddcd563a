//! `/health`: whether this instance can serve, which means reaching its database.

use actix_web::{get, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::http::error::{ApiError, Problem};
use crate::api::http::state::AppState;
use crate::db;

#[derive(Debug, Serialize, ToSchema)]
pub struct HealthResponse {
    #[schema(example = "ok")]
    pub status: &'static str,
    /// The database backend in use.
    #[schema(example = "sqlite")]
    pub database: &'static str,
}

/// Check that the service and its database answer.
#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, description = "The database answers", body = HealthResponse),
        (status = 503, description = "The database does not answer", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/health")]
pub async fn health(state: web::Data<AppState>) -> Result<web::Json<HealthResponse>, ApiError> {
    let database = state
        .db(|conn| {
            db::ping(conn)?;
            Ok(match conn {
                db::DbConnection::Sqlite(_) => "sqlite",
                db::DbConnection::Postgres(_) => "postgres",
            })
        })
        .await?;
    Ok(web::Json(HealthResponse {
        status: "ok",
        database,
    }))
}
