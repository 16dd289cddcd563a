//! A synthetic portfolio of any size, shaped like the real one, for benchmarks:
//! `betadata generate --startups N --observations M [--seed S]`.
//!
//! The same seed gives the same dataset. It holds 60 organisations (ministries, agencies, local
//! authorities, others), 25 incubators owned by some of them, the 8 phases of the method (the
//! embedded seed phases), and `N` startups, each with:
//!
//! - a name and a pitch made from small French vocabularies, so that search finds something,
//!   and a description for some;
//! - a phase history of 1 to 5 dated phases in the order of the method (investigation,
//!   construction, acceleration, consolidation), stopping anywhere and often ending in a way out
//!   (`transfere`, `abandon`, `abandon-investigation`, `opere`); starts spread over 2014–2025,
//!   more of them in recent years, each phase lasting a few months to a few years;
//! - an incubator (a few incubators host most startups), 0 to 3 sponsors, user types and themes;
//! - one metric for most startups (some have none) with daily observations on consecutive days,
//!   within the startup's life and before 2026: most metrics hold a few dozen days, and a few
//!   "long" metrics hold several years, so that the total is exactly `M`.
//!
//! Rows are generated and written in batches (multi-row `INSERT`s through [`crate::db::bulk`],
//! one transaction per batch), never all in memory at once. A failure part way leaves the
//! batches already written: generate again into a fresh database.

use std::collections::HashSet;
use std::fmt;
use std::time::{Duration, Instant};

use chrono::{Days, NaiveDate, NaiveDateTime};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use crate::db::incubators::Incubator;
use crate::db::metrics::{Metric, Observation};
use crate::db::organisations::Organisation;
use crate::db::phases::Phase;
use crate::db::startups::{NewStartup, PhaseRow, SponsorRow, Startup, TagRow, derive_phase_links};
use crate::db::startups::{THEMATIQUE, USERTYPE};
use crate::db::{DbConnection, bulk, schema};

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub startups: usize,
    /// Observations in all, spread over the metrics.
    pub observations: usize,
    /// Seed of the pseudo-random generator: the same seed gives the same dataset.
    pub seed: u64,
    /// Print progress to standard error every few seconds.
    pub progress: bool,
}

/// Why nothing, or not everything, was generated.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error(
        "the database already holds {0} startup(s); generate into an empty database (a new \
         SQLite file or an empty PostgreSQL database)"
    )]
    NotEmpty(i64),
    #[error(
        "{observations} observations do not fit in the {metrics} metric(s) of {startups} \
         startup(s): a metric holds at most {per_metric} daily values (2014–2025); ask for more \
         startups or fewer observations"
    )]
    TooManyObservations {
        observations: usize,
        startups: usize,
        metrics: usize,
        per_metric: u32,
    },
    #[error("the embedded seed phases do not validate: {0}")]
    Phases(String),
    #[error("database error: {0}")]
    Database(#[from] diesel::result::Error),
}

/// What was written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub organisations: usize,
    pub incubators: usize,
    /// Phases of the method added (none when the database already had them).
    pub phases: usize,
    pub startups: usize,
    /// Dated phases of startups.
    pub phase_rows: usize,
    pub sponsors: usize,
    pub tags: usize,
    pub metrics: usize,
    pub observations: usize,
    pub elapsed: Duration,
}

impl Summary {
    fn rows(&self) -> usize {
        self.organisations
            + self.incubators
            + self.phases
            + self.startups
            + self.phase_rows
            + self.sponsors
            + self.tags
            + self.metrics
            + self.observations
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let seconds = self.elapsed.as_secs_f64();
        write!(
            f,
            "generated {} organisations, {} incubators, {} phases, {} startups ({} dated phases, \
             {} sponsors, {} tags), {} metrics, {} observations: {} rows in {:.1} s ({:.0} rows/s)",
            self.organisations,
            self.incubators,
            self.phases,
            self.startups,
            self.phase_rows,
            self.sponsors,
            self.tags,
            self.metrics,
            self.observations,
            self.rows(),
            seconds,
            self.rows() as f64 / seconds.max(1e-9)
        )
    }
}

/// Startups generated and written per transaction.
const STARTUP_BATCH: usize = 1_000;
/// Observations buffered before they are written, in one transaction.
const OBSERVATION_BATCH: usize = 200_000;
/// How often progress is printed.
const PROGRESS_EVERY: Duration = Duration::from_secs(3);

/// The first and last days of generated dates: every phase and observation is in 2014–2025.
fn first_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2014, 1, 1).expect("valid date")
}
fn last_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 12, 31).expect("valid date")
}
/// Most observations one metric holds: one per day of 2014–2025.
fn max_per_metric() -> u32 {
    (last_day() - first_day()).num_days() as u32 + 1
}

