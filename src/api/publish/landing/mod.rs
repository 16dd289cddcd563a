//! `GET /`: a page for people, in French, server-rendered without JavaScript: what the data
//! is, its licence, every dataset in every format, where the API is documented, and the
//! portfolio by phase through the years as an SVG chart.
//!
//! It is not part of the OpenAPI contract (it is not an API), but it is cached like the data
//! (see [`crate::api::http::caching`]), which it reflects.

pub mod chart;
pub mod colour;
pub mod page;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use actix_web::http::{Method, header};
use actix_web::{HttpResponse, web};
use chrono::{Datelike, NaiveDate, NaiveDateTime};

use crate::api::http::error::ApiError;
use crate::api::http::state::AppState;
use crate::api::publish::datasets::DATASETS;
use crate::api::shape::formats::Format;
use crate::api::shape::write::path_segment;
use crate::db::phases::Phase;
use crate::db::revision::Revision;
use crate::db::startups::Startup;
use crate::db::stats::{self, PhaseYearRow};
use crate::domain::portfolio::{PhaseYears, YearEnd, portfolio_by_year};
use crate::domain::stats::{OutcomeKind, classify};
use chart::{Bar, Series, StackedBars};
use page::{Dataset, Download, Figures, Landing, RecentStartup};

/// Link text and format of each download.
const FORMATS: &[(&str, Format)] = &[
    ("JSON", Format::Json),
    ("CSV", Format::Csv),
    ("NDJSON", Format::Ndjson),
];

/// Every published dataset, in French, with one link per format and one to the TableSchema of
/// its CSV.
pub fn datasets() -> Vec<Dataset<'static>> {
    DATASETS
        .iter()
        .map(|dataset| Dataset {
            title: dataset.title.fr,
            description: dataset.description.fr,
            links: FORMATS
                .iter()
                .map(|(label, format)| Download {
                    format: label,
                    href: dataset.download_url("", *format),
                })
                .chain(std::iter::once(Download {
                    format: "schéma",
                    href: dataset.schema_url(""),
                }))
                .collect(),
        })
        .collect()
}

/// How many recently started startups the page names.
const RECENT: i64 = 5;

/// Colours of the phases, in the order of the method; more phases reuse them. Each stands out
/// from the chart's background by at least 3:1 (WCAG 2.1 SC 1.4.11) and differs from its
/// neighbours, as [`colour`]'s tests check. Most come from the DSFR, the State's design system;
/// two of its colours were too pale on white. Transferred, moutarde (main-679, `#c3992a`,
/// 2.65:1), is darkened to 80 %: the DSFR's dark moutarde (sun-348, `#695240`) is hard to tell
/// from the operated brown and the grey. Not pursued, a peach (`#f4a381`, 2.02:1), becomes the
/// DSFR's tuile (main-556), a lighter red than stopped's.
const PALETTE: [&str; 9] = [
    "#8585f6", "#000091", "#009081", "#18753c", "#9c7a22", "#ce0500", "#ce614a", "#7d4e5b",
    "#666666",
];

/// Protection for a page that runs no script: nothing may load but its own inline style, and
/// no other site may frame it.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; \
     base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// What the page reads from the database, in one go.
struct Data {
    phases: Vec<Phase>,
    phase_years: Vec<PhaseYearRow>,
    on_today: BTreeMap<String, i64>,
    startups: i64,
    incubators: i64,
    organisations: i64,
    recent: Vec<(Startup, Option<String>)>,
    /// The phase each recent startup is in today, by id.
    recent_phases: HashMap<String, String>,
    updated: NaiveDateTime,
}

/// The landing page.
pub async fn landing(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let day = state.today();
    let data = state
        .db(move |conn| {
            let recent = Startup::latest_started(conn, day, RECENT)?;
            let ids: Vec<String> = recent.iter().map(|(s, _)| s.id.clone()).collect();
            Ok(Data {
                phases: Phase::all(conn)?,
                phase_years: stats::phase_rows_by_year(conn)?,
                on_today: Phase::current_counts(conn, day, day, None)?,
                startups: Startup::count(conn)?,
                incubators: stats::incubators_total(conn)?,
                organisations: stats::organisations_total(conn)?,
                recent_phases: Startup::phases_on(conn, &ids, day)?,
                recent,
                updated: Revision::current(conn)?.changed_at,
            })
        })
        .await?;
    let rows: Vec<PhaseYears> = data
        .phase_years
        .into_iter()
        .map(|row| PhaseYears {
            phase: row.phase_id,
            start_year: row.start_year,
            next_start_year: row.next_start_year,
            startups: row.startups,
        })
        .collect();
    let years = portfolio_by_year(&rows, day, data.on_today);
    let chart = phase_chart(&data.phases, &years, day);
    let recent: Vec<RecentStartup> = data
        .recent
        .into_iter()
        .map(|(startup, incubator)| {
            let phase = data.recent_phases.get(&startup.id).map(String::as_str);
            recent_startup(startup, incubator, phase, &data.phases)
        })
        .collect();
    let datasets = datasets();
    let markup = page::render(&Landing {
        figures: Figures {
            startups: data.startups,
            incubators: data.incubators,
            organisations: data.organisations,
            phases: i64::try_from(data.phases.len()).unwrap_or(i64::MAX),
        },
        chart: &chart,
        datasets: &datasets,
        recent: &recent,
        updated: data.updated,
        example_day: NaiveDate::from_ymd_opt(day.year() - 1, 12, 31).unwrap_or(day),
    });
    Ok(html(markup.into_string()))
}

