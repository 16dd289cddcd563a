//! beta.gouv.fr's public API v2.7, rebuilt from our database under `/compat/v2.7`, so that a
//! program written against `https://beta.gouv.fr/api/v2.7/…` works once its base URL points
//! here.
//!
//! These files mirror another API, so they are not operations of our v1 contract and are not
//! in `openapi/openapi.json`; their reference is beta.gouv.fr's own `api/swagger.json`.
//!
//! # Sources, field by field
//!
//! | file | upstream source | shape |
//! | --- | --- | --- |
//! | `startups.json` | Liquid template `api/v2.7/startups.json` | JSON:API: `links`, `data[]` of `startup` resources, `included[]` of `incubator` resources |
//! | `startups.csv` | Liquid template `api/v2.7/startups.csv` | `;`-separated, 12 columns |
//! | `incubators.json` | `api/v2.6/incubators.json`, i.e. the `render_incubators_api` tag of `_plugins/incubators.rb` (v2.7's swagger describes the same object) | an object keyed by incubator id: `startups[]` (only for incubators that host some), `title`, `owner`, `contact`, `address`, `website`, `github` |
//! | `organisations.json` | `api/v2.6/organisations.json` (same schema in v2.7's swagger) | an array of `{id, name, acronym, domaine_ministeriel, type}` |
//!
//! A missing value is written as the upstream generator writes it: the Liquid templates print an
//! empty string for an absent scalar, an empty array for an absent list, and leave out the keys
//! they guard with `{% if %}`; the Ruby plugin behind `incubators.json` writes `null`. Ids are
//! slugs, sponsors are organisation ids, and an incubator's `owner` keeps upstream's
//! `/organisations/<id>` form.
//!
//! # Fields we do not hold
//!
//! - `startups.json`: `stats_url` is always `""` (no statistics page is recorded); `impact_url`
//!   is `""`, present only when `link` is, as the template does; `budget_url`,
//!   `analyse_risques`, `analyse_risques_url`, `dashlord_url` and `accessibility_status` never
//!   appear, since the template omits them when absent; `technos` is `[]`. Event names are ours
//!   (e.g. `transfert`), not upstream's `fast`, `national_impact`, `end`.
//! - `included` incubators: `github` is `""`. `incubators.json`: `github` is `null`.
//! - `organisations.json`: `domaine_ministeriel` is `""`.
//! - `startups.csv`: `stats` is always `null` and `accessibility` empty.
//!
//! `content_url_encoded_markdown` is our startup description, percent-encoded as Ruby's
//! `ERB::Util.url_encode` does. One attribute is added to the template's: `usertypes`, which
//! issue 4 asks for and which JSON readers of the v2.7 file can ignore.
//!
//! # Phases
//!
//! Upstream names a phase `investigation`, `construction`, `acceleration`, `transfer`,
//! `success` or `alumni` (the enum of v2.7's swagger). Ours map onto them so that active phases
//! stay active and exits stay exits:
//!
//! | ours | upstream |
//! | --- | --- |
//! | `investigation`, `construction`, `acceleration` | the same |
//! | `consolidation` (handed over, still accompanied) | `transfer` |
//! | `transfere`, `opere` (run for good by an administration or an operator) | `success` |
//! | `abandon`, `abandon-investigation` | `alumni` |
//!
//! # Where we differ on purpose
//!
//! - Every string is JSON- or CSV-escaped. The templates escape nothing, so a quote in a pitch
//!   breaks their JSON and a `;` their CSV; `organisations.json` HTML-escapes (`&#39;`), which we
//!   do not.
//! - The CSV is RFC 4180: fields quoted only when needed, CRLF line ends. Any CSV reader set to
//!   `;` reads it as it reads the original.
//! - The CSV `status` is the phase current today (the template takes the last one recorded;
//!   they differ only for a phase scheduled in the future).
//! - `included` holds the incubators that the startups point to (JSON:API's full linkage),
//!   where the template lists every incubator; `incubators.json` lists them all.
//! - `links.self` is this document's own URL rather than beta.gouv.fr's HTML page.
//! - Query strings are ignored, as a static file ignores them (reusers add cache-busters).
//!
//! The startup files and `incubators.json` hold the whole portfolio: they are read
//! [`CHUNK_ROWS`] startups at a time and streamed (see [`super::export::stream`]).

mod incubators;
mod organisations;
mod startups;
mod startups_csv;

use actix_web::{HttpRequest, guard, web};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Serialize;

use super::export::CHUNK_ROWS;
use crate::db::DbConnection;
use crate::db::startups::{Relations, Startup};
use crate::error::ApiError;

/// Where the compatibility files live.
pub const BASE: &str = "/compat/v2.7";

/// The files served under [`BASE`].
pub const FILES: [&str; 4] = [
    "/startups.json",
    "/startups.csv",
    "/incubators.json",
    "/organisations.json",
];

/// The compatibility files. Each resource is guarded by GET (HEAD arrives as GET, see
/// `caching::conditional_get`), so another method falls through to the application's fallback
/// and gets a problem+json 405.
pub fn scope() -> actix_web::Scope {
    let file = |path: &str| web::resource(path).guard(guard::Get());
    web::scope(BASE)
        .service(file(FILES[0]).to(startups::startups_json))
        .service(file(FILES[1]).to(startups_csv::startups_csv))
        .service(file(FILES[2]).to(incubators::incubators_json))
        .service(file(FILES[3]).to(organisations::organisations_json))
}

