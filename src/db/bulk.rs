//! Multi-row `INSERT`s, for loading many rows at once (the synthetic dataset generator, the
//! import of a content tree, every write of a startup's relations).
//!
//! Each function writes a slice of rows of one table, in as few statements as the backend's
//! limit on bind parameters allows: SQLite takes at most 32,766 per statement, PostgreSQL
//! 65,535. The caller holds the transaction.

use diesel::prelude::*;

use super::DbConnection;
use super::changes::NewChange;
use super::incubators::Incubator;
use super::metric_lines::MetricLines;
use super::metrics::{Metric, Observation};
use super::organisations::Organisation;
use super::phases::Phase;
use super::schema::{
    changes, incubators, metric_lines, metrics, observation_lines, observations, organisations,
    phases, startup_events, startup_incubators, startup_items, startup_lines, startup_phase_lines,
    startup_phases, startup_sponsors, startup_tags, startups,
};
use super::startup_lines::StartupLines;
use super::startups::{CoIncubatorRow, EventRow, NewStartup, PhaseRow, SponsorRow, TagRow};

/// Most bind parameters one SQLite statement may carry (`SQLITE_MAX_VARIABLE_NUMBER`).
pub const SQLITE_MAX_BINDS: usize = 32_766;
/// Most bind parameters one PostgreSQL statement may carry (the protocol counts them in 16 bits).
pub const POSTGRES_MAX_BINDS: usize = 65_535;

/// How many rows of `columns` columns fit in one statement on this connection's backend.
pub fn rows_per_statement(conn: &DbConnection, columns: usize) -> usize {
    let limit = match conn {
        DbConnection::Sqlite(_) => SQLITE_MAX_BINDS,
        DbConnection::Postgres(_) => POSTGRES_MAX_BINDS,
    };
    (limit / columns.max(1)).max(1)
}