/// Generates the dataset described by `options` into the migrated database behind `conn`,
/// which must not hold any startup yet.
pub fn generate(conn: &mut DbConnection, options: &Options) -> Result<Summary, GenerateError> {
    let started = Instant::now();
    let existing: i64 = schema::startups::table.count().get_result(conn)?;
    if existing > 0 {
        return Err(GenerateError::NotEmpty(existing));
    }
    let plan = plan_observations(options)?;
    if let DbConnection::Sqlite(c) = conn {
        // A bigger page cache for this connection keeps the indexes being filled in memory.
        c.batch_execute("PRAGMA cache_size = -262144; PRAGMA temp_store = MEMORY;")?;
    }
    let mut summary = Summary::default();
    let mut progress = Progress::new(options, started);

    conn.transaction(|conn| -> Result<(), GenerateError> {
        summary.phases = insert_missing_phases(conn)?;
        summary.organisations = bulk::insert_organisations(conn, &organisations())?;
        summary.incubators = bulk::insert_incubators(conn, &incubators())?;
        Ok(())
    })?;

    let mut observations: Vec<Observation> = Vec::with_capacity(OBSERVATION_BATCH);
    let mut first = 0;
    while first < options.startups {
        let last = (first + STARTUP_BATCH).min(options.startups);
        let mut batch = Batch::default();
        for (index, planned) in plan.iter().enumerate().take(last).skip(first) {
            batch.push(startup(options.seed, index, *planned));
        }
        conn.transaction(|conn| batch.insert(conn, &mut summary))?;
        progress.tick(&summary);
        for series in &batch.series {
            let mut rng = Rng::stream(options.seed, 2, series.index as u64);
            for day in 0..series.count {
                observations.push(series.observation(&mut rng, day));
                if observations.len() == OBSERVATION_BATCH {
                    summary.observations += write_observations(conn, &observations)?;
                    observations.clear();
                    progress.tick(&summary);
                }
            }
        }
        first = last;
    }
    summary.observations += write_observations(conn, &observations)?;
    crate::db::revision::Revision::bump(conn)?;
    crate::api::v1::refresh_export_lines_in_batches(conn)?;
    crate::db::analyze(conn)?;
    summary.elapsed = started.elapsed();
    progress.done(&summary);
    Ok(summary)
}

fn write_observations(
    conn: &mut DbConnection,
    rows: &[Observation],
) -> Result<usize, GenerateError> {
    if rows.is_empty() {
        return Ok(0);
    }
    Ok(conn.transaction(|conn| bulk::insert_observations(conn, rows))?)
}

/// Adds those of the 8 phases of the reference (the embedded seed phases) that are missing.
fn insert_missing_phases(conn: &mut DbConnection) -> Result<usize, GenerateError> {
    let (dataset, report) =
        crate::seed::validate(&crate::seed::embedded(), crate::seed::KnownIds::default());
    if dataset.phases.len() != 8 {
        let problems: Vec<String> = report.problems.iter().map(ToString::to_string).collect();
        return Err(GenerateError::Phases(problems.join("; ")));
    }
    let stored: HashSet<String> = schema::phases::table
        .select(schema::phases::id)
        .load::<String>(conn)?
        .into_iter()
        .collect();
    let missing: Vec<Phase> = dataset
        .phases
        .into_iter()
        .filter(|p| !stored.contains(&p.id))
        .collect();
    Ok(bulk::insert_phases(conn, &missing)?)
}

/// Prints how far the generation got, at most every [`PROGRESS_EVERY`].
struct Progress {
    enabled: bool,
    started: Instant,
    last: Instant,
    startups: usize,
    observations: usize,
}

impl Progress {
    fn new(options: &Options, started: Instant) -> Self {
        Self {
            enabled: options.progress,
            started,
            last: started,
            startups: options.startups,
            observations: options.observations,
        }
    }

    fn tick(&mut self, summary: &Summary) {
        if self.enabled && self.last.elapsed() >= PROGRESS_EVERY {
            self.last = Instant::now();
            self.print(summary);
        }
    }

    fn done(&mut self, summary: &Summary) {
        if self.enabled {
            self.print(summary);
        }
    }

    fn print(&self, summary: &Summary) {
        let seconds = self.started.elapsed().as_secs_f64();
        eprintln!(
            "generate: {:>6.1} s: {}/{} startups, {}/{} observations, {:.0} rows/s",
            seconds,
            summary.startups,
            self.startups,
            summary.observations,
            self.observations,
            summary.rows() as f64 / seconds.max(1e-9)
        );
    }
}

/// The rows of a batch of startups, and the observation series of their metrics.
#[derive(Default)]
struct Batch {
    startups: Vec<Startup>,
    phases: Vec<PhaseRow>,
    sponsors: Vec<SponsorRow>,
    tags: Vec<TagRow>,
    metrics: Vec<Metric>,
    series: Vec<Series>,
}

impl Batch {
    fn push(&mut self, generated: Generated) {
        self.startups.push(generated.startup);
        self.phases.extend(generated.phases);
        self.sponsors.extend(generated.sponsors);
        self.tags.extend(generated.tags);
        if let Some((metric, series)) = generated.metric {
            self.metrics.push(metric);
            self.series.push(series);
        }
    }

    fn insert(&self, conn: &mut DbConnection, summary: &mut Summary) -> Result<(), GenerateError> {
        let startups: Vec<NewStartup> = (self.startups.iter())
            .map(|row| NewStartup { row, source: None })
            .collect();
        summary.startups += bulk::insert_startups(conn, &startups)?;
        summary.phase_rows += bulk::insert_startup_phases(conn, &self.phases)?;
        summary.sponsors += bulk::insert_startup_sponsors(conn, &self.sponsors)?;
        summary.tags += bulk::insert_startup_tags(conn, &self.tags)?;
        summary.metrics += bulk::insert_metrics(conn, &self.metrics)?;
        Ok(())
    }
}