/// Upstream's name for one of our phases (see the module documentation). An unknown name,
/// which the database's reference forbids, is passed through.
pub fn upstream_phase(phase: &str) -> &str {
    match phase {
        "consolidation" => "transfer",
        "transfere" | "opere" => "success",
        "abandon" | "abandon-investigation" => "alumni",
        other => other,
    }
}

/// Upstream's organisation `type` for one of our organisation kinds.
pub fn upstream_organisation_type(kind: &str) -> &'static str {
    match kind {
        "ministry" => "administration-centrale",
        "agency" => "operateur",
        "local_authority" => "collectivite-territoriale",
        _ => "autre",
    }
}

/// An incubator's owner as upstream writes it: the path of the organisation's page.
fn owner_path(owner_id: Option<&str>) -> Option<String> {
    owner_id.map(|id| format!("/organisations/{id}"))
}

/// What Ruby's `ERB::Util.url_encode` leaves as is: letters, digits and `-_.~`.
const URL_ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Markdown as upstream's `content_url_encoded_markdown`: every other byte as `%XX`.
fn url_encode(text: &str) -> String {
    utf8_percent_encode(text, URL_ENCODE).to_string()
}

/// The absolute URL of the file asked for, without its query string.
fn own_url(req: &HttpRequest) -> String {
    let info = req.connection_info();
    format!("{}://{}{}", info.scheme(), info.host(), req.path())
}

/// Appends `value` as JSON to `out`.
fn push_json<T: Serialize>(out: &mut Vec<u8>, value: &T) -> Result<(), ApiError> {
    serde_json::to_writer(out, value).map_err(|e| ApiError::Internal(format!("writing JSON: {e}")))
}

/// Reads the startups, those of `incubator` only when given, [`CHUNK_ROWS`] at a time in id
/// order, each with its relations, and hands each chunk to `each` until it returns false or the
/// startups run out. The last chunk may be empty.
fn for_each_chunk(
    conn: &mut DbConnection,
    incubator: Option<&str>,
    mut each: impl FnMut(Vec<(Startup, Relations)>) -> Result<bool, ApiError>,
) -> Result<(), ApiError> {
    let full = usize::try_from(CHUNK_ROWS).unwrap_or(usize::MAX);
    let mut after: Option<String> = None;
    loop {
        let rows = Startup::chunk(conn, incubator, after.as_deref(), CHUNK_ROWS)?;
        let last = rows.len() < full;
        after = rows.last().map(|s| s.id.clone());
        let ids: Vec<String> = rows.iter().map(|s| s.id.clone()).collect();
        let mut relations = Startup::relations(conn, &ids)?;
        let chunk = rows
            .into_iter()
            .map(|s| {
                let r = relations.remove(&s.id).unwrap_or_default();
                (s, r)
            })
            .collect();
        if !each(chunk)? || last {
            return Ok(());
        }
    }
}

/// A startup with a delimiter and quotes in its name, for the unit tests of the files.
#[cfg(test)]
fn sample_startup(pitch: Option<&str>) -> Startup {
    Startup {
        id: "s".into(),
        name: "Nom; \"cité\"".into(),
        pitch: pitch.map(str::to_owned),
        incubator_id: Some("dinum".into()),
        link: None,
        repository: Some("https://example.org/r".into()),
        contact: None,
        description: None,
        created_on: None,
        latest_phase_id: None,
        latest_phase_start: None,
        updated_at: chrono::NaiveDateTime::default(),
        stats_url: None,
        accessibility_status: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::phases::REFERENCE_PHASES;

    #[test]
    fn every_phase_maps_to_an_upstream_name() {
        let upstream = [
            "investigation",
            "construction",
            "acceleration",
            "transfer",
            "success",
            "alumni",
        ];
        for phase in REFERENCE_PHASES {
            assert!(upstream.contains(&upstream_phase(phase)), "{phase}");
        }
        assert_eq!(upstream_phase("construction"), "construction");
        assert_eq!(upstream_phase("consolidation"), "transfer");
        assert_eq!(upstream_phase("opere"), "success");
        assert_eq!(upstream_phase("abandon-investigation"), "alumni");
    }

    #[test]
    fn organisation_kinds_map_to_upstream_types() {
        assert_eq!(
            upstream_organisation_type("ministry"),
            "administration-centrale"
        );
        assert_eq!(upstream_organisation_type("agency"), "operateur");
        assert_eq!(
            upstream_organisation_type("local_authority"),
            "collectivite-territoriale"
        );
        assert_eq!(upstream_organisation_type("other"), "autre");
    }

    #[test]
    fn url_encoding_is_erb_s() {
        assert_eq!(
            url_encode("Medlé : 47 IML, a-b_c.d~e/f"),
            "Medl%C3%A9%20%3A%2047%20IML%2C%20a-b_c.d~e%2Ff"
        );
        assert_eq!(url_encode(""), "");
    }
}
