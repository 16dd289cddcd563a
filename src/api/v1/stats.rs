//! `/api/v1/stats`: the questions analysts ask of the whole portfolio, on any date.

use std::collections::BTreeMap;

use actix_web::{get, web};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::http::error::{ApiError, Problem};
use crate::api::http::query::{ApiQuery, de};
use crate::api::http::state::AppState;
use crate::db::phases::Phase;
use crate::db::stats::{self, GroupBy, Portfolio, Scope};
use crate::domain::phases::PhaseSpan;
use crate::domain::stats::{Outcomes, PhaseDurations, classify, phase_durations};

/// The portfolio in figures.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatsResponse {
    /// The day the figures describe.
    pub as_of: NaiveDate,
    /// The incubator they are restricted to, if any.
    pub incubator: Option<String>,
    /// Startups in the portfolio on `as_of`: started by then; without `as_of`, every startup,
    /// including those without any dated phase.
    #[schema(example = 30)]
    pub startups_total: i64,
    /// Startups per phase on `as_of`; phases with none are left out.
    #[schema(example = json!({"transfere": 5, "abandon": 4}))]
    pub startups_by_phase: BTreeMap<String, i64>,
    /// Startups per incubator id; a co-incubated startup counts under each of its incubators,
    /// and once in `startups_total`.
    #[schema(example = json!({"sgmas": 10, "dinum": 19}))]
    pub startups_by_incubator: BTreeMap<String, i64>,
    /// Startups per year their first phase started.
    #[schema(example = json!({"2018": 2, "2019": 4}))]
    pub created_by_year: BTreeMap<String, i64>,
    #[schema(example = 6)]
    pub incubators_total: i64,
    #[schema(example = 21)]
    pub organisations_total: i64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// The day to describe (YYYY-MM-DD); default: today.
    #[param(example = "2020-06-30", value_type = Option<String>, format = Date)]
    #[serde(default, deserialize_with = "de::date")]
    pub as_of: Option<NaiveDate>,
    /// Restrict to one incubator's startups.
    #[param(example = "sgmas")]
    pub incubator: Option<String>,
}