/// The daily values of one metric: `count` consecutive days from `first`.
struct Series {
    index: usize,
    metric_id: String,
    first: NaiveDate,
    count: u32,
    /// Value on the first day.
    base: f64,
    /// Growth per day (relative).
    growth: f64,
    /// Share of a weekday's value reached on Saturdays and Sundays.
    weekend: f64,
}

impl Series {
    fn observation(&self, rng: &mut Rng, day: u32) -> Observation {
        let date = self.first + Days::new(u64::from(day));
        let weekday = chrono::Datelike::weekday(&date).number_from_monday();
        let season = if weekday >= 6 { self.weekend } else { 1.0 };
        let noise = 0.85 + 0.3 * rng.f64();
        let value = self.base * (self.growth * f64::from(day)).exp() * season * noise;
        Observation {
            metric_id: self.metric_id.clone(),
            date,
            start_date: None,
            value: value.round().max(0.0),
            source_id: None,
            note: None,
        }
    }
}

/// The number of observations of each startup's metric, `None` for a startup without one;
/// they add up to `options.observations` exactly.
fn plan_observations(options: &Options) -> Result<Vec<Option<u32>>, GenerateError> {
    let mut rng = Rng::stream(options.seed, 0, 0);
    let mut plan: Vec<Option<u32>> = (0..options.startups)
        .map(|_| rng.chance(0.85).then(|| rng.range(7, 90) as u32))
        .collect();
    let total = options.observations as u64;
    if total > 0 && !plan.is_empty() && plan.iter().all(Option::is_none) {
        plan[0] = Some(30);
    }
    let with_metric: Vec<usize> = (0..plan.len()).filter(|&i| plan[i].is_some()).collect();
    let cap = max_per_metric();
    if total > with_metric.len() as u64 * u64::from(cap) {
        return Err(GenerateError::TooManyObservations {
            observations: options.observations,
            startups: options.startups,
            metrics: with_metric.len(),
            per_metric: cap,
        });
    }
    let count = |plan: &[Option<u32>], i: usize| u64::from(plan[i].unwrap_or_default());
    let short: u64 = with_metric.iter().map(|&i| count(&plan, i)).sum();
    if short >= total {
        // Fewer observations than the short series hold: shrink them all alike.
        let mut given = 0;
        for &i in &with_metric {
            let scaled =
                (u128::from(count(&plan, i)) * u128::from(total) / u128::from(short)) as u64;
            plan[i] = Some(scaled as u32);
            given += scaled;
        }
        // Each was rounded down by less than one: one more each to as many as needed.
        for &i in with_metric.iter().take((total - given) as usize) {
            plan[i] = plan[i].map(|c| c + 1);
        }
        return Ok(plan);
    }
    // The rest goes to a few long metrics, about three years of daily values each.
    let rest = total - short;
    let long = (rest.div_ceil(1_100) as usize).min(with_metric.len());
    let mut chosen = with_metric.clone();
    for k in 0..long {
        let j = k + rng.below((chosen.len() - k) as u64) as usize;
        chosen.swap(k, j);
    }
    chosen.truncate(long);
    let weights: Vec<u64> = chosen.iter().map(|_| rng.range(400, 4_000)).collect();
    let weight: u64 = weights.iter().sum();
    let mut left = rest;
    for (&i, &w) in chosen.iter().zip(&weights) {
        let room = u64::from(cap) - count(&plan, i);
        let extra = ((u128::from(rest) * u128::from(w) / u128::from(weight)) as u64).min(room);
        plan[i] = plan[i].map(|c| c + extra as u32);
        left -= extra;
    }
    // What rounding and the cap left over: fill the long metrics, then any other, in turn.
    for &i in chosen.iter().chain(&with_metric) {
        if left == 0 {
            break;
        }
        let extra = (u64::from(cap) - count(&plan, i)).min(left);
        plan[i] = plan[i].map(|c| c + extra as u32);
        left -= extra;
    }
    debug_assert_eq!(left, 0);
    Ok(plan)
}

/// One startup and the rows hanging off it.
struct Generated {
    startup: Startup,
    phases: Vec<PhaseRow>,
    sponsors: Vec<SponsorRow>,
    tags: Vec<TagRow>,
    metric: Option<(Metric, Series)>,
}

/// The phases of the method, in order.
const ACTIVE_PHASES: [&str; 4] = [
    "investigation",
    "construction",
    "acceleration",
    "consolidation",
];

