//! Startups as CSV and NDJSON rows, for one page or a whole streamed export.
//!
//! CSV columns, stable: the listed attributes (`id, name, pitch, incubator, sponsors,
//! current_phase, created, updated, link`), then `repository, contact, usertypes,
//! thematiques`, then `<phase>_start` and `<phase>_end` for each phase of the method's
//! reference, in its order (the first time the startup was in it; the end as recorded, empty
//! while it runs). Lists are joined with `|`; dates are `YYYY-MM-DD`.

use chrono::NaiveDate;
use diesel::QueryResult;
use std::sync::Arc;

use serde::ser::Error as _;
use serde::{Serialize, Serializer};

use crate::api::shape::columns::{Column, DATETIME_FORMAT, FieldType};
use crate::api::shape::envelope::keep_fields;
use crate::api::shape::formats::{CsvRecord, cell};
use crate::api::v1::startups::StartupSummary;
use crate::db::DbConnection;
use crate::db::page::{Page, PageRequest};
use crate::db::startup_list::{self, Sort, SortKey, StartupFilter};
use crate::db::startups::{Relations, RelationsOf, Startup};
use crate::domain::phases::REFERENCE_PHASES;

/// What joins the items of a list in a CSV cell.
pub const LIST_SEPARATOR: &str = "|";

/// The `<phase>_start` column of the CSV.
macro_rules! phase_start {
    ($phase:literal) => {
        Column::date(
            concat!($phase, "_start"),
            concat!("First day of its first `", $phase, "` phase"),
        )
        .fr(
            concat!("Début de la phase ", $phase),
            concat!("Premier jour de sa première phase `", $phase, "`"),
        )
        .example("2019-09-01")
    };
}

/// The `<phase>_end` column of the CSV.
macro_rules! phase_end {
    ($phase:literal) => {
        Column::date(
            concat!($phase, "_end"),
            concat!(
                "Last day of that `",
                $phase,
                "` phase, as recorded; empty while it runs"
            ),
        )
        .fr(
            concat!("Fin de la phase ", $phase),
            concat!(
                "Dernier jour de cette phase `",
                $phase,
                "`, tel qu'enregistré ; vide tant qu'elle dure"
            ),
        )
        .example("2020-06-01")
    };
}

/// A startup as exported: its list item in NDJSON, a flat record in CSV.
#[derive(Debug)]
pub struct StartupExport {
    summary: StartupSummary,
    csv: Vec<String>,
    /// The fields its NDJSON line holds besides its id (`fields=`); all of them when `None`.
    fields: Option<Arc<[String]>>,
}

impl Serialize for StartupExport {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let Some(fields) = &self.fields else {
            return self.summary.serialize(serializer);
        };
        let mut item = match serde_json::to_value(&self.summary) {
            Ok(serde_json::Value::Object(item)) => item,
            _ => return Err(S::Error::custom("a startup is not a JSON object")),
        };
        keep_fields(&mut item, fields);
        item.serialize(serializer)
    }
}

impl CsvRecord for StartupExport {
    const COLUMNS: &'static [Column] = &[
        Column::text("id", "Identifier of the startup")
            .fr("Identifiant", "Identifiant de la startup")
            .example("medle")
            .key(),
        Column::text("name", "Name of the service")
            .fr("Nom", "Nom du service")
            .example("Medlé")
            .required(),
        Column::text("pitch", "What it does, in a sentence")
            .fr("Pitch", "Ce qu'elle fait, en une phrase")
            .example(
                "Un outil pour que les structures de médecine légale déclarent leur activité.",
            ),
        Column::text("incubator", "Identifier of the incubator that hosts it")
            .fr("Incubateur", "Identifiant de l'incubateur qui l'accueille")
            .example("sgmas"),
        Column::text(
            "sponsors",
            "Identifiers of the sponsor organisations, joined with `|`",
        )
        .fr(
            "Sponsors",
            "Identifiants des organisations qui la financent, séparés par `|`",
        )
        .example("dgos|dgs"),
        Column::text(
            "current_phase",
            "Its phase on the day of the export (or `as_of`)",
        )
        .fr(
            "Phase actuelle",
            "Sa phase au jour de l'export (ou à la date `as_of`)",
        )
        .example("construction")
        .one_of(&REFERENCE_PHASES),
        Column::date("created", "Start of its first phase")
            .fr("Création", "Début de sa première phase")
            .example("2019-06-15"),
        Column::new(
            "updated",
            FieldType::Datetime,
            "When its record last changed, in UTC",
        )
        .fr("Mise à jour", "Dernière modification de sa fiche, en UTC")
        .example("2026-11-24T10:00:00Z")
        .required(),
        Column::text("link", "Address of the service")
            .fr("Lien", "Adresse du service")
            .example("https://aidantsconnect.beta.gouv.fr/")
            .uri(),
        Column::text("repository", "Address of its source code")
            .fr("Code source", "Adresse de son code source")
            .example(
                "https://github.com/Delegation-numerique-en-sante/covid19-algorithme-orientation",
            )
            .uri(),
        Column::text("contact", "E-mail address of the team")
            .fr("Contact", "Adresse électronique de l'équipe")
            .example("aides-jeunes@beta.gouv.fr"),
        Column::text("usertypes", "Whom the service is for, joined with `|`")
            .fr("Publics", "À qui le service s'adresse, séparés par `|`")
            .example("etat"),
        Column::text("thematiques", "Policy areas, joined with `|`")
            .fr(
                "Thématiques",
                "Domaines de politique publique, séparés par `|`",
            )
            .example("Santé|Justice"),
        phase_start!("investigation"),
        phase_end!("investigation"),
        phase_start!("construction"),
        phase_end!("construction"),
        phase_start!("acceleration"),
        phase_end!("acceleration"),
        phase_start!("consolidation"),
        phase_end!("consolidation"),
        phase_start!("transfere"),
        phase_end!("transfere"),
        phase_start!("abandon"),
        phase_end!("abandon"),
        phase_start!("abandon-investigation"),
        phase_end!("abandon-investigation"),
        phase_start!("opere"),
        phase_end!("opere"),
    ];

    fn record(&self) -> Vec<String> {
        self.csv.clone()
    }
}

