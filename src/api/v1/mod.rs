//! Version 1 of the API, under `/api/v1`: a folder for each resource (its reads, its writes
//! and its routes), and a file for each read-only one.

pub mod changes;
pub mod incubators;
pub mod metrics;
pub mod organisations;
pub mod phases;
pub mod startups;
pub mod stats;

use diesel::QueryResult;

use crate::db::DbConnection;

/// Renders the export lines of every startup and metric a write made stale, in the caller's
/// transaction ([`startups::lines::refresh`], [`metrics::lines::refresh`]).
pub fn refresh_export_lines(conn: &mut DbConnection) -> QueryResult<()> {
    startups::lines::refresh(conn)?;
    metrics::lines::refresh(conn)?;
    Ok(())
}

/// The same in a transaction for each batch, under the writers' lock, for a database opened to
/// serve or just loaded; returns how many startups and how many metrics it rendered.
pub fn refresh_export_lines_in_batches(conn: &mut DbConnection) -> QueryResult<(usize, usize)> {
    Ok((
        startups::lines::refresh_in_batches(conn)?,
        metrics::lines::refresh_in_batches(conn)?,
    ))
}