/// Generates startup number `index`, whose metric holds `observations` values (no metric when
/// `None`). Depends only on the seed and the index.
fn startup(seed: u64, index: usize, observations: Option<u32>) -> Generated {
    let mut rng = Rng::stream(seed, 1, index as u64);
    let prefix = rng.pick(&NAME_PREFIXES);
    let (subject, topic) = *rng.pick(&SUBJECTS);
    let name = if rng.chance(0.3) {
        format!("{prefix} {subject} {}", rng.pick(&NAME_SUFFIXES))
    } else {
        format!("{prefix} {subject}")
    };
    let slug = slugify(&name);
    let id = format!("{slug}-{index}");

    // Starts lean towards recent years, as the programme grew; a long series needs room.
    let span = (last_day() - first_day()).num_days() as u64;
    let latest = match observations {
        Some(count) => span.saturating_sub(u64::from(count).saturating_sub(1) + 60),
        None => span.saturating_sub(60),
    };
    let offset = (rng.f64().sqrt() * latest as f64) as u64;
    let mut phases = phase_history(&mut rng, &id, first_day() + Days::new(offset));
    let derived = derive_phase_links(&mut phases);
    let created_on = derived.created_on;
    for row in &mut phases {
        if let Some(next) = row.next_start
            && rng.chance(0.6)
        {
            row.end_date = next.pred_opt();
        }
    }
    let last_start = phases.last().map_or(first_day(), |r| r.start_date);
    let updated_at = last_start
        .and_hms_opt(
            rng.range(8, 19) as u32,
            rng.below(60) as u32,
            rng.below(60) as u32,
        )
        .unwrap_or(NaiveDateTime::MIN);

    let incubator = INCUBATORS[rng.weighted(&INCUBATOR_WEIGHTS)];
    let sponsor_count = rng.weighted(&[20, 50, 20, 10]);
    let mut sponsors: Vec<&str> = Vec::new();
    if sponsor_count > 0 && rng.chance(0.5) {
        sponsors.push(incubator.2);
    }
    while sponsors.len() < sponsor_count {
        let candidate = rng.pick(&ORGANISATIONS).0;
        if !sponsors.contains(&candidate) {
            sponsors.push(candidate);
        }
    }
    let mut tags = Vec::new();
    for (kind, vocabulary, most) in [(USERTYPE, &USERTYPES[..], 3), (THEMATIQUE, &THEMES[..], 3)] {
        let wanted = rng.range(if kind == THEMATIQUE { 1 } else { 0 }, most) as usize;
        let mut values: Vec<&str> = Vec::new();
        while values.len() < wanted {
            let candidate = *rng.pick(vocabulary);
            if !values.contains(&candidate) {
                values.push(candidate);
            }
        }
        tags.extend(values.into_iter().map(|value| TagRow {
            startup_id: id.clone(),
            kind: kind.to_owned(),
            value: value.to_owned(),
        }));
    }

    let audience = rng.pick(&AUDIENCES);
    let pitch = format!(
        "{} {} {topic} pour {audience}.",
        rng.pick(&VERBS),
        rng.pick(&OBJECTS)
    );
    let description = rng.chance(0.4).then(|| {
        format!(
            "Chaque année, des milliers de {} {}. {name} {} {topic}, avec l'appui de \
             l'incubateur et des services concernés.",
            audience.trim_start_matches("les "),
            rng.pick(&PROBLEMS),
            rng.pick(&SOLUTIONS)
        )
    });
    let mut startup = Startup {
        id: id.clone(),
        name,
        pitch: Some(pitch),
        incubator_id: Some(incubator.0.to_owned()),
        link: rng
            .chance(0.7)
            .then(|| format!("https://{slug}.beta.gouv.fr")),
        repository: rng
            .chance(0.5)
            .then(|| format!("https://github.com/betagouv/{slug}")),
        contact: rng
            .chance(0.6)
            .then(|| format!("contact@{slug}.beta.gouv.fr")),
        description,
        created_on: None,
        updated_at,
        latest_phase_id: None,
        latest_phase_start: None,
        stats_url: None,
        accessibility_status: None,
    };
    derived.apply(&mut startup);

    let metric = observations.map(|count| {
        let (label, unit, key) = *rng.pick(&METRICS);
        let metric = Metric {
            id: format!("{id}-{key}"),
            label: label.to_owned(),
            unit: unit.to_owned(),
            startup_id: Some(id.clone()),
            description: rng
                .chance(0.5)
                .then(|| format!("{label} chaque jour (données synthétiques).")),
        };
        // Consecutive days within the startup's life, all by the last day.
        let from = created_on.unwrap_or(first_day());
        let room = (last_day() - from).num_days() + 1 - i64::from(count);
        let first = from + Days::new(rng.below(room.max(0) as u64 + 1));
        let series = Series {
            index,
            metric_id: metric.id.clone(),
            first,
            count,
            base: 10f64.powf(1.0 + 3.0 * rng.f64()),
            growth: -0.000_5 + 0.003 * rng.f64(),
            weekend: 0.3 + 0.7 * rng.f64(),
        };
        (metric, series)
    });

    Generated {
        startup,
        phases,
        sponsors: sponsors
            .into_iter()
            .map(|organisation| SponsorRow {
                startup_id: id.clone(),
                organisation_id: organisation.to_owned(),
            })
            .collect(),
        tags,
        metric,
    }
}

