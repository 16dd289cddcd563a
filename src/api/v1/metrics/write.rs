//! Writing impact metrics: `POST /startups/{id}/metrics` defines one for a startup, and
//! `POST /metrics/{id}/observations` records values, one or a batch, replacing those of the
//! same day (an upsert by date). The token must cover the startup's incubator; the metrics of
//! the programme as a whole take an admin token.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, post, web};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::http::auth::Caller;
use crate::api::http::body::{JsonBody, day};
use crate::api::http::error::{ApiError, BodyError, Problem};
use crate::api::http::state::AppState;
use crate::api::shape::writable::{self, Faults, Nested, Writable};
use crate::api::shape::write::{WriteProblems, WriteRequest, Written, record_shown_in, write};
use crate::api::v1::metrics::{MetricSummary, ObservationResponse};
use crate::db::DbConnection;
use crate::db::changes::Action;
use crate::db::metrics::{Metric, Observation, Source, Upserted};
use crate::db::startups::Startup;
use crate::domain::fields::{check_id, check_text};
use crate::domain::source::RecordKind;

const MAX_LABEL: usize = 200;
const MAX_UNIT: usize = 50;
const MAX_DESCRIPTION: usize = 5_000;
const MAX_NOTE: usize = 1_000;
/// The most observations one request may record.
pub const MAX_BATCH: usize = 10_000;

/// A metric a startup publishes.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MetricInput {
    #[schema(example = "medle-actes-enregistres")]
    pub id: String,
    /// The startup it measures: the id of the path it is created at, never of the body.
    #[serde(skip)]
    pub startup: Option<String>,
    #[schema(example = "Actes enregistrés")]
    pub label: String,
    #[schema(example = "actes")]
    pub unit: String,
    #[serde(default)]
    pub description: Option<String>,
}

/// Whether `caller` may write a metric of `startup`, and its observations: the token must
/// cover the startup's incubator, and the startup must exist (404); a metric of the programme
/// as a whole (no startup) takes an admin token.
fn may_write_metric_of(
    conn: &mut DbConnection,
    caller: &Caller,
    startup: Option<&str>,
) -> Result<(), ApiError> {
    let Some(id) = startup else {
        return caller.must_be_admin();
    };
    let startup = Startup::find(conn, id)?.ok_or_else(|| ApiError::NotFound {
        resource: "startup",
        id: id.to_owned(),
    })?;
    caller.may_write_incubator(startup.incubator_id.as_deref())
}

impl Writable for MetricInput {
    type Row = Metric;
    type View = MetricSummary;

    const RESOURCE: &'static str = "metric";
    const COLLECTION: &'static str = "/api/v1/metrics";
    const KIND: Option<RecordKind> = None;
    const CHANGE_WITH: Option<&'static str> = None;
    const ADMIN_ONLY: bool = false;

    fn id(&self) -> Option<&String> {
        Some(&self.id)
    }

    fn row(&self, id: &str) -> Metric {
        Metric {
            id: id.to_owned(),
            label: self.label.clone(),
            unit: self.unit.clone(),
            startup_id: self.startup.clone(),
            description: self.description.clone(),
        }
    }

    fn faults(&self, _stored: Option<&Self>) -> Vec<BodyError> {
        let mut faults = Faults::default();
        faults.check("/id", check_id(&self.id));
        faults.check("/label", check_text(&self.label, MAX_LABEL, true));
        faults.check("/unit", check_text(&self.unit, MAX_UNIT, true));
        faults.check_some("/description", self.description.as_deref(), |d| {
            check_text(d, MAX_DESCRIPTION, false)
        });
        faults.into_vec()
    }

    fn may_write(conn: &mut DbConnection, caller: &Caller, metric: &Self) -> Result<(), ApiError> {
        may_write_metric_of(conn, caller, metric.startup.as_deref())
    }

    fn read(
        conn: &mut DbConnection,
        id: &str,
        _day: NaiveDate,
    ) -> Result<Option<(Metric, MetricSummary)>, ApiError> {
        let Some(metric) = Metric::find(conn, id)? else {
            return Ok(None);
        };
        let summary = MetricSummary::with_latest(conn, vec![metric.clone()])?.pop();
        Ok(summary.map(|summary| (metric, summary)))
    }

    /// Its startup lists its metrics.
    fn shown_in_new(_: &mut DbConnection, metric: &Metric) -> Result<Vec<String>, ApiError> {
        Ok(metric.startup_id.iter().cloned().collect())
    }
}

impl Nested for MetricInput {
    fn place_under(&mut self, startup: String) {
        self.startup = Some(startup);
    }
}

/// One value of a metric.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ObservationInput {
    /// The day the value holds at; for a period, its last day.
    #[serde(deserialize_with = "day::required")]
    pub date: NaiveDate,
    /// The first day of the period the value covers, if it covers one.
    #[serde(default, deserialize_with = "day::optional")]
    pub start: Option<NaiveDate>,
    #[schema(example = 12000)]
    pub value: f64,
    /// Id of the document the value comes from (see the `source` of observations).
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

/// One observation, or a batch of them.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum Observations {
    Batch(Vec<ObservationInput>),
    One(ObservationInput),
}

/// What a batch of observations did.
#[derive(Debug, Serialize, ToSchema)]
pub struct ObservationsWritten {
    #[schema(example = "medle-actes-enregistres")]
    pub metric: String,
    /// Observations of days the metric had none for.
    pub created: usize,
    /// Observations that replaced the value of their day.
    pub updated: usize,
    /// Observations the metric held already, as sent: nothing was written for them.
    pub unchanged: usize,
    /// The observations as recorded, in the order sent.
    pub data: Vec<ObservationResponse>,
}