/// Portfolio statistics: startups by phase, by incubator and by year of creation.
#[utoipa::path(
    tag = "stats",
    params(StatsQuery),
    responses(
        (status = 200, description = "The figures", body = StatsResponse),
        (status = 400, description = "Invalid parameter", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/stats")]
pub async fn get_stats(
    state: web::Data<AppState>,
    ApiQuery(query): ApiQuery<StatsQuery>,
) -> Result<web::Json<StatsResponse>, ApiError> {
    let today = state.today();
    let day = query.as_of.unwrap_or(today);
    let scope = Scope {
        incubator: query.incubator.clone(),
        started_by: query.as_of,
    };
    // Every startup today: all from the tallies, on the worker's pipelined connection.
    let pipelined = match scope == Scope::default() {
        true => {
            let read = async |conn: &_| stats::today_pipelined(conn, today).await;
            state.read_pipelined(read).await?
        }
        false => None,
    };
    let portfolio = match pipelined {
        Some(portfolio) => portfolio,
        None => {
            (state.db_planned(scope.plans(), move |conn| {
                stats::portfolio(conn, &scope, day, today)
            }))
            .await?
        }
    };
    Ok(web::Json(StatsResponse::new(
        portfolio,
        day,
        query.incubator,
    )))
}

impl StatsResponse {
    /// The figures of `portfolio`, on `as_of`, of `incubator`'s startups or all of them.
    fn new(portfolio: Portfolio, as_of: NaiveDate, incubator: Option<String>) -> Self {
        let Portfolio {
            created,
            co_incubated,
            by_phase,
            incubators_total,
            organisations_total,
        } = portfolio;
        let mut by_incubator = created.by_incubator;
        let startups_total = by_incubator.values().sum();
        for (incubator, n) in co_incubated {
            *by_incubator.entry(Some(incubator)).or_default() += n;
        }
        Self {
            as_of,
            startups_total,
            startups_by_phase: by_phase,
            startups_by_incubator: (by_incubator.into_iter())
                .filter_map(|(id, n)| id.map(|id| (id, n)))
                .collect(),
            created_by_year: (created.by_year.into_iter())
                .map(|(year, n)| (year.to_string(), n))
                .collect(),
            incubators_total,
            organisations_total,
            incubator,
        }
    }
}

/// How long startups stay in each phase.
#[derive(Debug, Serialize, ToSchema)]
pub struct PhaseDurationsResponse {
    /// One row per phase, in the order of the method. `count`, `median_days`, `p25_days` and
    /// `p75_days` describe completed phases only: a phase is completed when the next one
    /// started or its recorded last day has passed, and lasts from its first day to that
    /// point. `open` counts the phases still running today; they are not in the figures.
    pub data: Vec<PhaseDurationRow>,
    /// The day durations are measured on: today.
    pub as_of: NaiveDate,
}

/// Durations of one phase, in days.
#[derive(Debug, Serialize, ToSchema)]
pub struct PhaseDurationRow {
    #[schema(example = "construction")]
    pub phase: String,
    /// Completed phases measured.
    #[schema(example = 8)]
    pub count: usize,
    #[schema(example = 420.5)]
    pub median_days: Option<f64>,
    pub p25_days: Option<f64>,
    pub p75_days: Option<f64>,
    /// Phases still running, left out of the figures.
    #[schema(example = 1)]
    pub open: usize,
}

impl From<PhaseDurations> for PhaseDurationRow {
    fn from(d: PhaseDurations) -> Self {
        Self {
            phase: d.phase,
            count: d.count,
            median_days: d.median_days,
            p25_days: d.p25_days,
            p75_days: d.p75_days,
            open: d.open,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PhaseDurationsQuery {
    /// Restrict to one incubator's startups.
    #[param(example = "sgmas")]
    pub incubator: Option<String>,
    /// Only phases that started on or after this day (YYYY-MM-DD).
    #[param(example = "2019-01-01", value_type = Option<String>, format = Date)]
    #[serde(default, deserialize_with = "de::date")]
    pub since: Option<NaiveDate>,
}

/// Median and quartiles of how long each phase lasts.
#[utoipa::path(
    tag = "stats",
    path = "/stats/phase-durations",
    params(PhaseDurationsQuery),
    responses(
        (status = 200, description = "Durations per phase", body = PhaseDurationsResponse),
        (status = 400, description = "Invalid parameter", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/stats/phase-durations")]
pub async fn get_phase_durations(
    state: web::Data<AppState>,
    ApiQuery(query): ApiQuery<PhaseDurationsQuery>,
) -> Result<web::Json<PhaseDurationsResponse>, ApiError> {
    let day = state.today();
    let (phases, rows) = state
        .db(move |conn| {
            Ok((
                Phase::all(conn)?,
                stats::phase_rows(conn, query.incubator.as_deref(), query.since)?,
            ))
        })
        .await?;
    let mut histories: Vec<Vec<PhaseSpan>> = Vec::new();
    let mut current_startup: Option<String> = None;
    for row in rows {
        if current_startup.as_deref() != Some(row.startup_id.as_str()) {
            histories.push(Vec::new());
            current_startup = Some(row.startup_id.clone());
        }
        if let Some(history) = histories.last_mut() {
            history.push(PhaseSpan {
                phase: row.phase_id,
                start: row.start_date,
                end: row.end_date,
            });
        }
    }
    let order: Vec<String> = phases.into_iter().map(|p| p.id).collect();
    let data = phase_durations(&histories, day, &order)
        .into_iter()
        .map(PhaseDurationRow::from)
        .collect();
    Ok(web::Json(PhaseDurationsResponse { data, as_of: day }))
}

/// What became of startups, per group.
#[derive(Debug, Serialize, ToSchema)]
pub struct OutcomesResponse {
    /// `incubator` or `cohort` (the year the first phase started).
    pub by: OutcomeGrouping,
    pub as_of: NaiveDate,
    pub data: Vec<OutcomeRow>,
}

/// Outcomes of one group of startups on `as_of`.
#[derive(Debug, Serialize, ToSchema)]
pub struct OutcomeRow {
    /// The incubator id or the cohort year; absent for startups without one.
    #[schema(example = "2019")]
    pub group: Option<String>,
    /// Now in `transfere` or `opere`.
    pub transferred_or_operated: usize,
    /// Now in `abandon` or `abandon-investigation`.
    pub stopped: usize,
    /// In a phase of the method.
    pub running: usize,
    /// No phase started yet.
    pub not_started: usize,
    pub total: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum OutcomeGrouping {
    Incubator,
    Cohort,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OutcomesQuery {
    /// Group by incubator, or by cohort (year of the first phase).
    #[param(inline, example = "cohort")]
    pub by: OutcomeGrouping,
    /// The day to describe (YYYY-MM-DD); default: today.
    #[param(example = "2022-12-31", value_type = Option<String>, format = Date)]
    #[serde(default, deserialize_with = "de::date")]
    pub as_of: Option<NaiveDate>,
}

/// How many startups of each incubator or cohort were transferred or operated, stopped, or
/// are still running.
#[utoipa::path(
    tag = "stats",
    path = "/stats/outcomes",
    params(OutcomesQuery),
    responses(
        (status = 200, description = "Outcomes per group", body = OutcomesResponse),
        (status = 400, description = "Invalid parameter", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/stats/outcomes")]
pub async fn get_outcomes(
    state: web::Data<AppState>,
    ApiQuery(query): ApiQuery<OutcomesQuery>,
) -> Result<web::Json<OutcomesResponse>, ApiError> {
    let today = state.today();
    let day = query.as_of.unwrap_or(today);
    let grouping = match query.by {
        OutcomeGrouping::Incubator => GroupBy::Incubator,
        OutcomeGrouping::Cohort => GroupBy::CreationDay,
    };
    let counts = state
        .db(move |conn| stats::phases_by_group(conn, grouping, day))
        .await?;
    let mut groups: BTreeMap<Option<String>, Outcomes> = BTreeMap::new();
    for (key, phase, n) in counts {
        let group = match query.by {
            OutcomeGrouping::Incubator => key,
            OutcomeGrouping::Cohort => key.map(|day| day.chars().take(4).collect()),
        };
        let count = usize::try_from(n).unwrap_or_default();
        groups
            .entry(group)
            .or_default()
            .add(classify(phase.as_deref()), count);
    }
    let data = groups
        .into_iter()
        .map(|(group, o)| OutcomeRow {
            group,
            transferred_or_operated: o.transferred_or_operated,
            stopped: o.stopped,
            running: o.running,
            not_started: o.not_started,
            total: o.total(),
        })
        .collect();
    Ok(web::Json(OutcomesResponse {
        by: query.by,
        as_of: day,
        data,
    }))
}