/// A phase history from `start`: phases of the method in order, each lasting some months, until
/// the startup stops, leaves by an exit phase, or the next start would be after the last day.
fn phase_history(rng: &mut Rng, startup_id: &str, start: NaiveDate) -> Vec<PhaseRow> {
    let row = |phase: &str, start_date: NaiveDate| PhaseRow {
        startup_id: startup_id.to_owned(),
        position: 0,
        phase_id: phase.to_owned(),
        start_date,
        end_date: None,
        next_start: None,
    };
    let mut rows = Vec::new();
    let mut step = if rng.chance(0.75) { 0 } else { 1 };
    let mut date = start;
    loop {
        rows.push(row(ACTIVE_PHASES[step], date));
        let (months, go_on, exits): (_, f64, &[(&str, f64)]) = match step {
            0 => ((2, 6), 0.60, &[("abandon-investigation", 0.22)]),
            1 => ((4, 14), 0.58, &[("abandon", 0.17)]),
            2 => (
                (8, 24),
                0.50,
                &[("transfere", 0.12), ("abandon", 0.08), ("opere", 0.05)],
            ),
            _ => (
                (12, 36),
                0.0,
                &[("transfere", 0.35), ("opere", 0.25), ("abandon", 0.05)],
            ),
        };
        let next = date + Days::new(rng.range(months.0, months.1) * 30 + rng.below(30));
        if next > last_day() {
            break;
        }
        let mut draw = rng.f64();
        if draw < go_on {
            step += 1;
            date = next;
            continue;
        }
        draw -= go_on;
        if let Some((exit, _)) = exits.iter().find(|(_, p)| {
            let hit = draw < *p;
            draw -= p;
            hit
        }) {
            rows.push(row(exit, next));
        }
        break;
    }
    rows
}

/// A lowercase ASCII identifier: accents dropped, other characters turned into single dashes.
fn slugify(text: &str) -> String {
    let mut slug = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        let c = match c {
            'à' | 'â' | 'ä' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'î' | 'ï' => 'i',
            'ô' | 'ö' => 'o',
            'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            c => c,
        };
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').to_owned()
}

/// A small deterministic pseudo-random generator (SplitMix64), so that one seed gives one
/// dataset on every platform and version.
struct Rng(u64);

impl Rng {
    /// An independent generator for item `index` of stream `stream` of `seed`.
    fn stream(seed: u64, stream: u64, index: u64) -> Self {
        let mut rng = Rng(seed ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03));
        rng.0 ^= Rng(index.wrapping_add(0x2545_F491_4F6C_DD1D)).next_u64();
        Self(rng.next_u64())
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (0 when `n` is 0).
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `low..=high`.
    fn range(&mut self, low: u64, high: u64) -> u64 {
        low + self.below(high - low + 1)
    }

    /// Uniform in `[0, 1)`.
    fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn chance(&mut self, p: f64) -> bool {
        self.f64() < p
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// An index drawn with the given weights.
    fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|&w| u64::from(w)).sum();
        let mut draw = self.below(total);
        for (i, &w) in weights.iter().enumerate() {
            if draw < u64::from(w) {
                return i;
            }
            draw -= u64::from(w);
        }
        weights.len() - 1
    }
}

fn organisations() -> Vec<Organisation> {
    ORGANISATIONS
        .iter()
        .map(|&(id, name, acronym, kind)| Organisation {
            id: id.to_owned(),
            name: name.to_owned(),
            acronym: acronym.map(str::to_owned),
            kind: kind.to_owned(),
        })
        .collect()
}

fn incubators() -> Vec<Incubator> {
    INCUBATORS
        .iter()
        .map(|&(id, title, owner)| Incubator {
            id: id.to_owned(),
            title: title.to_owned(),
            owner_id: Some(owner.to_owned()),
            website: Some(format!("https://{id}.beta.gouv.fr/")),
            contact: Some(format!("contact@{id}.beta.gouv.fr")),
            address: None,
            description: Some(format!(
                "{title} : incubateur de startups d'État du réseau beta.gouv.fr (données \
                 synthétiques)."
            )),
        })
        .collect()
}

const MINISTRY: &str = "administration-centrale";
const AGENCY: &str = "operateur";
const LOCAL: &str = "collectivite-territoriale";
const OTHER: &str = "other";

