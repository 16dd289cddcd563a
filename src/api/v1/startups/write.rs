//! Writing startups and their phases: `POST /startups`, `PUT`/`PATCH`/`DELETE /startups/{id}`,
//! and the phase transitions `POST /startups/{id}/phases`, `PATCH`/`DELETE
//! /startups/{id}/phases/{start}`.
//!
//! Every write is checked whole before anything is kept: the shape of the body, the rules of
//! each field, the phase history, and that the incubator and sponsors exist; each fault is a
//! 422 item with its JSON Pointer. The token must cover the startup's incubator before and
//! after the write. A startup's phases are part of it: each write records the whole startup,
//! as it became, in the change feed.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, delete, patch, post, put, web};
use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::api::http::auth::Caller;
use crate::api::http::body::{JsonBody, day};
use crate::api::http::error::{ApiError, BodyError, Problem};
use crate::api::http::state::AppState;
use crate::api::publish::compat::document::{changed_fields, startup_fields};
use crate::api::shape::writable::{Changeable, Faults, Writable, current, store};
use crate::api::shape::write::{WriteProblems, WriteRequest, patched, path_segment, write};
use crate::api::shape::write_routes::write_routes;
use crate::db::DbConnection;
use crate::db::Keyed;
use crate::db::changes::Action;
use crate::db::incubators::Incubator;
use crate::db::metrics::Metric;
use crate::db::organisations::Organisation;
use crate::db::startups::{EventRow, PhaseRow, Relations, Startup, StartupGraph};
use crate::domain::fields::{check_contact, check_id, check_text, check_url};
use crate::domain::phases::{PhaseRuleViolation, PhaseSpan, REFERENCE_PHASES, validate_history};
use crate::domain::source::RecordKind;
use crate::representation::startup::{StartupRecord, StartupResponse};

const MAX_NAME: usize = 200;
const MAX_PITCH: usize = 500;
const MAX_DESCRIPTION: usize = 50_000;
const MAX_LABEL: usize = 100;
const MAX_COMMENT: usize = 2_000;

/// A startup as a state service writes it. Absent lists are empty; absent texts are unset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartupInput {
    /// Its id, as the source names it (capitals and accents allowed; not `.`-led, no `/`, `\`,
    /// `?`, `#`, `%` or control character): required to create, and when given to
    /// `PUT` or `PATCH`, the id of the path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "medle")]
    pub id: Option<String>,
    #[schema(example = "Medlé")]
    pub name: String,
    #[serde(default)]
    pub pitch: Option<String>,
    /// Markdown.
    #[serde(default)]
    pub description: Option<String>,
    /// Id of the incubator hosting it.
    #[serde(default)]
    #[schema(example = "sgmas")]
    pub incubator: Option<String>,
    /// Ids of the other incubators it is co-incubated by, beside `incubator`; the startup is
    /// listed under each.
    #[serde(default)]
    pub co_incubators: Vec<String>,
    /// Ids of its sponsor organisations.
    #[serde(default)]
    pub sponsors: Vec<String>,
    #[serde(default)]
    pub link: Option<String>,
    #[serde(default)]
    pub repository: Option<String>,
    /// An e-mail address, or a web page.
    #[serde(default)]
    pub contact: Option<String>,
    #[serde(default)]
    pub usertypes: Vec<String>,
    #[serde(default)]
    pub thematiques: Vec<String>,
    /// Technologies it is built with.
    #[serde(default)]
    pub techno: Vec<String>,
    /// Where it publishes its usage statistics.
    #[serde(default)]
    pub stats_url: Option<String>,
    /// Its declared accessibility compliance.
    #[serde(default)]
    #[schema(example = "partiellement conforme")]
    pub accessibility_status: Option<String>,
    /// The phase history, oldest first.
    #[serde(default)]
    pub phases: Vec<PhaseInput>,
    #[serde(default)]
    pub events: Vec<EventInput>,
}

/// One dated phase.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PhaseInput {
    #[schema(example = "construction")]
    pub phase: String,
    #[serde(deserialize_with = "day::required")]
    pub start: NaiveDate,
    /// The last day; absent while it runs.
    #[serde(default, deserialize_with = "day::optional")]
    pub end: Option<NaiveDate>,
}

/// Something that happened to a startup.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventInput {
    pub name: String,
    #[serde(deserialize_with = "day::required")]
    pub date: NaiveDate,
    #[serde(default)]
    pub comment: Option<String>,
}

impl StartupInput {
    /// The spans of its phase history, in its order.
    fn history(&self) -> Vec<PhaseSpan> {
        self.phases
            .iter()
            .map(|p| PhaseSpan {
                phase: p.phase.clone(),
                start: p.start,
                end: p.end,
            })
            .collect()
    }

