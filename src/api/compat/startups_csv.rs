//! `startups.csv`: one `;`-separated row per startup, in id order, streamed chunk by chunk.
//!
//! | column | from |
//! | --- | --- |
//! | `id`, `name` | the startup |
//! | `mission` | its pitch |
//! | `start` | the start of its first phase |
//! | `status` | its phase today, under upstream's name ([`super::upstream_phase`]) |
//! | `incubator`, `incubators` | its incubator's id (one at most here) |
//! | `stats` | always `null`: no statistics page is recorded |
//! | `link`, `repository` | the URL, or `null` as upstream writes an absent one |
//! | `accessibility` | always empty: no accessibility status is recorded |
//! | `contact` | the contact, empty when absent |

use actix_web::web::Bytes;
use actix_web::{HttpResponse, web};
use chrono::NaiveDate;

use super::{for_each_chunk, upstream_phase};
use crate::api::export::{Format, stream};
use crate::api::state::AppState;
use crate::db::startups::{Relations, Startup};
use crate::domain::phases::{PhaseSpan, current_phase};
use crate::error::ApiError;

/// The columns of upstream's `startups.csv`, in its order.
pub const CSV_HEADER: [&str; 12] = [
    "id",
    "name",
    "mission",
    "start",
    "status",
    "incubator",
    "stats",
    "link",
    "repository",
    "accessibility",
    "contact",
    "incubators",
];

/// Upstream's placeholder for an absent URL in its CSV.
const NULL: &str = "null";

/// One record, as the module documentation lays the columns out.
fn csv_record(startup: Startup, relations: &Relations, day: NaiveDate) -> [String; 12] {
    let history: Vec<PhaseSpan> = relations
        .phases
        .iter()
        .map(|p| PhaseSpan {
            phase: p.phase_id.clone(),
            start: p.start_date,
            end: p.end_date,
        })
        .collect();
    let start = history.iter().map(|s| s.start).min();
    let status = current_phase(&history, day).map(|s| upstream_phase(&s.phase).to_owned());
    let incubator = startup.incubator_id.unwrap_or_default();
    [
        startup.id,
        startup.name,
        startup.pitch.unwrap_or_default(),
        start.map(|d| d.to_string()).unwrap_or_default(),
        status.unwrap_or_default(),
        incubator.clone(),
        NULL.to_owned(),
        startup.link.unwrap_or_else(|| NULL.to_owned()),
        startup.repository.unwrap_or_else(|| NULL.to_owned()),
        String::new(),
        startup.contact.unwrap_or_default(),
        incubator,
    ]
}

/// Writes records `;`-separated, quoted where RFC 4180 needs it, with CRLF line ends.
fn csv_bytes<I, R, F>(records: I) -> Result<Bytes, ApiError>
where
    I: IntoIterator<Item = R>,
    R: IntoIterator<Item = F>,
    F: AsRef<[u8]>,
{
    let error = |e: &dyn std::fmt::Display| ApiError::Internal(format!("writing CSV: {e}"));
    let mut writer = csv::WriterBuilder::new()
        .delimiter(b';')
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    for record in records {
        writer.write_record(record).map_err(|e| error(&e))?;
    }
    writer.into_inner().map(Bytes::from).map_err(|e| error(&e))
}

/// `GET /compat/v2.7/startups.csv`: one row per startup, in id order.
pub async fn startups_csv(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let day = state.today();
    stream(&state, Format::Csv, move |conn, send| {
        if !send(csv_bytes([CSV_HEADER])?) {
            return Ok(());
        }
        for_each_chunk(conn, None, |chunk| {
            let records = chunk
                .into_iter()
                .map(|(startup, relations)| csv_record(startup, &relations, day));
            Ok(send(csv_bytes(records)?))
        })
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::compat::sample_startup;
    use crate::db::startups::PhaseRow;

    fn d(text: &str) -> NaiveDate {
        text.parse().expect("date")
    }

    fn phase(id: &str, start: &str) -> PhaseRow {
        PhaseRow {
            startup_id: "s".into(),
            phase_id: id.into(),
            start_date: d(start),
            end_date: None,
            next_start: None,
        }
    }

    #[test]
    fn a_record_maps_phases_and_writes_upstream_placeholders() {
        let relations = Relations {
            phases: vec![
                phase("construction", "2020-01-01"),
                phase("abandon", "2022-01-01"),
                phase("consolidation", "2030-01-01"),
            ],
            ..Relations::default()
        };
        let record = csv_record(sample_startup(None), &relations, d("2024-06-01"));
        assert_eq!(
            record,
            [
                "s",
                "Nom; \"cité\"",
                "",
                "2020-01-01",
                "alumni",
                "dinum",
                "null",
                "null",
                "https://example.org/r",
                "",
                "",
                "dinum"
            ]
        );
    }

    #[test]
    fn csv_quotes_only_what_needs_it() {
        let record = csv_record(
            sample_startup(Some("a\nb")),
            &Relations::default(),
            d("2024-01-01"),
        );
        let text = csv_bytes([CSV_HEADER.map(str::to_owned), record]).expect("CSV");
        assert_eq!(
            std::str::from_utf8(&text).expect("UTF-8"),
            "id;name;mission;start;status;incubator;stats;link;repository;accessibility;contact;incubators\r\n\
             s;\"Nom; \"\"cité\"\"\";\"a\nb\";;;dinum;null;null;https://example.org/r;;;dinum\r\n"
        );
    }
}