/// id, name, acronym, kind.
#[rustfmt::skip]
const ORGANISATIONS: [(&str, &str, Option<&str>, &str); 60] = [
    ("dinum", "Direction interministérielle du numérique", Some("DINUM"), MINISTRY),
    ("ministeres-sociaux", "Ministères sociaux", Some("MSS"), MINISTRY),
    ("ministere-interieur", "Ministère de l'Intérieur", None, MINISTRY),
    ("ministere-armees", "Ministère des Armées", None, MINISTRY),
    ("ministere-justice", "Ministère de la Justice", None, MINISTRY),
    ("ministere-education", "Ministère de l'Éducation nationale", Some("MENJ"), MINISTRY),
    ("ministere-enseignement-superieur", "Ministère de l'Enseignement supérieur et de la Recherche", Some("MESR"), MINISTRY),
    ("ministere-culture", "Ministère de la Culture", None, MINISTRY),
    ("ministere-agriculture", "Ministère de l'Agriculture et de la Souveraineté alimentaire", Some("MASA"), MINISTRY),
    ("ministere-transition-ecologique", "Ministère de la Transition écologique", Some("MTE"), MINISTRY),
    ("ministere-economie", "Ministère de l'Économie et des Finances", None, MINISTRY),
    ("ministere-travail", "Ministère du Travail", None, MINISTRY),
    ("ministere-sports", "Ministère des Sports", None, MINISTRY),
    ("dgfip", "Direction générale des Finances publiques", Some("DGFiP"), MINISTRY),
    ("dgddi", "Direction générale des douanes et droits indirects", Some("DGDDI"), MINISTRY),
    ("dgs", "Direction générale de la santé", Some("DGS"), MINISTRY),
    ("dgefp", "Délégation générale à l'emploi et à la formation professionnelle", Some("DGEFP"), MINISTRY),
    ("dgcl", "Direction générale des collectivités locales", Some("DGCL"), MINISTRY),
    ("france-travail", "France Travail", None, AGENCY),
    ("cnaf", "Caisse nationale des allocations familiales", Some("CNAF"), AGENCY),
    ("cnam", "Caisse nationale de l'Assurance maladie", Some("CNAM"), AGENCY),
    ("cnav", "Caisse nationale d'assurance vieillesse", Some("CNAV"), AGENCY),
    ("urssaf", "Urssaf Caisse nationale", None, AGENCY),
    ("ademe", "Agence de la transition écologique", Some("ADEME"), AGENCY),
    ("anct", "Agence nationale de la cohésion des territoires", Some("ANCT"), AGENCY),
    ("ofb", "Office français de la biodiversité", Some("OFB"), AGENCY),
    ("ign", "Institut national de l'information géographique et forestière", Some("IGN"), AGENCY),
    ("insee", "Institut national de la statistique et des études économiques", Some("INSEE"), AGENCY),
    ("anah", "Agence nationale de l'habitat", Some("Anah"), AGENCY),
    ("ants", "Agence nationale des titres sécurisés", Some("ANTS"), AGENCY),
    ("ars-idf", "Agence régionale de santé Île-de-France", Some("ARS IDF"), AGENCY),
    ("cerema", "Cerema", None, AGENCY),
    ("onf", "Office national des forêts", Some("ONF"), AGENCY),
    ("bpifrance", "Bpifrance", None, AGENCY),
    ("caisse-des-depots", "Caisse des Dépôts", Some("CDC"), AGENCY),
    ("ofii", "Office français de l'immigration et de l'intégration", Some("OFII"), AGENCY),
    ("afpa", "Agence nationale pour la formation professionnelle des adultes", Some("AFPA"), AGENCY),
    ("anssi", "Agence nationale de la sécurité des systèmes d'information", Some("ANSSI"), AGENCY),
    ("has", "Haute Autorité de santé", Some("HAS"), AGENCY),
    ("msa", "Mutualité sociale agricole", Some("MSA"), AGENCY),
    ("agence-eau-seine-normandie", "Agence de l'eau Seine-Normandie", None, AGENCY),
    ("cnil", "Commission nationale de l'informatique et des libertés", Some("CNIL"), AGENCY),
    ("region-ile-de-france", "Région Île-de-France", None, LOCAL),
    ("region-occitanie", "Région Occitanie", None, LOCAL),
    ("region-grand-est", "Région Grand Est", None, LOCAL),
    ("region-bretagne", "Région Bretagne", None, LOCAL),
    ("departement-gironde", "Département de la Gironde", None, LOCAL),
    ("departement-nord", "Département du Nord", None, LOCAL),
    ("departement-loire-atlantique", "Département de Loire-Atlantique", None, LOCAL),
    ("ville-de-paris", "Ville de Paris", None, LOCAL),
    ("metropole-de-lyon", "Métropole de Lyon", None, LOCAL),
    ("ville-de-marseille", "Ville de Marseille", None, LOCAL),
    ("eurometropole-strasbourg", "Eurométropole de Strasbourg", None, LOCAL),
    ("ville-de-grenoble", "Ville de Grenoble", None, LOCAL),
    ("la-poste", "La Poste", None, OTHER),
    ("croix-rouge", "Croix-Rouge française", None, OTHER),
    ("emmaus-connect", "Emmaüs Connect", None, OTHER),
    ("universite-paris-cite", "Université Paris Cité", None, OTHER),
    ("conseil-etat", "Conseil d'État", None, OTHER),
    ("cour-des-comptes", "Cour des comptes", None, OTHER),
];

/// id, title, owner (an organisation).
#[rustfmt::skip]
const INCUBATORS: [(&str, &str, &str); 25] = [
    ("dinum", "Incubateur de services numériques", "dinum"),
    ("sgmas", "Fabrique numérique des ministères sociaux", "ministeres-sociaux"),
    ("lab-mi", "Lab MI", "ministere-interieur"),
    ("fabrique-armees", "Fabrique numérique des Armées", "ministere-armees"),
    ("fabrique-justice", "Fabrique numérique de la Justice", "ministere-justice"),
    ("incubateur-education", "Incubateur de l'Éducation nationale", "ministere-education"),
    ("incubateur-esr", "Incubateur de l'Enseignement supérieur et de la Recherche", "ministere-enseignement-superieur"),
    ("atelier-culture", "Atelier numérique de la Culture", "ministere-culture"),
    ("incubateur-agriculture", "Incubateur de l'Agriculture", "ministere-agriculture"),
    ("fabrique-ecologie", "Fabrique numérique de la Transition écologique", "ministere-transition-ecologique"),
    ("bercy-hub", "Bercy Hub", "ministere-economie"),
    ("lab-dgfip", "Lab DGFiP", "dgfip"),
    ("lab-douane", "Lab de la Douane", "dgddi"),
    ("lab-sante", "Lab Santé", "dgs"),
    ("incubateur-emploi", "Incubateur de France Travail", "france-travail"),
    ("lab-cnaf", "Lab de la branche Famille", "cnaf"),
    ("incubateur-cnam", "Incubateur de l'Assurance maladie", "cnam"),
    ("incubateur-ademe", "Incubateur de l'ADEME", "ademe"),
    ("incubateur-territoires", "Incubateur des Territoires", "anct"),
    ("fabrique-geocommuns", "Fabrique des géocommuns", "ign"),
    ("incubateur-ofb", "Incubateur de la biodiversité", "ofb"),
    ("lab-urssaf", "Lab Urssaf", "urssaf"),
    ("incubateur-ile-de-france", "Incubateur de la Région Île-de-France", "region-ile-de-france"),
    ("lab-gironde", "Lab numérique de la Gironde", "departement-gironde"),
    ("incubateur-paris", "Incubateur de la Ville de Paris", "ville-de-paris"),
];

