//! Queries on `phases`, the reference list of the programme's phases, and the number of
//! startups currently in each.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use diesel::dsl::count_star;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::{phases, startup_phases, startups};
use super::startups::{Startup, filter_incubator, filter_superseded};
use super::tallies;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = phases)]
pub struct Phase {
    pub id: String,
    pub label: String,
    pub position: i32,
    pub kind: String,
    pub description: String,
}

impl Phase {
    /// Every phase, in the order of the method.
    pub fn all(conn: &mut DbConnection) -> QueryResult<Vec<Self>> {
        phases::table
            .order(phases::position)
            .select(Self::as_select())
            .load(conn)
    }

    pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<Self>> {
        phases::table
            .find(id)
            .select(Self::as_select())
            .first(conn)
            .optional()
    }

    pub fn insert(&self, conn: &mut DbConnection) -> QueryResult<()> {
        diesel::insert_into(phases::table)
            .values(self)
            .execute(conn)
            .map(drop)
    }

    /// How many startups are in each phase on `day`, optionally within one incubator.
    /// Phases with no startup are absent from the map. Two counts, summed: startups settled in
    /// their latest phase by then, and those whose latest phase starts later (the phase rows
    /// current that day that are not the latest; see `current_phase_rows`). For the whole
    /// portfolio both come from the tallies kept as startups and phases are written
    /// ([`tallies::settled_by_phase`], [`tallies::superseded_by_phase`]); for one incubator,
    /// from grouped queries on the indexes of `startups` and `startup_phases`. `today` only
    /// tells the tallies which side of `day` to read, the shorter one.
    pub fn current_counts(
        conn: &mut DbConnection,
        day: NaiveDate,
        today: NaiveDate,
        incubator: Option<&str>,
    ) -> QueryResult<BTreeMap<String, i64>> {
        let co_incubated = match incubator {
            Some(incubator) => Startup::co_incubates(conn, incubator)?,
            None => false,
        };
        let mut counts: BTreeMap<String, i64> = match incubator {
            None => tallies::settled_by_phase(conn, day, today)?,
            Some(incubator) => {
                let settled = startups::table
                    .filter(startups::latest_phase_start.le(day))
                    .group_by(startups::latest_phase_id)
                    .select((startups::latest_phase_id, count_star()))
                    .into_boxed();
                let settled = filter_incubator!(settled, incubator.to_owned(), co_incubated);
                (settled.load::<(Option<String>, i64)>(conn)?.into_iter())
                    .filter_map(|(phase, n)| Some((phase?, n)))
                    .collect()
            }
        };
        // Every phase named, so that both backends read one range of `startup_phases_current`
        // per phase (PostgreSQL has no skip scan, and would read the whole table otherwise).
        let sqlite = matches!(conn, DbConnection::Sqlite(_));
        // `$rows` (the phase rows, joined to their startups or not) counted per phase.
        macro_rules! by_phase {
            ($rows:expr) => {
                $rows
                    .filter(startup_phases::phase_id.eq_any(phases::table.select(phases::id)))
                    .group_by(startup_phases::phase_id)
                    .select((startup_phases::phase_id, count_star()))
                    .into_boxed()
            };
        }
        let superseded: Vec<(String, i64)> = match incubator {
            // Every phase row has its startup: no join (one probe of `startups` per row).
            None => tallies::superseded_by_phase(conn, day)?
                .into_iter()
                .collect(),
            Some(incubator) => {
                let rows = by_phase!(startup_phases::table.inner_join(startups::table));
                let rows = filter_incubator!(rows, incubator.to_owned(), co_incubated);
                filter_superseded!(rows, day, sqlite).load(conn)?
            }
        };
        for (phase, n) in superseded {
            *counts.entry(phase).or_default() += n;
        }
        Ok(counts)
    }
}