/// Defines `fn $name(conn, rows: &[$row]) -> QueryResult<usize>` inserting into `$table`;
/// `$values` maps a row to its column values, one `column.eq(value)` per column. Explicit
/// values (a `None` bound as NULL, never `DEFAULT`) are what lets SQLite take many rows in one
/// statement: diesel writes a row holding a default value one `INSERT` at a time there.
macro_rules! bulk_insert {
    ($(#[$doc:meta])* $name:ident, $table:ident, $row:ty, |$r:ident| ($($value:expr),+ $(,)?)) => {
        $(#[$doc])*
        pub fn $name(conn: &mut DbConnection, rows: &[$row]) -> QueryResult<usize> {
            use $table::columns::*;
            const COLUMNS: usize = [$(stringify!($value)),+].len();
            let mut written = 0;
            for chunk in rows.chunks(rows_per_statement(conn, COLUMNS)) {
                let values: Vec<_> = chunk.iter().map(|$r| ($($value),+)).collect();
                written += match conn {
                    DbConnection::Sqlite(c) => {
                        diesel::insert_into($table::table).values(values).execute(c)?
                    }
                    DbConnection::Postgres(c) => {
                        diesel::insert_into($table::table).values(values).execute(c)?
                    }
                };
            }
            Ok(written)
        }
    };
}

bulk_insert!(
    /// Writes `organisations` rows.
    insert_organisations,
    organisations,
    Organisation,
    |r| (
        id.eq(&r.id),
        name.eq(&r.name),
        acronym.eq(&r.acronym),
        kind.eq(&r.kind),
    )
);
bulk_insert!(
    /// Writes `incubators` rows.
    insert_incubators,
    incubators,
    Incubator,
    |r| (
        id.eq(&r.id),
        title.eq(&r.title),
        owner_id.eq(&r.owner_id),
        website.eq(&r.website),
        contact.eq(&r.contact),
        address.eq(&r.address),
        description.eq(&r.description),
    )
);
bulk_insert!(
    /// Writes `phases` rows.
    insert_phases,
    phases,
    Phase,
    |r| (
        id.eq(&r.id),
        label.eq(&r.label),
        position.eq(r.position),
        kind.eq(&r.kind),
        description.eq(&r.description),
    )
);
bulk_insert!(
    /// Writes `startups` rows as given, each with its source document: `created_on` and the
    /// latest phase are not derived here (see [`super::startups::derive_phase_links`]).
    insert_startups,
    startups,
    NewStartup<'_>,
    |r| (
        id.eq(&r.row.id),
        name.eq(&r.row.name),
        pitch.eq(&r.row.pitch),
        incubator_id.eq(&r.row.incubator_id),
        link.eq(&r.row.link),
        repository.eq(&r.row.repository),
        contact.eq(&r.row.contact),
        description.eq(&r.row.description),
        created_on.eq(r.row.created_on),
        updated_at.eq(r.row.updated_at),
        latest_phase_id.eq(&r.row.latest_phase_id),
        latest_phase_start.eq(r.row.latest_phase_start),
        stats_url.eq(&r.row.stats_url),
        accessibility_status.eq(&r.row.accessibility_status),
        source.eq(&r.source),
    )
);
bulk_insert!(
    /// Writes `startup_phases` rows as given: `position` and `next_start` are not derived here (see
    /// [`super::startups::derive_phase_links`]).
    insert_startup_phases,
    startup_phases,
    PhaseRow,
    |r| (
        startup_id.eq(&r.startup_id),
        position.eq(r.position),
        phase_id.eq(&r.phase_id),
        start_date.eq(r.start_date),
        end_date.eq(r.end_date),
        next_start.eq(r.next_start),
    )
);
bulk_insert!(
    /// Writes `startup_incubators` rows.
    insert_startup_incubators,
    startup_incubators,
    CoIncubatorRow,
    |r| (
        startup_id.eq(&r.startup_id),
        position.eq(r.position),
        incubator_id.eq(&r.incubator_id),
    )
);
bulk_insert!(
    /// Writes `startup_sponsors` rows.
    insert_startup_sponsors,
    startup_sponsors,
    SponsorRow,
    |r| (startup_id.eq(&r.startup_id), organisation_id.eq(&r.organisation_id))
);
bulk_insert!(
    /// Writes `startup_tags` rows.
    insert_startup_tags,
    startup_tags,
    TagRow,
    |r| (
        startup_id.eq(&r.startup_id),
        kind.eq(&r.kind),
        value.eq(&r.value),
    )
);
bulk_insert!(
    /// Writes `startup_events` rows.
    insert_startup_events,
    startup_events,
    EventRow,
    |r| (
        startup_id.eq(&r.startup_id),
        position.eq(r.position),
        name.eq(&r.name),
        date.eq(r.date),
        comment.eq(&r.comment),
    )
);
bulk_insert!(
    /// Writes `metrics` rows.
    insert_metrics,
    metrics,
    Metric,
    |r| (
        id.eq(&r.id),
        label.eq(&r.label),
        unit.eq(&r.unit),
        startup_id.eq(&r.startup_id),
        description.eq(&r.description),
    )
);
bulk_insert!(
    /// Writes `observations` rows.
    insert_observations,
    observations,
    Observation,
    |r| (
        metric_id.eq(&r.metric_id),
        date.eq(r.date),
        start_date.eq(r.start_date),
        value.eq(r.value),
        source_id.eq(&r.source_id),
        note.eq(&r.note),
    )
);

bulk_insert!(
    /// Writes `changes` rows, numbered in the order given.
    insert_changes,
    changes,
    NewChange<'_>,
    |r| (
        at.eq(r.at),
        token.eq(r.token),
        resource.eq(r.resource),
        resource_id.eq(r.resource_id),
        action.eq(r.action),
        state.eq(&r.state),
        author.eq(r.author),
    )
);

bulk_insert!(
    /// Writes `startup_lines` rows.
    insert_startup_lines,
    startup_lines,
    StartupLines,
    |r| (
        startup_id.eq(&r.startup_id),
        current_from.eq(r.current_from),
        csv.eq(&r.csv),
        ndjson.eq(&r.ndjson),
    )
);

bulk_insert!(
    /// Writes the `startup_phase_lines` row of each of `rows`.
    insert_startup_phase_lines,
    startup_phase_lines,
    StartupLines,
    |r| (
        startup_id.eq(&r.startup_id),
        csv.eq(&r.phases_csv),
        ndjson.eq(&r.phases_ndjson),
    )
);

bulk_insert!(
    /// Writes the `startup_items` row of each of `rows`.
    insert_startup_items,
    startup_items,
    StartupLines,
    |r| (
        startup_id.eq(&r.startup_id),
        current_from.eq(r.current_from),
        json.eq(&r.item),
    )
);

bulk_insert!(
    /// Writes `metric_lines` rows.
    insert_metric_lines,
    metric_lines,
    MetricLines,
    |r| (
        metric_id.eq(&r.metric_id),
        csv.eq(&r.csv),
        ndjson.eq(&r.ndjson),
    )
);

bulk_insert!(
    /// Writes the `observation_lines` row of each of `rows`.
    insert_observation_lines,
    observation_lines,
    MetricLines,
    |r| (
        metric_id.eq(&r.metric_id),
        csv.eq(&r.observations_csv),
        ndjson.eq(&r.observations_ndjson),
    )
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_stay_under_the_bind_limits() {
        let conn = DbConnection::Sqlite(SqliteConnection::establish(":memory:").expect("sqlite"));
        assert_eq!(rows_per_statement(&conn, 6), 5_461);
        assert!(rows_per_statement(&conn, 6) * 6 <= SQLITE_MAX_BINDS);
        assert_eq!(rows_per_statement(&conn, 0), SQLITE_MAX_BINDS);
    }
}