/// How many startups each incubator hosts, relatively: a few host most of them.
const INCUBATOR_WEIGHTS: [u32; 25] = [
    30, 18, 10, 6, 6, 8, 5, 4, 4, 7, 5, 5, 3, 6, 8, 4, 4, 5, 7, 4, 3, 3, 3, 2, 3,
];

const NAME_PREFIXES: [&str; 20] = [
    "Mon",
    "Ma",
    "Mes",
    "Aide",
    "Dossier",
    "Carte",
    "Signal",
    "Portail",
    "Démarche",
    "Pass",
    "Agenda",
    "Boussole",
    "Diag",
    "Mission",
    "Objectif",
    "Trouve",
    "Simul",
    "Déclic",
    "Bilan",
    "Guichet",
];

/// A subject of a startup's name, and the topic of its pitch.
const SUBJECTS: [(&str, &str); 36] = [
    ("Emploi", "de l'emploi"),
    ("Logement", "du logement"),
    ("Cantine", "de la restauration scolaire"),
    ("Santé", "de la santé"),
    ("Vélo", "des mobilités à vélo"),
    ("Eau", "de la qualité de l'eau"),
    ("Climat", "de l'adaptation au climat"),
    ("Énergie", "de la rénovation énergétique"),
    ("Jeunes", "de l'insertion des jeunes"),
    ("Aidants", "des proches aidants"),
    ("Entreprise", "de la création d'entreprise"),
    ("Commune", "des petites communes"),
    ("Stage", "des stages"),
    ("Formation", "de la formation professionnelle"),
    ("Bénévolat", "du bénévolat"),
    ("Retraite", "de la retraite"),
    ("Handicap", "du handicap"),
    ("Mobilité", "des transports du quotidien"),
    ("Tri", "du tri des déchets"),
    ("Forêt", "de la gestion forestière"),
    ("Sols", "de la pollution des sols"),
    ("Bâtiment", "de la construction"),
    ("Patrimoine", "du patrimoine"),
    ("Culture", "de l'accès à la culture"),
    ("Sport", "de la pratique sportive"),
    ("École", "de la vie scolaire"),
    ("Justice", "de l'accès au droit"),
    ("Permis", "du permis de conduire"),
    ("Impôts", "de la fiscalité"),
    ("Douane", "du dédouanement"),
    ("Chantier", "des chantiers publics"),
    ("Marchés", "de la commande publique"),
    ("Subventions", "des subventions"),
    ("Apprentissage", "de l'apprentissage"),
    ("Crèche", "de la petite enfance"),
    ("Accessibilité", "de l'accessibilité"),
];

const NAME_SUFFIXES: [&str; 10] = [
    "Facile",
    "Connect",
    "Plus",
    "Pro",
    "Express",
    "Solidaire",
    "Local",
    "Territoires",
    "Pour Tous",
    "Direct",
];

const VERBS: [&str; 12] = [
    "Simplifier",
    "Faciliter",
    "Accélérer",
    "Sécuriser",
    "Trouver",
    "Suivre",
    "Comparer",
    "Signaler",
    "Déclarer",
    "Réserver",
    "Mesurer",
    "Partager",
];

const OBJECTS: [&str; 8] = [
    "les démarches",
    "l'accès aux aides",
    "le suivi des dossiers",
    "la recherche d'informations",
    "le signalement des problèmes",
    "la prise de rendez-vous",
    "le calcul des droits",
    "l'instruction des demandes",
];

const AUDIENCES: [&str; 10] = [
    "les particuliers",
    "les agents publics",
    "les entreprises",
    "les associations",
    "les collectivités",
    "les étudiants",
    "les demandeurs d'emploi",
    "les professionnels de santé",
    "les élus locaux",
    "les agriculteurs",
];

const PROBLEMS: [&str; 6] = [
    "renoncent à des droits faute de les connaître",
    "remplissent les mêmes informations plusieurs fois",
    "attendent des semaines une réponse de l'administration",
    "ne savent pas à quel service s'adresser",
    "perdent du temps avec des formulaires papier",
    "découvrent trop tard une échéance",
];

const SOLUTIONS: [&str; 5] = [
    "rassemble en un seul endroit les démarches",
    "calcule en quelques minutes les droits",
    "met en relation les usagers et les services",
    "publie les données ouvertes",
    "guide pas à pas les usagers",
];

