//! The source documents kept beside imported records ([`SourceDoc`]): the `source` column of
//! `organisations`, `incubators` and `startups`, read and written apart from the rows, so that
//! the lists and pages that never need it do not carry it.

use std::collections::HashMap;

use diesel::prelude::*;

use super::DbConnection;
use super::one_of::one_of;
use super::schema::{incubators, organisations, startups};
use crate::domain::source::{RecordKind, SourceDoc};

/// Runs `$body` with `$table` bound to the schema module of `$kind`'s table.
macro_rules! with_table {
    ($kind:expr, $table:ident => $body:expr) => {
        match $kind {
            RecordKind::Organisation => {
                use organisations as $table;
                $body
            }
            RecordKind::Incubator => {
                use incubators as $table;
                $body
            }
            RecordKind::Startup => {
                use startups as $table;
                $body
            }
        }
    };
}

/// The documents of the records among `ids` that have one, by id.
pub fn read_many(
    conn: &mut DbConnection,
    kind: RecordKind,
    ids: &[String],
) -> QueryResult<HashMap<String, SourceDoc>> {
    let rows: Vec<(String, Option<String>)> = with_table!(kind, table => table::table
        .filter(one_of(table::id, ids))
        .filter(table::source.is_not_null())
        .select((table::id, table::source))
        .load(conn)?);
    Ok(rows
        .into_iter()
        .filter_map(|(id, text)| Some((id, SourceDoc::from_json(&text?)?)))
        .collect())
}

/// The document of record `id`, if it has one.
pub fn read(conn: &mut DbConnection, kind: RecordKind, id: &str) -> QueryResult<Option<SourceDoc>> {
    Ok(read_many(conn, kind, &[id.to_owned()])?.remove(id))
}

/// Sets (or, with `None`, removes) the document of record `id`.
pub fn write(
    conn: &mut DbConnection,
    kind: RecordKind,
    id: &str,
    doc: Option<&SourceDoc>,
) -> QueryResult<()> {
    let text = doc.map(SourceDoc::to_json);
    with_table!(kind, table => diesel::update(table::table.find(id))
        .set(table::source.eq(text))
        .execute(conn)?);
    Ok(())
}

/// After a write through the API: the document of record `id` forgets the fields the write
/// changed ([`SourceDoc::forget`]), and keeps the others as the source wrote them.
pub fn forget(
    conn: &mut DbConnection,
    kind: RecordKind,
    id: &str,
    fields: &[String],
    content: bool,
) -> QueryResult<()> {
    if fields.is_empty() && !content {
        return Ok(());
    }
    let Some(mut doc) = read(conn, kind, id)? else {
        return Ok(());
    };
    doc.forget(fields, content);
    write(conn, kind, id, Some(&doc))
}