    /// Every rule the startup breaks that needs no database, each with its place, where the method's rules hold for new phases only: a phase of `stored`
    /// (the history as it is kept, perhaps imported from a real tree with same-day phases or
    /// overlaps) is not blamed for them, so a change of one field of a startup with such a
    /// history succeeds.
    fn faults_beside(&self, stored: &[PhaseSpan]) -> Vec<BodyError> {
        let mut faults = Faults::default();
        let mut check = |pointer: String, outcome| faults.check(pointer, outcome);
        if let Some(id) = &self.id {
            check("/id".into(), check_id(id));
        }
        check("/name".into(), check_text(&self.name, MAX_NAME, true));
        let texts = [
            ("pitch", &self.pitch, MAX_PITCH),
            ("description", &self.description, MAX_DESCRIPTION),
        ];
        for (field, text, max) in texts {
            if let Some(text) = text {
                check(format!("/{field}"), check_text(text, max, false));
            }
        }
        if let Some(status) = &self.accessibility_status {
            check(
                "/accessibility_status".into(),
                check_text(status, MAX_LABEL, false),
            );
        }
        let urls = [
            ("link", &self.link),
            ("repository", &self.repository),
            ("stats_url", &self.stats_url),
        ];
        for (field, url) in urls {
            if let Some(url) = url {
                check(format!("/{field}"), check_url(url));
            }
        }
        if let Some(contact) = &self.contact {
            check("/contact".into(), check_contact(contact));
        }
        let labels = [
            ("sponsors", &self.sponsors),
            ("usertypes", &self.usertypes),
            ("thematiques", &self.thematiques),
            ("techno", &self.techno),
        ];
        for (field, values) in labels {
            for (i, value) in values.iter().enumerate() {
                // Sponsors are organisation ids, as long as ids may be.
                let rule = if field == "sponsors" {
                    check_id(value)
                } else {
                    check_text(value, MAX_LABEL, true)
                };
                check(format!("/{field}/{i}"), rule);
                if values[..i].contains(value) {
                    check(
                        format!("/{field}/{i}"),
                        Err(format!("`{value}` is listed twice")),
                    );
                }
            }
        }
        for (i, event) in self.events.iter().enumerate() {
            check(
                format!("/events/{i}/name"),
                check_text(&event.name, MAX_NAME, true),
            );
            if let Some(comment) = &event.comment {
                check(
                    format!("/events/{i}/comment"),
                    check_text(comment, MAX_COMMENT, false),
                );
            }
        }
        let history = self.history();
        let new = |violation: &PhaseRuleViolation| !stored.contains(&history[violation.index()]);
        let violations = validate_history(&history, |p| REFERENCE_PHASES.contains(&p));
        for violation in violations.into_iter().filter(new) {
            let detail = match &violation {
                PhaseRuleViolation::UnknownPhase { phase, .. } => format!(
                    "`{phase}` is not a phase; allowed: {}",
                    REFERENCE_PHASES.join(", ")
                ),
                other => other.to_string(),
            };
            check(
                format!("/phases/{}/{}", violation.index(), violation.field()),
                Err(detail),
            );
        }
        faults.into_vec()
    }

    /// The rows to store for startup `id`.
    fn graph(&self, id: &str) -> StartupGraph {
        StartupGraph {
            startup: Startup {
                id: id.to_owned(),
                name: self.name.clone(),
                pitch: self.pitch.clone(),
                incubator_id: self.incubator.clone(),
                link: self.link.clone(),
                repository: self.repository.clone(),
                contact: self.contact.clone(),
                description: self.description.clone(),
                // Derived from the phases when the graph is stored.
                created_on: None,
                latest_phase_id: None,
                latest_phase_start: None,
                updated_at: Utc::now().naive_utc(),
                stats_url: self.stats_url.clone(),
                accessibility_status: self.accessibility_status.clone(),
            },
            relations: Relations {
                co_incubators: self.co_incubators.clone(),
                phases: self
                    .phases
                    .iter()
                    .map(|p| PhaseRow {
                        startup_id: id.to_owned(),
                        position: 0,
                        phase_id: p.phase.clone(),
                        start_date: p.start,
                        end_date: p.end,
                        next_start: None,
                    })
                    .collect(),
                sponsors: self.sponsors.clone(),
                usertypes: self.usertypes.clone(),
                thematiques: self.thematiques.clone(),
                techno: self.techno.clone(),
                events: self
                    .events
                    .iter()
                    .enumerate()
                    .map(|(i, e)| EventRow {
                        startup_id: id.to_owned(),
                        position: i32::try_from(i).unwrap_or(i32::MAX),
                        name: e.name.clone(),
                        date: e.date,
                        comment: e.comment.clone(),
                    })
                    .collect(),
            },
        }
    }
}