const USERTYPES: [&str; 10] = [
    "particulier",
    "entreprise",
    "etat",
    "collectivite",
    "association",
    "agent-public",
    "etudiant",
    "professionnel-de-sante",
    "demandeur-emploi",
    "elu",
];

const THEMES: [&str; 16] = [
    "Travail / Emploi",
    "Santé",
    "Logement",
    "Transports / Mobilité",
    "Environnement",
    "Éducation",
    "Justice",
    "Agriculture",
    "Culture",
    "Social",
    "Numérique",
    "Sécurité",
    "Économie",
    "Sport",
    "Citoyenneté",
    "Énergie",
];

/// label, unit, id suffix.
const METRICS: [(&str, &str, &str); 8] = [
    ("Usagers actifs", "usagers", "usagers-actifs"),
    ("Démarches déposées", "démarches", "demarches-deposees"),
    ("Visites", "visites", "visites"),
    ("Dossiers traités", "dossiers", "dossiers-traites"),
    ("Comptes créés", "comptes", "comptes-crees"),
    ("Signalements reçus", "signalements", "signalements-recus"),
    ("Rendez-vous pris", "rendez-vous", "rendez-vous-pris"),
    ("Téléchargements", "téléchargements", "telechargements"),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn options(startups: usize, observations: usize) -> Options {
        Options {
            startups,
            observations,
            seed: 1,
            progress: false,
        }
    }

    fn planned_total(plan: &[Option<u32>]) -> u64 {
        plan.iter().map(|c| u64::from(c.unwrap_or_default())).sum()
    }

    #[test]
    fn the_plan_adds_up_to_the_observations_asked() {
        for (startups, observations) in [
            (200, 5_000),
            (200, 0),
            (1, 17),
            (1_000, 100_000),
            (1_000, 2_000_000),
            (5, 3),
        ] {
            let plan = plan_observations(&options(startups, observations)).expect("fits");
            assert_eq!(plan.len(), startups);
            assert_eq!(
                planned_total(&plan),
                observations as u64,
                "{startups}/{observations}"
            );
            assert!(plan.iter().flatten().all(|&c| c <= max_per_metric()));
        }
    }

    #[test]
    fn most_metrics_are_short_and_a_few_are_long() {
        let plan = plan_observations(&options(10_000, 1_000_000)).expect("fits");
        let counts: Vec<u32> = plan.iter().flatten().copied().collect();
        let short = counts.iter().filter(|&&c| c <= 90).count();
        let long = counts.iter().filter(|&&c| c >= 730).count();
        assert!(short * 10 > counts.len() * 8, "{short} of {}", counts.len());
        assert!(
            long > 0 && long * 10 < counts.len(),
            "{long} of {}",
            counts.len()
        );
        assert!(
            plan.iter().any(Option::is_none),
            "some startups have no metric"
        );
    }

    #[test]
    fn too_many_observations_are_refused() {
        let error = plan_observations(&options(2, 100_000)).expect_err("too many");
        assert!(matches!(error, GenerateError::TooManyObservations { .. }));
        assert!(plan_observations(&options(0, 1)).is_err());
        assert!(plan_observations(&options(0, 0)).is_ok());
    }

    #[test]
    fn startups_are_deterministic_and_well_formed() {
        for index in 0..2_000 {
            let a = startup(7, index, Some(4_000));
            let b = startup(7, index, Some(4_000));
            assert_eq!(a.startup, b.startup);
            assert_eq!(a.phases, b.phases);
            let phases = &a.phases;
            assert!((1..=5).contains(&phases.len()), "{phases:?}");
            assert!(phases.windows(2).all(|w| w[0].start_date < w[1].start_date));
            assert!(
                phases
                    .windows(2)
                    .all(|w| w[0].next_start == Some(w[1].start_date))
            );
            assert_eq!(phases.last().and_then(|p| p.next_start), None);
            assert!(phases.iter().all(|p| p.start_date <= last_day()));
            assert!(
                phases
                    .iter()
                    .all(|p| p.end_date.is_none_or(|end| end >= p.start_date))
            );
            assert_eq!(a.startup.created_on, Some(phases[0].start_date));
            let latest = phases.last().expect("a phase");
            assert_eq!(a.startup.latest_phase_id.as_ref(), Some(&latest.phase_id));
            assert_eq!(a.startup.latest_phase_start, Some(latest.start_date));
            let (_, series) = a.metric.expect("a metric");
            assert!(series.first >= phases[0].start_date);
            let end = series.first + Days::new(u64::from(series.count - 1));
            assert!(end <= last_day(), "{end}");
        }
        assert_ne!(startup(1, 0, None).startup, startup(2, 0, None).startup);
    }

    #[test]
    fn histories_often_end_in_an_exit() {
        let exits = (0..1_000)
            .filter(|&i| {
                let phase = startup(1, i, None)
                    .phases
                    .last()
                    .map(|p| p.phase_id.clone());
                !ACTIVE_PHASES.contains(&phase.as_deref().unwrap_or_default())
            })
            .count();
        assert!((150..800).contains(&exits), "{exits} exits");
    }

    #[test]
    fn slugs_are_ascii() {
        assert_eq!(
            slugify("Démarche Énergie Pour Tous"),
            "demarche-energie-pour-tous"
        );
        assert_eq!(slugify("Mon  Vélo!"), "mon-velo");
    }
}