/// Any other method on `/`.
pub async fn method_not_allowed() -> Result<HttpResponse, ApiError> {
    Err(ApiError::MethodNotAllowed {
        allowed: vec![Method::GET, Method::HEAD],
    })
}

/// An HTML answer with the headers a page for browsers needs.
fn html(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .body(body)
}

/// A recently started startup as the page lists it, with the phase it is in today (`phase`, an
/// id: its label, or the id itself when the list of phases lacks it) and whether that phase is
/// a stop ([`classify`]), which the page then says in words.
fn recent_startup(
    startup: Startup,
    incubator: Option<String>,
    phase: Option<&str>,
    phases: &[Phase],
) -> RecentStartup {
    let label = phase.map(|id| {
        phases
            .iter()
            .find(|p| p.id == id)
            .map_or(id, |p| p.label.as_str())
            .to_owned()
    });
    RecentStartup {
        href: format!("/api/v1/startups/{}", path_segment(&startup.id)),
        name: startup.name,
        pitch: startup.pitch,
        incubator,
        started: startup.created_on,
        phase: label,
        stopped: classify(phase) == OutcomeKind::Stopped,
    }
}

/// The chart of the portfolio by phase: one bar per year end, one layer per phase in the order
/// of the method (then any phase the list does not know, by id), each in the legend.
fn phase_chart(phases: &[Phase], years: &[YearEnd], today: NaiveDate) -> StackedBars {
    let known: BTreeSet<&str> = phases.iter().map(|p| p.id.as_str()).collect();
    let unknown: BTreeSet<&str> = years
        .iter()
        .flat_map(|y| y.by_phase.keys())
        .map(String::as_str)
        .filter(|id| !known.contains(id))
        .collect();
    let series: Vec<Series> = phases
        .iter()
        .map(|p| (p.id.as_str(), p.label.as_str()))
        .chain(unknown.iter().map(|id| (*id, *id)))
        .enumerate()
        .map(|(i, (key, label))| Series {
            key: key.to_owned(),
            label: label.to_owned(),
            colour: PALETTE[i % PALETTE.len()],
        })
        .collect();
    let bars = years
        .iter()
        .map(|year| Bar {
            label: year.year.to_string(),
            caption: if year.day == today {
                format!("Aujourd'hui, {}", page::french_date(today))
            } else {
                page::french_date(year.day)
            },
            values: series
                .iter()
                .map(|s| year.by_phase.get(&s.key).copied().unwrap_or(0))
                .collect(),
        })
        .collect();
    let description = match (years.first(), years.last()) {
        (Some(first), Some(last)) => format!(
            "Barres empilées : pour chaque année de {} à {}, le nombre de startups dans chaque \
             phase au 31 décembre (aujourd'hui pour {}).",
            first.year, last.year, last.year
        ),
        _ => "Aucune startup n'a encore de phase datée.".to_owned(),
    };
    StackedBars {
        id: "phases-par-annee".to_owned(),
        title: "Startups par phase au 31 décembre de chaque année".to_owned(),
        description,
        x_label: "Année".to_owned(),
        y_label: "Startups".to_owned(),
        unit: page::STARTUP,
        series,
        bars,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phase(id: &str, label: &str, position: i32) -> Phase {
        Phase {
            id: id.to_owned(),
            label: label.to_owned(),
            position,
            kind: "active".to_owned(),
            description: String::new(),
        }
    }

    #[test]
    fn every_dataset_in_every_format() {
        let datasets = datasets();
        assert_eq!(datasets.len(), DATASETS.len());
        for dataset in &datasets {
            let formats: Vec<&str> = dataset.links.iter().map(|l| l.format).collect();
            assert_eq!(formats, ["JSON", "CSV", "NDJSON", "schéma"]);
            assert!(dataset.links.iter().all(|l| l.href.starts_with("/api/v1/")));
        }
        assert_eq!(datasets[0].links[1].href, "/api/v1/startups?format=csv");
    }

    #[test]
    fn ids_are_encoded_as_path_segments() {
        assert_eq!(
            path_segment("fiche.commune.entreprise.fce"),
            "fiche.commune.entreprise.fce"
        );
        assert_eq!(path_segment("a b/c?d#é"), "a%20b%2Fc%3Fd%23%C3%A9");
    }

    #[test]
    fn the_chart_stacks_phases_in_method_order_and_keeps_unknown_ones() {
        let today = NaiveDate::from_ymd_opt(2024, 3, 1).unwrap();
        let phases = [
            phase("investigation", "Investigation", 1),
            phase("construction", "Construction", 2),
        ];
        let years = [
            YearEnd {
                year: 2023,
                day: NaiveDate::from_ymd_opt(2023, 12, 31).unwrap(),
                by_phase: [("construction".to_owned(), 2), ("zombie".to_owned(), 1)].into(),
            },
            YearEnd {
                year: 2024,
                day: today,
                by_phase: [("investigation".to_owned(), 4)].into(),
            },
        ];
        let chart = phase_chart(&phases, &years, today);
        let keys: Vec<&str> = chart.series.iter().map(|s| s.key.as_str()).collect();
        assert_eq!(keys, ["investigation", "construction", "zombie"]);
        assert_eq!(chart.bars[0].values, [0, 2, 1]);
        assert_eq!(chart.bars[1].values, [4, 0, 0]);
        assert_eq!(chart.bars[0].caption, "31 décembre 2023");
        assert_eq!(chart.bars[1].caption, "Aujourd'hui, 1er mars 2024");
        assert!(chart.description.contains("de 2023 à 2024"));
    }

    fn startup(id: &str) -> Startup {
        Startup {
            id: id.to_owned(),
            name: id.to_uppercase(),
            pitch: None,
            incubator_id: None,
            link: None,
            repository: None,
            contact: None,
            description: None,
            created_on: NaiveDate::from_ymd_opt(2024, 3, 1),
            updated_at: NaiveDate::from_ymd_opt(2024, 3, 1)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap(),
            latest_phase_id: None,
            latest_phase_start: None,
            stats_url: None,
            accessibility_status: None,
        }
    }

    #[test]
    fn recent_startups_say_their_phase_and_whether_they_stopped() {
        let phases = [
            phase("construction", "Construction", 2),
            phase("transfere", "Transférée", 5),
            phase("abandon", "Abandonnée", 6),
            phase("abandon-investigation", "Investigation non poursuivie", 7),
        ];
        let listed = |phase| recent_startup(startup("a b"), None, phase, &phases);
        let status = |phase| {
            let listed = listed(phase);
            (listed.phase, listed.stopped)
        };
        assert_eq!(listed(None).href, "/api/v1/startups/a%20b");
        assert_eq!(status(None), (None, false));
        assert_eq!(
            status(Some("construction")),
            (Some("Construction".to_owned()), false)
        );
        assert_eq!(
            status(Some("transfere")),
            (Some("Transférée".to_owned()), false),
            "a transferred service goes on"
        );
        assert_eq!(
            status(Some("abandon")),
            (Some("Abandonnée".to_owned()), true)
        );
        assert_eq!(
            status(Some("abandon-investigation")),
            (Some("Investigation non poursuivie".to_owned()), true)
        );
        assert_eq!(
            status(Some("zombie")),
            (Some("zombie".to_owned()), false),
            "a phase the list lacks is named by its id"
        );
    }

    #[test]
    fn every_phase_gets_a_colour_of_the_palette_in_order() {
        let today = NaiveDate::from_ymd_opt(2024, 3, 1).unwrap();
        let phases: Vec<Phase> = (0..10).map(|i| phase(&format!("p{i}"), "P", i)).collect();
        let chart = phase_chart(&phases, &[], today);
        let colours: Vec<&str> = chart.series.iter().map(|s| s.colour).collect();
        assert_eq!(colours[..9], PALETTE);
        assert_eq!(colours[9], PALETTE[0]);
    }

    #[test]
    fn an_empty_portfolio_makes_an_empty_chart_with_its_legend() {
        let today = NaiveDate::from_ymd_opt(2024, 3, 1).unwrap();
        let chart = phase_chart(&[phase("investigation", "Investigation", 1)], &[], today);
        assert!(chart.bars.is_empty());
        assert_eq!(chart.series.len(), 1);
    }
}
