//! Queries on `phases`, the reference list of the programme's phases, and the number of
//! startups currently in each.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use diesel::dsl::count_star;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::{phases, startup_phases};
use super::startups::{current_phase_rows, phases_in_incubator};

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
    /// Phases with no startup are absent from the map.
    pub fn current_counts(
        conn: &mut DbConnection,
        day: NaiveDate,
        incubator: Option<&str>,
    ) -> QueryResult<BTreeMap<String, i64>> {
        let query = startup_phases::table
            .filter(current_phase_rows!(day))
            .group_by(startup_phases::phase_id)
            .select((startup_phases::phase_id, count_star()))
            .into_boxed();
        let query = phases_in_incubator!(query, incubator);
        Ok(query.load::<(String, i64)>(conn)?.into_iter().collect())
    }
}
