//! `/api/v1/changes`: every write, in the order it committed — the audit log, and the feed an
//! integrator follows to stay in sync (`since` the last number it saw). The same for one
//! startup is `/api/v1/startups/{id}/history`, in [`crate::api::v1::startups::history`].

use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use crate::api::http::error::{ApiError, FieldError, Problem};
use crate::api::http::query::ApiQuery;
use crate::api::http::state::AppState;
use crate::api::shape::columns::{Column, DATETIME_FORMAT, FieldType};
use crate::api::shape::envelope::{ListResponse, page_request, paged_query};
use crate::api::shape::formats::{CsvRecord, Format, cell, respond_list};
use crate::db::DbConnection;
use crate::db::changes::{Author, Change, ChangeFilter};
use crate::db::page::PageRequest;

/// The kinds of resource a change is about.
pub const RESOURCES: [&str; 5] = [
    "startup",
    "metric",
    "observation",
    "incubator",
    "organisation",
];

/// One write to one resource.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeResponse {
    /// Its number: changes are numbered in the order they committed.
    #[schema(example = 42)]
    pub seq: i64,
    /// When it was written (UTC).
    pub at: DateTime<Utc>,
    /// Who wrote it: `import` (the command line), `admin` (an admin token) or `incubator` (a
    /// token of the startup's incubator). Tokens are not named.
    #[schema(example = "incubator")]
    pub by: String,
    /// `startup` (a startup's phases are part of it), `metric`, `observation` (id
    /// `<metric>/<date>`), `incubator` or `organisation`.
    #[schema(example = "startup")]
    pub resource: String,
    #[schema(example = "medle")]
    pub id: String,
    /// `create`, `update` or `delete`.
    #[schema(example = "update")]
    pub action: String,
    /// The resource as it became, as its item route shows it; null for a deletion.
    #[schema(value_type = Option<Object>)]
    pub state: Option<Value>,
}

impl From<Change> for ChangeResponse {
    fn from(change: Change) -> Self {
        Self {
            seq: change.seq,
            at: change.at.and_utc(),
            by: change.author,
            resource: change.resource,
            id: change.resource_id,
            action: change.action,
            state: change
                .state
                .and_then(|state| serde_json::from_str(&state).ok()),
        }
    }
}

impl CsvRecord for ChangeResponse {
    const COLUMNS: &'static [Column] = &[
        Column::new("seq", FieldType::Integer, "Number of the change").key(),
        Column::new("at", FieldType::Datetime, "When it was written, in UTC").required(),
        Column::text("by", "Who wrote it: import, admin or incubator")
            .required()
            .one_of(&Author::ALL),
        Column::text("resource", "Kind of resource")
            .required()
            .one_of(&RESOURCES),
        Column::text("id", "Identifier of the resource").required(),
        Column::text("action", "What the write did")
            .required()
            .one_of(&["create", "update", "delete"]),
        Column::text(
            "state",
            "The resource as it became, as a JSON document; empty for a deletion",
        ),
    ];

    fn record(&self) -> Vec<String> {
        vec![
            self.seq.to_string(),
            self.at.format(DATETIME_FORMAT).to_string(),
            self.by.clone(),
            self.resource.clone(),
            self.id.clone(),
            self.action.clone(),
            cell(&self.state),
        ]
    }
}

paged_query! {
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChangesQuery {
    /// Only the changes numbered after this one: the last `seq` an integrator has applied.
    #[param(minimum = 0, example = 0)]
    pub since: Option<i64>,
}
}

/// The page, format and filter a request for changes asks for; `resource` narrows it to one
/// resource's changes.
pub(crate) fn feed(
    req: &HttpRequest,
    query: ChangesQuery,
    resource: Option<(String, String)>,
) -> Result<(PageRequest, bool, Format, ChangeFilter), ApiError> {
    let request = page_request(query.page_size, query.cursor.as_deref())?;
    if request
        .position()
        .is_some_and(|(_, key)| key.parse::<i64>().is_err())
    {
        return Err(FieldError::foreign_cursor().into());
    }
    let since = query.since.unwrap_or(0);
    if since < 0 {
        return Err(FieldError::new(
            "since",
            format!("`{since}` is not allowed: a change number, 0 or more"),
        )
        .into());
    }
    let format = Format::negotiate(req, query.format);
    Ok((
        request,
        query.wants_whole(),
        format,
        ChangeFilter { since, resource },
    ))
}

/// Reads a page of the changes `filter` selects.
pub(crate) fn fetch(
    filter: ChangeFilter,
) -> impl Fn(
    &mut DbConnection,
    &PageRequest,
) -> diesel::QueryResult<crate::db::page::Page<ChangeResponse>>
+ Send
+ 'static {
    move |conn, request| Change::page(conn, &filter, request).map(|p| p.map(ChangeResponse::from))
}

/// List the changes made by writes, oldest first.
#[utoipa::path(
    tag = "changes",
    params(ChangesQuery),
    responses(
        (status = 200, description = "A page of changes", body = ListResponse<ChangeResponse>),
        (status = 400, description = "Invalid parameter", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/changes")]
pub async fn list_changes(
    req: HttpRequest,
    state: web::Data<AppState>,
    ApiQuery(query): ApiQuery<ChangesQuery>,
) -> Result<HttpResponse, ApiError> {
    let (request, whole, format, filter) = feed(&req, query, None)?;
    respond_list(&req, &state, format, request, whole, fetch(filter)).await
}
