//! The startup list: filters, search, sort, time travel, sparse fields.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::api::http::error::{ApiError, FieldError, Problem};
use crate::api::http::query::{ApiQuery, de};
use crate::api::http::state::AppState;
use crate::api::shape::envelope::{
    ListResponse, WrittenItem, page_request, paged_query, respond, respond_lines,
    respond_with_fields,
};
use crate::api::shape::formats::{Format, respond_collection};
use crate::api::v1::startups::StartupSummary;
use crate::api::v1::startups::lines::{self, Document};
use crate::api::v1::startups::rows;
use crate::db::DbConnection;
use crate::db::page::{Page, PageRequest};
use crate::db::startup_list::{
    self, ListFacts, Sort, SortKey, StartupFilter, StartupKeys, StartupLine,
};
use crate::db::startups::Startup;
use crate::domain::search::search_words;

/// The attributes of a listed startup, as `fields=` may name them.
pub const STARTUP_FIELDS: [&str; 9] = [
    "id",
    "name",
    "pitch",
    "incubator",
    "sponsors",
    "current_phase",
    "created",
    "updated",
    "link",
];

/// `sort`: a key, descending when prefixed with `-`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SortParam(Sort);

pub const SORT_VALUES: &str = "name, -name, created, -created, updated, -updated";

impl FromStr for SortParam {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let (descending, key) = match text.strip_prefix('-') {
            Some(key) => (true, key),
            None => (false, text),
        };
        let key = match key {
            "name" => SortKey::Name,
            "created" => SortKey::Created,
            "updated" => SortKey::Updated,
            _ => return Err(format!("`{text}` is not a sort; allowed: {SORT_VALUES}")),
        };
        Ok(Self(Sort { key, descending }))
    }
}

impl<'de> Deserialize<'de> for SortParam {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

paged_query! {
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StartupsQuery {
    /// Phase, one or several separated by commas (see `/api/v1/phases`): the phase today, or
    /// on `as_of`.
    #[param(example = "construction,acceleration", value_type = Option<String>)]
    #[serde(default, deserialize_with = "de::comma_list")]
    pub phase: Vec<String>,
    /// Incubator id.
    #[param(example = "sgmas")]
    pub incubator: Option<String>,
    /// Sponsor organisation id.
    #[param(example = "dgs")]
    pub sponsor: Option<String>,
    /// Who the startup serves, as in its `usertypes`.
    #[param(example = "particulier")]
    pub usertype: Option<String>,
    /// A public-policy theme, as in its `thematiques`.
    #[param(example = "Santé")]
    pub thematique: Option<String>,
    /// Keep startups whose first phase started on or after this day (YYYY-MM-DD).
    #[param(example = "2019-01-01", value_type = Option<String>, format = Date)]
    #[serde(default, deserialize_with = "de::date")]
    pub created_after: Option<NaiveDate>,
    /// Keep startups whose first phase started on or before this day (YYYY-MM-DD).
    #[param(example = "2020-12-31", value_type = Option<String>, format = Date)]
    #[serde(default, deserialize_with = "de::date")]
    pub created_before: Option<NaiveDate>,
    /// Full-text search in name, pitch and description, ignoring case and accents; every word
    /// must match, as a prefix from 3 characters on (`numéri`), as a whole word when shorter.
    /// French and English stop words (`le`, `de`, `pour`, `the`…) are ignored and repeats count
    /// once; more than 8 distinct words is a 400. Without `sort`, results come best match first.
    #[param(example = "medle")]
    pub q: Option<String>,
    /// Order: `name`, `created` (start of the first phase; startups without one come last),
    /// `updated`; prefixed with `-` for descending. Ties are broken by id. Default: by id, or by
    /// relevance with `q`.
    #[param(example = "-created", value_type = Option<String>,
        pattern = r"^-?(name|created|updated)$")]
    pub sort: Option<SortParam>,
    /// Attributes to return, comma-separated, among id, name, pitch, incubator, sponsors,
    /// current_phase, created, updated, link. `id` is always returned.
    #[param(example = "name,current_phase", value_type = Option<String>)]
    #[serde(default, deserialize_with = "de::comma_list")]
    pub fields: Vec<String>,
    /// Show the portfolio as it was on this day (YYYY-MM-DD): startups not started yet are left
    /// out, `current_phase` and `phase` refer to that day.
    #[param(example = "2020-06-30", value_type = Option<String>, format = Date)]
    #[serde(default, deserialize_with = "de::date")]
    pub as_of: Option<NaiveDate>,
}
}