impl StartupExport {
    pub fn id(&self) -> &str {
        &self.summary.id
    }

    pub fn new(startup: Startup, relations: Relations, on: NaiveDate) -> Self {
        let per_phase = REFERENCE_PHASES.iter().flat_map(|phase| {
            let span = relations.phases.iter().find(|r| r.phase_id == *phase);
            [
                cell(&span.map(|s| s.start_date)),
                cell(&span.and_then(|s| s.end_date)),
            ]
        });
        let extra = [
            cell(&startup.repository),
            cell(&startup.contact),
            relations.usertypes.join(LIST_SEPARATOR),
            relations.thematiques.join(LIST_SEPARATOR),
        ];
        let per_phase: Vec<String> = per_phase.collect();
        let summary = StartupSummary::new(startup, relations, on);
        let listed = [
            summary.id.clone(),
            summary.name.clone(),
            cell(&summary.pitch),
            cell(&summary.incubator),
            summary.sponsors.join(LIST_SEPARATOR),
            cell(&summary.current_phase),
            cell(&summary.created),
            summary.updated.format(DATETIME_FORMAT).to_string(),
            cell(&summary.link),
        ];
        let csv = listed.into_iter().chain(extra).chain(per_phase).collect();
        Self {
            summary,
            csv,
            fields: None,
        }
    }
}

/// Reads a page of startups ready to export. A chunk skips the total, and reads a search in id
/// order: relevance is ranked in memory, not in chunks.
pub fn fetch(
    conn: &mut DbConnection,
    filter: &StartupFilter,
    sort: Sort,
    fields: Option<&Arc<[String]>>,
    request: &PageRequest,
) -> QueryResult<Page<StartupExport>> {
    let (page, sort) = match request.chunk {
        false => (
            startup_list::page(conn, filter, sort, request, None, None)?,
            sort,
        ),
        true => {
            let sort = match sort.key {
                SortKey::Relevance => Sort {
                    key: SortKey::Id,
                    descending: false,
                },
                _ => sort,
            };
            let rows = startup_list::sorted_rows(conn, filter, sort, request)?;
            let page = Page::from_rows(request, rows, 0, |s| sort.key_of(s, None));
            (page, sort)
        }
    };
    let ids: Vec<String> = page.rows.iter().map(|s| s.id.clone()).collect();
    // A chunk of every startup in id order holds every id between its first and its last.
    let whole_range = request.chunk && sort.key == SortKey::Id && filter.selects_all();
    let startups = match (ids.first(), ids.last()) {
        (Some(first), Some(last)) if whole_range => {
            let (first, last) = match sort.descending {
                true => (last, first),
                false => (first, last),
            };
            RelationsOf::Range {
                first,
                last,
                ids: &ids,
            }
        }
        _ => RelationsOf::Ids(&ids),
    };
    let mut relations = Startup::relations_of(conn, startups)?;
    Ok(page.map(|s| {
        let r = relations.remove(&s.id).unwrap_or_default();
        StartupExport {
            fields: fields.cloned(),
            ..StartupExport::new(s, r, filter.day)
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::v1::startups::STARTUP_FIELDS;

    #[test]
    fn the_header_is_the_listed_fields_the_extras_and_two_columns_a_phase() {
        let derived: Vec<String> = STARTUP_FIELDS
            .iter()
            .chain(&["repository", "contact", "usertypes", "thematiques"])
            .map(|c| c.to_string())
            .chain(
                REFERENCE_PHASES
                    .iter()
                    .flat_map(|p| [format!("{p}_start"), format!("{p}_end")]),
            )
            .collect();
        assert_eq!(
            crate::api::shape::columns::header(StartupExport::COLUMNS),
            derived
        );
    }
}