/// Define a metric of a startup.
#[utoipa::path(
    tag = "metrics",
    request_body = MetricInput,
    security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "Startup id", example = "medle"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe: the same key and body give the same answer, and write once", example = "define-medle-actes"),
    ),
    responses(
        (status = 201, description = "Defined; `Location` says where", body = MetricSummary),
        (status = 409, description = "The id is taken", body = Problem, content_type = "application/problem+json"),
        WriteProblems,
    )
)]
#[post("/startups/{id}/metrics")]
pub async fn create_metric(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    caller: Caller,
    body: JsonBody<MetricInput>,
) -> Result<HttpResponse, ApiError> {
    writable::create_under(req, state, id, caller, body).await
}

/// Record observations of a metric: one object, or an array of them; a value for a day that
/// has one replaces it.
#[utoipa::path(
    tag = "metrics",
    request_body = Observations,
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Metric id", example = "medle-actes-enregistres")),
    responses(
        (status = 200, description = "What was recorded", body = ObservationsWritten),
        WriteProblems,
    )
)]
#[post("/metrics/{id}/observations")]
pub async fn create_observations(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    caller: Caller,
    body: JsonBody<Observations>,
) -> Result<HttpResponse, ApiError> {
    let request = WriteRequest::new(&req, caller, &body.bytes)?;
    let metric_id = id.into_inner();
    let (batch, inputs) = match body.value {
        Observations::Batch(inputs) => (true, inputs),
        Observations::One(input) => (false, vec![input]),
    };
    write(&state, request, move |conn, request| {
        let metric = Metric::find(conn, &metric_id)?.ok_or_else(|| ApiError::NotFound {
            resource: "metric",
            id: metric_id.clone(),
        })?;
        may_write_metric_of(conn, &request.caller, metric.startup_id.as_deref())?;
        let faults = observation_faults(conn, &inputs, batch)?;
        if !faults.is_empty() {
            return Err(ApiError::Invalid(faults));
        }
        let (mut created, mut updated, mut unchanged) = (0, 0, 0);
        let mut data = Vec::with_capacity(inputs.len());
        for input in &inputs {
            let observation = Observation {
                metric_id: metric_id.clone(),
                date: input.date,
                start_date: input.start,
                value: input.value,
                source_id: input.source.clone(),
                note: input.note.clone(),
            };
            let upserted = observation.upsert(conn)?;
            let response = ObservationResponse::from(observation);
            let action = match upserted {
                Upserted::Same => {
                    unchanged += 1;
                    data.push(response);
                    continue;
                }
                Upserted::Replaced => {
                    updated += 1;
                    Action::Update
                }
                Upserted::Created => {
                    created += 1;
                    Action::Create
                }
            };
            let key = format!("{metric_id}/{}", input.date);
            request.record(conn, "observation", &key, action, Some(&response))?;
            data.push(response);
        }
        let written = ObservationsWritten {
            metric: metric_id.clone(),
            created,
            updated,
            unchanged,
            data,
        };
        if created + updated == 0 {
            return Written::unchanged(&written);
        }
        // The metric's latest value, and the startup showing it, may have changed with them.
        let summary = MetricSummary::with_latest(conn, vec![metric.clone()])?;
        request.record(conn, "metric", &metric_id, Action::Update, summary.first())?;
        if let Some(startup) = &metric.startup_id {
            record_shown_in(conn, request, std::slice::from_ref(startup))?;
        }
        Written::json(StatusCode::OK, &written)
    })
    .await
}

/// Every rule a batch breaks; pointers index into the array when one was sent.
fn observation_faults(
    conn: &mut DbConnection,
    inputs: &[ObservationInput],
    batch: bool,
) -> Result<Vec<BodyError>, ApiError> {
    batch_faults(inputs, batch, |source| Ok(Source::exists(conn, source)?))
}

/// Every rule a batch breaks, `source_known` telling whether a source document exists;
/// pointers index into the array when one was sent.
pub fn batch_faults(
    inputs: &[ObservationInput],
    batch: bool,
    mut source_known: impl FnMut(&str) -> Result<bool, ApiError>,
) -> Result<Vec<BodyError>, ApiError> {
    let mut faults = Faults::default();
    if inputs.is_empty() {
        faults.check("", Err("give at least one observation".into()));
    }
    if inputs.len() > MAX_BATCH {
        let count = inputs.len();
        faults.check(
            "",
            Err(format!(
                "{count} observations; at most {MAX_BATCH} a request"
            )),
        );
    }
    for (i, input) in inputs.iter().enumerate() {
        let at = |field: &str| {
            if batch {
                format!("/{i}/{field}")
            } else {
                format!("/{field}")
            }
        };
        if !input.value.is_finite() {
            faults.check(at("value"), Err("must be a finite number".into()));
        }
        faults.check_some(at("start"), input.start.as_ref(), |start| {
            match *start > input.date {
                true => Err(format!("{start} is after the date, {}", input.date)),
                false => Ok(()),
            }
        });
        if let Some(source) = &input.source
            && !source_known(source)?
        {
            faults.check(
                at("source"),
                Err(format!("`{source}` is not a known source document")),
            );
        }
        faults.check_some(at("note"), input.note.as_deref(), |note| {
            check_text(note, MAX_NOTE, false)
        });
        if inputs[..i].iter().any(|other| other.date == input.date) {
            faults.check(
                at("date"),
                Err(format!("{} is given twice in this batch", input.date)),
            );
        }
    }
    Ok(faults.into_vec())
}