impl Writable for StartupInput {
    type Row = StartupGraph;
    type View = StartupResponse;

    const RESOURCE: &'static str = "startup";
    const KIND: Option<RecordKind> = Some(RecordKind::Startup);
    const COLLECTION: &'static str = "/api/v1/startups";
    const CHANGE_WITH: Option<&'static str> = Some("PUT or PATCH");
    const ADMIN_ONLY: bool = false;

    fn id(&self) -> Option<&String> {
        self.id.as_ref()
    }

    fn row(&self, id: &str) -> StartupGraph {
        self.graph(id)
    }

    /// The method's rules hold for new phases only: those of `stored` are not blamed.
    fn faults(&self, stored: Option<&Self>) -> Vec<BodyError> {
        self.faults_beside(&stored.map(Self::history).unwrap_or_default())
    }

    /// The incubator, the co-incubators and the sponsors exist.
    fn reference_faults(&self, conn: &mut DbConnection) -> Result<Vec<BodyError>, ApiError> {
        let mut faults = Faults::default();
        if let Some(incubator) = &self.incubator
            && !Incubator::exists(conn, incubator)?
        {
            faults.check(
                "/incubator",
                Err(format!(
                    "`{incubator}` is not an incubator (see /api/v1/incubators)"
                )),
            );
        }
        for (i, incubator) in self.co_incubators.iter().enumerate() {
            let pointer = format!("/co_incubators/{i}");
            if !Incubator::exists(conn, incubator)? {
                faults.check(
                    pointer,
                    Err(format!(
                        "`{incubator}` is not an incubator (see /api/v1/incubators)"
                    )),
                );
            } else if Some(incubator) == self.incubator.as_ref()
                || self.co_incubators[..i].contains(incubator)
            {
                faults.check(pointer, Err(format!("`{incubator}` is listed already")));
            }
        }
        for (i, sponsor) in self.sponsors.iter().enumerate() {
            if !Organisation::exists(conn, sponsor)? {
                faults.check(
                    format!("/sponsors/{i}"),
                    Err(format!(
                        "`{sponsor}` is not an organisation (see /api/v1/organisations)"
                    )),
                );
            }
        }
        Ok(faults.into_vec())
    }

    /// Its incubator, as stored and as written, must be within the token's scope.
    fn may_write(_: &mut DbConnection, caller: &Caller, startup: &Self) -> Result<(), ApiError> {
        caller.may_write_incubator(startup.incubator.as_deref())
    }

    fn read(
        conn: &mut DbConnection,
        id: &str,
        day: NaiveDate,
    ) -> Result<Option<(StartupGraph, StartupResponse)>, ApiError> {
        Ok(StartupRecord::read(conn, id)?.map(|record| (record.graph(), record.response(day))))
    }
}

impl Changeable for StartupInput {
    /// The writable part of a stored startup, the base a `PATCH` applies to.
    fn of(graph: &StartupGraph) -> Self {
        let (startup, relations) = (&graph.startup, &graph.relations);
        Self {
            id: Some(startup.id.clone()),
            name: startup.name.clone(),
            pitch: startup.pitch.clone(),
            description: startup.description.clone(),
            incubator: startup.incubator_id.clone(),
            co_incubators: relations.co_incubators.clone(),
            sponsors: relations.sponsors.clone(),
            link: startup.link.clone(),
            repository: startup.repository.clone(),
            contact: startup.contact.clone(),
            usertypes: relations.usertypes.clone(),
            thematiques: relations.thematiques.clone(),
            techno: relations.techno.clone(),
            stats_url: startup.stats_url.clone(),
            accessibility_status: startup.accessibility_status.clone(),
            phases: relations
                .phases
                .iter()
                .map(|p| PhaseInput {
                    phase: p.phase_id.clone(),
                    start: p.start_date,
                    end: p.end_date,
                })
                .collect(),
            events: relations
                .events
                .iter()
                .map(|e| EventInput {
                    name: e.name.clone(),
                    date: e.date,
                    comment: e.comment.clone(),
                })
                .collect(),
        }
    }

    /// Its metrics and their observations go with it, each recorded.
    fn before_delete(
        conn: &mut DbConnection,
        request: &WriteRequest,
        id: &str,
    ) -> Result<(), ApiError> {
        for metric in Metric::of_startup(conn, id)? {
            Metric::delete(conn, &metric.id)?;
            request.record::<()>(conn, "metric", &metric.id, Action::Delete, None)?;
        }
        Ok(())
    }