/// List startups: filter, search, sort, and see the portfolio on any date.
#[utoipa::path(
    tag = "startups",
    params(StartupsQuery),
    responses(
        (status = 200, description = "A page of startups", body = ListResponse<StartupSummary>),
        (status = 400, description = "Invalid parameter", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/startups")]
pub async fn list_startups(
    req: HttpRequest,
    state: web::Data<AppState>,
    ApiQuery(query): ApiQuery<StartupsQuery>,
) -> Result<HttpResponse, ApiError> {
    list_startups_page(&req, &state, query, None).await
}

/// Checks what the query asks for, beyond the shape of each parameter; `known_phases` are the
/// phase ids stored.
pub fn validate(query: &StartupsQuery, known_phases: &[String]) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    if let Some(unknown) = query.phase.iter().find(|p| !known_phases.contains(p)) {
        errors.push(FieldError::new(
            "phase",
            format!(
                "`{unknown}` is not a phase; allowed: {}",
                known_phases.join(", ")
            ),
        ));
    }
    if let Some(unknown) = query
        .fields
        .iter()
        .find(|f| !STARTUP_FIELDS.contains(&f.as_str()))
    {
        errors.push(FieldError::new(
            "fields",
            format!(
                "`{unknown}` is not a field; allowed: {}",
                STARTUP_FIELDS.join(", ")
            ),
        ));
    }
    if let Some(Err(error)) = query.q.as_deref().map(search_words) {
        errors.push(FieldError::new("q", error.to_string()));
    }
    if let (Some(after), Some(before)) = (query.created_after, query.created_before)
        && after > before
    {
        errors.push(FieldError::new(
            "created_before",
            format!("{before} is before created_after ({after})"),
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::InvalidParameters(errors))
    }
}

/// Serves a page of startups, with `incubator` forced when given.
pub async fn list_startups_page(
    req: &HttpRequest,
    state: &AppState,
    query: StartupsQuery,
    incubator: Option<String>,
) -> Result<HttpResponse, ApiError> {
    let request = page_request(query.page_size, query.cursor.as_deref())?;
    let known_phases: Arc<[String]> = if query.phase.is_empty() {
        Arc::new([])
    } else {
        state.phase_ids(req).await?
    };
    validate(&query, &known_phases)?;
    let search = match query.q.as_deref().map(search_words) {
        Some(Ok(words)) => words,
        // `validate` refused a search without words, or with too many.
        _ => Vec::new(),
    };
    let by_id = Sort {
        key: SortKey::Id,
        descending: false,
    };
    let sort = match query.sort {
        Some(SortParam(sort)) => sort,
        None if !search.is_empty() => Sort {
            key: SortKey::Relevance,
            descending: false,
        },
        None => by_id,
    };
    if let Some(cursor) = &request.cursor
        && !sort.accepts(cursor)
    {
        return Err(FieldError::new(
            "cursor",
            "not a cursor issued by this list with this sort: follow links.next or links.prev as given",
        )
        .into());
    }
    let day = query.as_of.unwrap_or_else(|| state.today());
    let whole = query.wants_whole();
    let filter = StartupFilter {
        phases: query.phase,
        incubator: incubator.or(query.incubator),
        sponsor: query.sponsor,
        usertype: query.usertype,
        thematique: query.thematique,
        created_after: query.created_after,
        created_before: query.created_before,
        search,
        started_by: query.as_of,
        day,
    };
    let format = Format::negotiate(req, query.format);
    if format == Format::Csv && !query.fields.is_empty() {
        return Err(FieldError::new(
            "fields",
            "CSV has fixed columns; use fields with json or ndjson",
        )
        .into());
    }
    let all_fields = query.fields.is_empty();
    if format != Format::Json && whole && filter.selects_all() && sort == by_id && all_fields {
        return lines::respond_whole(state, Document::Startups, format, day).await;
    }
    if format != Format::Json {
        // NDJSON lines hold the fields asked for, as JSON items do (CSV refused them above).
        let fields: Option<Arc<[String]>> = (!all_fields).then(|| query.fields.clone().into());
        let fetch = move |conn: &mut DbConnection, request: &PageRequest| {
            rows::fetch(conn, &filter, sort, fields.as_ref(), request)
        };
        return respond_collection(req, state, format, request, whole, fetch).await;
    }
    let size = request.size;
    // With every field, each item is its stored line in the list when that holds on the day, as
    // in the whole export; any other is rendered from its rows.
    // Only a page by relevance is ranked: another sort reads the hits in its own order.
    let ranked = sort.key == SortKey::Relevance && !filter.search.is_empty();
    let searcher = state.searcher.clone().filter(|_| ranked);
    let found = searcher.as_ref().and_then(|_| state.search_index_at(req));
    let known = found.is_some();
    // A search that the database may rank, or that may read the search index whole, takes its
    // turn among searches. One ranked from the index found current at this revision is ranked
    // in memory, and its page read by id: a short read, as a page is.
    let _turn = match filter.search.is_empty() || known {
        true => None,
        false => Some(state.bulkheads.search(state.query_timeout).await?),
    };
    let facts = state.list_facts(req).await?;
    let plans = startup_list::plans(&filter, sort, &facts, known);
    let lines = match all_fields && startup_list::ranged(&filter, sort, &facts) {
        true => ranged_lines(state, &filter, sort, &request, &facts).await?,
        false => None,
    };
    if let Some(page) = lines {
        return Ok(respond_lines(req, page, size));
    }
    let from_pool = move |conn: &mut DbConnection| {
        let index = match (&found, &searcher) {
            (Some(index), _) => Some(Arc::clone(index)),
            (None, Some(searcher)) => searcher.current(conn)?,
            (None, None) => None,
        };
        let (ranked_by, facts_given) = (index.as_deref(), Some(&*facts));
        let (page, rows): (Page<StartupLine>, HashMap<String, Startup>) = match all_fields {
            // Keys and stored lines (`StartupLine`): the rows of the items without a line
            // that holds on the day are read whole after the page.
            true => {
                let page: Page<StartupLine> =
                    startup_list::page(conn, &filter, sort, &request, ranked_by, facts_given)?;
                let missing: Vec<String> = (page.rows.iter())
                    .filter(|row| row.line.is_none())
                    .map(|row| row.keys.id.clone())
                    .collect();
                let rows = match missing.is_empty() {
                    true => Vec::new(),
                    false => Startup::find_many(conn, &missing)?,
                };
                (page, rows.into_iter().map(|s| (s.id.clone(), s)).collect())
            }
            // A `fields` projection renders every item from its row: read whole at once.
            false => {
                let page: Page<Startup> =
                    startup_list::page(conn, &filter, sort, &request, ranked_by, facts_given)?;
                let mut rows = HashMap::new();
                let page = page.map(|s| {
                    let keys = StartupKeys::from(&s);
                    rows.insert(s.id.clone(), s);
                    StartupLine { keys, line: None }
                });
                (page, rows)
            }
        };
        let rendered: Vec<String> = rows.keys().cloned().collect();
        Ok((page, rows, Startup::relations(conn, &rendered)?, index))
    };
    let (page, mut rows, mut relations, index) = state.short_read_planned(plans, from_pool).await?;
    if let Some(index) = index.filter(|_| !known) {
        state.found_current(req, &index);
    }
    // A startup whose row is gone when it is read whole was deleted after the page was read
    // (PostgreSQL reads each statement on its own snapshot): it is left out of the page.
    let mut summary = |keys: &StartupKeys| {
        let s = rows.remove(&keys.id)?;
        let r = relations.remove(&s.id).unwrap_or_default();
        Some(StartupSummary::new(s, r, day))
    };
    if !all_fields {
        let page = page.filter_map(|row| summary(&row.keys));
        return respond_with_fields(req, page, size, &query.fields);
    }
    let page = page
        .filter_map(|row| match row.line {
            Some(line) => Some(WrittenItem::of_line(line)),
            None => summary(&row.keys).map(|s| WrittenItem::of(&s)),
        })
        .try_map(|item| item)?;
    Ok(respond(req, page, size))
}

/// The page of a [`startup_list::ranged`] list as its items' stored lines, read in one
/// statement: on PostgreSQL on the worker's pipelined connection, when it has one (else as any
/// other page); on SQLite outside a transaction ([`startup_list::ranged_lines`]). `None` when
/// the page is to be read as any other: it has no rows, or an item without a line that holds
/// on the day, or (on SQLite) the facts no longer hold.
async fn ranged_lines(
    state: &AppState,
    filter: &StartupFilter,
    sort: Sort,
    request: &PageRequest,
    facts: &Arc<ListFacts>,
) -> Result<Option<Page<String>>, ApiError> {
    if state.pipelined().is_some() {
        let read = async |conn: &_| {
            startup_list::ranged_page_pipelined(conn, filter, sort, request, facts).await
        };
        let page = state.read_pipelined(read).await?.flatten();
        let lined = page.filter(|page| page.rows.iter().all(|row| row.line.is_some()));
        return Ok(lined.map(|page| page.filter_map(|row| row.line)));
    }
    if state.pool.is_postgres() {
        return Ok(None);
    }
    let (filter, request, facts) = (filter.clone(), request.clone(), Arc::clone(facts));
    let read = move |conn: &mut DbConnection| {
        startup_list::ranged_lines(conn, &filter, sort, &request, &facts)
    };
    state.short_statement(read).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_parse_with_their_direction() {
        let SortParam(sort) = "-created".parse().expect("valid");
        assert_eq!((sort.key, sort.descending), (SortKey::Created, true));
        let SortParam(sort) = "name".parse().expect("valid");
        assert_eq!((sort.key, sort.descending), (SortKey::Name, false));
        let error = "colour".parse::<SortParam>().expect_err("invalid");
        assert!(error.contains("-updated"), "{error}");
        assert!("--name".parse::<SortParam>().is_err());
        assert!("relevance".parse::<SortParam>().is_err());
    }
}
