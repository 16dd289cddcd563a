//! beta.gouv.fr's public API v2.7, rebuilt from our database under `/compat/v2.7`, so that a
//! program written against `https://beta.gouv.fr/api/v2.7/…` works once its base URL points
//! here.
//!
//! These files mirror another API, so they are not operations of our v1 contract and are not
//! in `openapi/openapi.json`; their reference is beta.gouv.fr's own `api/swagger.json`.
//!
//! # What they hold
//!
//! The seven files of beta.gouv.fr's `api/v2.7/`, each a port of the Liquid template or Ruby
//! plugin that renders it there, over the same documents: `startups.json`, `startups.csv` and
//! `organisations.json` (templates), `incubators.json`, `sponsors.json` and
//! `startups_details.json` (plugins), and `authors.json`, which is `[]` since no member is held
//! (upstream's own render of a tree without `_authors/` gives the same).
//!
//! Each record's document ([`document`]) is the front matter and body its file was imported
//! with, so the values are the source's, byte for byte: raw phase names (`alumni`, `transfer`),
//! links with their spaces, every field the templates print (`stats_url`, `technos`,
//! `budget_url`, `dashlord_url`, incubators' `github`…), empty strings and `null` where the
//! templates write them. A field changed through `/api/v1` since, and every field of a record
//! created there, comes from the rows. Hidden incubators are left out where upstream leaves
//! them out: `included` and the incubators' own entries of `incubators.json`.
//!
//! # Where we differ on purpose
//!
//! - The templates escape nothing: a quote in a pitch breaks their JSON, a `;` or a line break
//!   their CSV. Ours is valid JSON holding the value a reader of theirs gets, and RFC 4180 CSV
//!   (`;`-separated, quoted where needed, CRLF) holding the same fields.
//! - A text field of `startups.csv` that a spreadsheet would run as a formula (beginning with
//!   `=`, `+`, `-`, `@`, a tab or a carriage return) is written with a `'` before it, as in
//!   every CSV we publish ([`crate::api::shape::formula_safe`]); the JSON files hold it as it is.
//! - `links.self` is this document's own URL rather than beta.gouv.fr's HTML page.
//! - Upstream lists records in the order of their file names (`estime.formation.md` before
//!   `estime.md`); ours are read in id order, [`CHUNK_ROWS`] at a time, and each chunk is put
//!   in file-name order ([`file_order`]): the same order but where two such ids straddle a
//!   chunk's end.
//! - Query strings are ignored, as a static file ignores them (reusers add cache-busters).
//!
//! The startup files and `incubators.json` hold the whole portfolio: they are read
//! [`CHUNK_ROWS`] startups at a time and streamed (see [`crate::api::shape::formats::stream`]).

mod details;
pub mod document;
mod incubators;
mod organisations;
mod startups;
mod startups_csv;

use actix_web::{HttpRequest, guard, web};
use serde::Serialize;

use crate::api::http::error::ApiError;
use crate::api::shape::formats::CHUNK_ROWS;
use crate::db::DbConnection;
use crate::db::sources_kept;
use crate::db::startups::{RelationsOf, Startup};
use crate::domain::source::RecordKind;
use document::Document;
pub use startups_csv::CSV_COLUMNS;

/// Where the compatibility files live.
pub const BASE: &str = "/compat/v2.7";

/// The files served under [`BASE`].
pub const FILES: [&str; 7] = [
    "/startups.json",
    "/startups.csv",
    "/startups_details.json",
    "/incubators.json",
    "/organisations.json",
    "/sponsors.json",
    "/authors.json",
];

/// The compatibility files. Each resource is guarded by GET (HEAD arrives as GET, see
/// `caching::conditional_get`), so another method falls through to the application's fallback
/// and gets a problem+json 405.
pub fn scope() -> actix_web::Scope {
    let file = |path: &str| web::resource(path).guard(guard::Get());
    web::scope(BASE)
        .service(file(FILES[0]).to(startups::startups_json))
        .service(file(FILES[1]).to(startups_csv::startups_csv))
        .service(file(FILES[2]).to(details::startups_details_json))
        .service(file(FILES[3]).to(incubators::incubators_json))
        .service(file(FILES[4]).to(organisations::organisations_json))
        .service(file(FILES[5]).to(organisations::sponsors_json))
        .service(file(FILES[6]).to(details::authors_json))
}

/// Markdown as upstream's `content_url_encoded_markdown` (Ruby's `ERB::Util.url_encode`):
/// letters, digits and `-_.~` as they are, every other byte as `%XX`, as in a path segment.
fn url_encode(text: &str) -> String {
    crate::api::shape::write::path_segment(text)
}

/// The absolute URL of the file asked for, under the API's public URL, without its query
/// string.
fn own_url(req: &HttpRequest) -> String {
    format!("{}{}", crate::api::http::public_url::base(req), req.path())
}

/// Appends `value` as JSON to `out`.
fn push_json<T: Serialize>(out: &mut Vec<u8>, value: &T) -> Result<(), ApiError> {
    serde_json::to_writer(out, value).map_err(|e| ApiError::Internal(format!("writing JSON: {e}")))
}

/// Reads the startups' documents, those of `incubator` only when given, [`CHUNK_ROWS`] at a
/// time in id order, and hands each chunk to `each` until it returns false or the startups run
/// out. The last chunk may be empty.
fn for_each_chunk(
    conn: &mut DbConnection,
    incubator: Option<&str>,
    mut each: impl FnMut(Vec<Document>) -> Result<bool, ApiError>,
) -> Result<(), ApiError> {
    let full = usize::try_from(CHUNK_ROWS).unwrap_or(usize::MAX);
    let mut after: Option<String> = None;
    loop {
        let rows = Startup::chunk(conn, incubator, after.as_deref(), CHUNK_ROWS)?;
        let last = rows.len() < full;
        after = rows.last().map(|s| s.id.clone());
        let ids: Vec<String> = rows.iter().map(|s| s.id.clone()).collect();
        // Without an incubator, a chunk holds every id between its first and its last.
        let startups = match (incubator, ids.first(), ids.last()) {
            (None, Some(first), Some(last)) => RelationsOf::Range {
                first,
                last,
                ids: &ids,
            },
            _ => RelationsOf::Ids(&ids),
        };
        let mut relations = Startup::relations_of(conn, startups)?;
        let mut sources = sources_kept::read_many(conn, RecordKind::Startup, &ids)?;
        let mut chunk: Vec<Document> = rows
            .into_iter()
            .map(|s| {
                let r = relations.remove(&s.id).unwrap_or_default();
                document::startup(&s, &r, sources.remove(&s.id))
            })
            .collect();
        chunk.sort_by(|a, b| file_order(&a.id, &b.id));
        if !each(chunk)? || last {
            return Ok(());
        }
    }
}

/// The order of two records' files, `ID.md`, as upstream lists them.
pub fn file_order(a: &str, b: &str) -> std::cmp::Ordering {
    a.bytes().chain(*b".md").cmp(b.bytes().chain(*b".md"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_encoding_is_erb_s() {
        assert_eq!(
            url_encode("Medlé : 47 IML, a-b_c.d~e/f"),
            "Medl%C3%A9%20%3A%2047%20IML%2C%20a-b_c.d~e%2Ff"
        );
        assert_eq!(url_encode(""), "");
    }

    #[test]
    fn records_come_in_file_name_order() {
        let mut ids = vec!["estime", "estime.formation", "Zed", "a"];
        ids.sort_by(|a, b| file_order(a, b));
        assert_eq!(ids, vec!["Zed", "a", "estime.formation", "estime"]);
    }
}