    /// Derived columns and write times aside, what the rows say before and after.
    fn changed(before: &StartupGraph, after: &StartupGraph) -> (Vec<String>, bool) {
        let fields = |g: &StartupGraph| startup_fields(&g.startup, &g.relations);
        let changed = changed_fields(&fields(before), &fields(after));
        (
            changed,
            before.startup.description != after.startup.description,
        )
    }
}

write_routes! {
    StartupInput => StartupResponse, tag = "startups", resource = "startup",
    paths = ("/startups", "/startups/{id}"), id = ("Startup id", "medle");
    /// Create a startup. Needs a token covering its incubator.
    create create_startup, idempotency_key = "6f1c0a52-create-medle";
    /// Replace a startup whole: attributes, phases, sponsors, tags and events.
    replace replace_startup;
    /// Change some attributes of a startup: a JSON Merge Patch (RFC 7396) of its writable
    /// document (a list given replaces the list; `null` unsets).
    update update_startup;
    /// Delete a startup, with its phases, sponsors, tags, events, metrics and their observations.
    delete delete_startup;
}

/// A phase transition: the phase the startup enters and when.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PhaseTransition {
    #[schema(example = "acceleration")]
    pub phase: String,
    #[serde(deserialize_with = "day::required")]
    pub start: NaiveDate,
    #[serde(default, deserialize_with = "day::optional")]
    pub end: Option<NaiveDate>,
}

/// Enter a phase: the phase still open closes the day before this one starts.
#[utoipa::path(
    tag = "startups",
    request_body = PhaseTransition,
    security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "Startup id", example = "medle"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe: the same key and body give the same answer, and write once", example = "6f1c0a52-medle-acceleration"),
    ),
    responses(
        (status = 201, description = "The startup with its new phase; `Location` names the phase", body = StartupResponse),
        WriteProblems,
    )
)]
#[post("/startups/{id}/phases")]
pub async fn create_phase(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    caller: Caller,
    body: JsonBody<PhaseTransition>,
) -> Result<HttpResponse, ApiError> {
    let request = WriteRequest::new(&req, caller, &body.bytes)?;
    let (id, transition) = (id.into_inner(), body.value);
    write(&state, request, move |conn, request| {
        let stored: StartupInput = current(conn, request, &id)?;
        let mut input = stored.clone();
        if let Some(open) = input.phases.last_mut().filter(|p| p.end.is_none())
            && let Some(eve) = transition.start.pred_opt().filter(|eve| *eve >= open.start)
        {
            open.end = Some(eve);
        }
        input.phases.push(PhaseInput {
            phase: transition.phase.clone(),
            start: transition.start,
            end: transition.end,
        });
        let index = input.phases.len() - 1;
        let written = store(conn, request, &id, &input, &stored)
            .map_err(|e| rebase(e, &format!("/phases/{index}")))?;
        Ok(written.with_status(StatusCode::CREATED).created_at(format!(
            "/api/v1/startups/{}/phases/{}",
            path_segment(&id),
            transition.start
        )))
    })
    .await
}

/// Faults found in the whole history, told to the writer of one phase: those of the new phase
/// point into the body; the others keep their place in the history, said in the detail.
fn rebase(error: ApiError, phase: &str) -> ApiError {
    match error {
        ApiError::Invalid(faults) => ApiError::Invalid(
            faults
                .into_iter()
                .map(|f| match f.pointer.strip_prefix(phase) {
                    Some(rest) => BodyError::new(rest, f.detail),
                    None => {
                        BodyError::new("", format!("in the history, {}: {}", f.pointer, f.detail))
                    }
                })
                .collect(),
        ),
        other => other,
    }
}

/// Change one phase, named by its start: a JSON Merge Patch of `{phase, start, end}`.
#[utoipa::path(
    tag = "startups",
    request_body(content = Object, content_type = "application/merge-patch+json", description = "The fields of the phase to change: phase, start, end"),
    security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "Startup id", example = "medle"),
        ("start" = String, Path, description = "Start of the phase (YYYY-MM-DD)", example = "2019-06-15"),
        ("If-Match" = Option<String>, Header, description = "The startup's ETag: the write is refused (412) if it changed since", example = "\"5d41402abc4b2a76b9719d911017c592\""),
    ),
    responses(
        (status = 200, description = "The startup as it became", body = StartupResponse),
        (status = 412, description = "Changed since the version `If-Match` names", body = Problem, content_type = "application/problem+json"),
        WriteProblems,
    )
)]
#[patch("/startups/{id}/phases/{start}")]
pub async fn update_phase(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    caller: Caller,
    body: JsonBody<Value>,
) -> Result<HttpResponse, ApiError> {
    let request = WriteRequest::new(&req, caller, &body.bytes)?;
    let ((id, start), patch) = (path.into_inner(), body.value);
    let start = phase_start(&id, &start)?;
    write(&state, request, move |conn, request| {
        let stored: StartupInput = current(conn, request, &id)?;
        let mut input = stored.clone();
        let index = phase_index(&input, &id, start)?;
        input.phases[index] = patched(&input.phases[index], &patch)?;
        // A history kept in order stays in order; one imported out of order keeps its order.
        if stored.phases.is_sorted_by_key(|p| p.start) {
            input.phases.sort_by_key(|p| p.start);
        }
        store(conn, request, &id, &input, &stored)
    })
    .await
}

/// Delete one phase, named by its start.
#[utoipa::path(
    tag = "startups",
    security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "Startup id", example = "medle"),
        ("start" = String, Path, description = "Start of the phase (YYYY-MM-DD)", example = "2019-06-15"),
        ("If-Match" = Option<String>, Header, description = "The startup's ETag: the write is refused (412) if it changed since", example = "\"5d41402abc4b2a76b9719d911017c592\""),
    ),
    responses(
        (status = 200, description = "The startup as it became", body = StartupResponse),
        (status = 412, description = "Changed since the version `If-Match` names", body = Problem, content_type = "application/problem+json"),
        WriteProblems,
    )
)]
#[delete("/startups/{id}/phases/{start}")]
pub async fn delete_phase(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    let request = WriteRequest::new(&req, caller, &[])?;
    let (id, start) = path.into_inner();
    let start = phase_start(&id, &start)?;
    write(&state, request, move |conn, request| {
        let stored: StartupInput = current(conn, request, &id)?;
        let mut input = stored.clone();
        let index = phase_index(&input, &id, start)?;
        input.phases.remove(index);
        store(conn, request, &id, &input, &stored)
    })
    .await
}

fn phase_not_found(id: &str, start: &str) -> ApiError {
    ApiError::NotFound {
        resource: "phase",
        id: format!("{id}/{start}"),
    }
}

fn phase_start(id: &str, start: &str) -> Result<NaiveDate, ApiError> {
    NaiveDate::parse_from_str(start, "%Y-%m-%d").map_err(|_| phase_not_found(id, start))
}

fn phase_index(input: &StartupInput, id: &str, start: NaiveDate) -> Result<usize, ApiError> {
    input
        .phases
        .iter()
        .position(|p| p.start == start)
        .ok_or_else(|| phase_not_found(id, &start.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> StartupInput {
        serde_json::from_value(serde_json::json!({
            "id": "medle",
            "name": "Medlé",
            "contact": "equipe@medle.fr",
            "link": "https://medle.fabrique.social.gouv.fr",
            "phases": [
                {"phase": "investigation", "start": "2019-01-01", "end": "2019-05-31"},
                {"phase": "construction", "start": "2019-06-01"}
            ]
        }))
        .expect("a startup")
    }

    fn pointers(input: &StartupInput) -> Vec<String> {
        input.faults(None).into_iter().map(|f| f.pointer).collect()
    }

    #[test]
    fn a_good_startup_breaks_no_rule() {
        assert!(input().faults(None).is_empty());
    }

    #[test]
    fn each_fault_points_at_its_field() {
        let mut bad = input();
        bad.id = Some("med/le".into());
        bad.name = " ".into();
        bad.contact = Some("not a mail".into());
        bad.link = Some("medle.fr".into());
        bad.pitch = Some("x".repeat(MAX_PITCH + 1));
        bad.sponsors = vec!["dgs".into(), "dgs".into()];
        bad.phases[1].phase = "success".into();
        bad.phases[0].end = Some(NaiveDate::from_ymd_opt(2018, 1, 1).expect("date"));
        assert_eq!(
            pointers(&bad),
            [
                "/id",
                "/name",
                "/pitch",
                "/link",
                "/contact",
                "/sponsors/1",
                "/phases/0/end",
                "/phases/1/phase"
            ]
        );
    }

    #[test]
    fn overlapping_phases_point_at_the_later_start() {
        let mut bad = input();
        bad.phases[1].start = NaiveDate::from_ymd_opt(2019, 5, 1).expect("date");
        assert_eq!(pointers(&bad), ["/phases/1/start"]);
    }

    #[test]
    fn the_writable_document_round_trips() {
        let graph = input().graph("medle");
        let again = StartupInput::of(&graph);
        assert_eq!(again, input());
    }
}
