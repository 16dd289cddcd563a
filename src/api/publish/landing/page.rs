//! The landing page's HTML, through maud: every text from the database is escaped on output.

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use maud::{DOCTYPE, Markup, PreEscaped, html};

use crate::api::publish::landing::chart::{self, Noun, StackedBars};

pub const STARTUP: Noun = Noun {
    singular: "startup",
    plural: "startups",
};
pub const INCUBATOR: Noun = Noun {
    singular: "incubateur",
    plural: "incubateurs",
};
pub const ORGANISATION: Noun = Noun {
    singular: "organisation",
    plural: "organisations",
};
pub const PHASE: Noun = Noun {
    singular: "phase",
    plural: "phases",
};

/// One dataset as the page lists it: what it holds and where to download it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dataset<'a> {
    pub title: &'a str,
    pub description: &'a str,
    pub links: Vec<Download<'a>>,
}

/// One way to download a dataset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Download<'a> {
    /// What the link says: `JSON`, `CSV`…
    pub format: &'a str,
    pub href: String,
}

/// A startup recently started, as the page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecentStartup {
    pub name: String,
    pub pitch: Option<String>,
    pub incubator: Option<String>,
    pub started: Option<NaiveDate>,
    /// The label of the phase it is in today; `None` before its first phase.
    pub phase: Option<String>,
    /// Whether that phase says it stopped: the page says so in words.
    pub stopped: bool,
    /// Where its JSON document is.
    pub href: String,
}

/// The portfolio in four numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Figures {
    pub startups: i64,
    pub incubators: i64,
    pub organisations: i64,
    pub phases: i64,
}

/// Everything the page shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Landing<'a> {
    pub figures: Figures,
    pub chart: &'a StackedBars,
    pub datasets: &'a [Dataset<'a>],
    pub recent: &'a [RecentStartup],
    /// When the data last changed.
    pub updated: NaiveDateTime,
    /// A year end to give as an example of `as_of`.
    pub example_day: NaiveDate,
}

pub const LICENCE_URL: &str = "https://www.etalab.gouv.fr/licence-ouverte-open-licence/";

const MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

/// A day written out in French: `1er mai 2024`, `31 décembre 2019`.
pub fn french_date(day: NaiveDate) -> String {
    let month = MONTHS[day.month0() as usize];
    match day.day() {
        1 => format!("1er {month} {}", day.year()),
        n => format!("{n} {month} {}", day.year()),
    }
}

const STYLE: &str = r#"
:root { --blue: #000091; --text: #161616; --muted: #595959; --line: #dddddd; --alt: #f5f5fe; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--text); background: #fff;
  font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; }
.wrap { max-width: 62rem; margin: 0 auto; padding: 0 1.25rem; }
header { border-top: 6px solid var(--blue); border-bottom: 1px solid var(--line); padding: 1.5rem 0 1.25rem; }
h1 { font-size: 2rem; line-height: 1.2; margin: 0; }
.subtitle { color: var(--muted); margin: .25rem 0 0; font-size: 1.1rem; }
h2 { font-size: 1.4rem; line-height: 1.3; margin: 2.5rem 0 .75rem; }
a { color: var(--blue); text-underline-offset: 2px; }
a:hover { text-decoration-thickness: 2px; }
a:focus-visible { outline: 2px solid #0a76f6; outline-offset: 2px; }
.lead { font-size: 1.1rem; }
.figures { display: flex; flex-wrap: wrap; gap: .75rem; list-style: none; padding: 0; margin: 1.5rem 0; }
.figures li { flex: 1 1 9rem; background: var(--alt); border-left: 4px solid var(--blue); padding: .6rem 1rem; }
.figures a { text-decoration: none; color: var(--text); }
.figures strong { display: block; font-size: 1.75rem; color: var(--blue); }
table { border-collapse: collapse; width: 100%; }
caption { text-align: left; font-weight: 600; padding: .5rem 0; }
th, td { text-align: left; vertical-align: top; padding: .55rem .75rem; border-bottom: 1px solid var(--line); }
thead th { background: var(--alt); }
.formats { white-space: nowrap; }
.formats a { display: inline-block; margin: 0 .35rem .35rem 0; padding: .05rem .5rem; font-size: .875rem;
  border: 1px solid var(--blue); border-radius: .25rem; text-decoration: none; }
.formats a:hover { background: var(--blue); color: #fff; }
figure { margin: 0; }
/* On a narrow screen the chart keeps a readable size and scrolls sideways. */
.scroll { overflow-x: auto; }
.chart { display: block; width: 100%; min-width: 36rem; height: auto; }
figcaption { color: var(--muted); font-size: .95rem; margin-bottom: .5rem; }
details { margin-top: 1rem; }
summary { cursor: pointer; color: var(--blue); }
.recent .status { margin-left: .5rem; padding: 0 .4rem; border: 1px solid currentColor; border-radius: .25rem;
  font-size: .85rem; font-weight: 600; }
.numbers td, .numbers thead th + th { text-align: right; font-variant-numeric: tabular-nums; }
.recent { list-style: none; padding: 0; }
.recent li { padding: .6rem 0; border-bottom: 1px solid var(--line); }
.recent .meta { color: var(--muted); font-size: .9rem; }
.recent p { margin: .2rem 0 0; }
code { background: var(--alt); padding: .1rem .3rem; border-radius: .2rem; font-size: .9em; }
.licence { background: var(--alt); padding: 1rem 1.25rem; border-left: 4px solid var(--blue); }
footer { margin-top: 3rem; border-top: 1px solid var(--line); padding: 1.25rem 0 2rem; color: var(--muted); font-size: .9rem; }
"#;

/// One of the portfolio's figures: the count, large, over its noun in the right number.
fn figure(count: i64, noun: Noun) -> Markup {
    html! {
        strong { (chart::group_digits(count)) } (noun.form(count))
    }
}

pub fn render(page: &Landing) -> Markup {
    let figures = page.figures;
    let example = page.example_day.to_string();
    html! {
        (DOCTYPE)
        html lang="fr" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "betadata — données ouvertes des Startups d'État" }
                meta name="description" content="Le portefeuille des Startups d'État de beta.gouv.fr en données ouvertes : startups, incubateurs, organisations, phases et indicateurs d'impact, en JSON, CSV et NDJSON, sous Licence Ouverte 2.0.";
                style { (PreEscaped(STYLE)) (PreEscaped(chart::STYLE)) }
            }
            body {
                header {
                    div class="wrap" {
                        h1 { "Les données ouvertes des Startups d'État" }
                        p class="subtitle" lang="en" { "betadata — open data of the French Startups d'État" }
                    }
                }
                main class="wrap" {
                    p class="lead" {
                        "Le programme beta.gouv.fr aide des administrations à lancer des "
                        "« Startups d'État » : de petites équipes autonomes qui construisent un "
                        "service public numérique à partir d'un problème vécu par des usagers ou "
                        "des agents, et le font grandir phase après phase tant qu'il prouve son utilité."
                    }
                    p {
                        "Ce service publie ce portefeuille en données ouvertes : les "
                        strong { "startups" } " et l'historique de leurs phases, les "
                        strong { "incubateurs" } " qui les accueillent, les "
                        strong { "organisations" } " (ministères, opérateurs, collectivités) qui les "
                        "financent ou portent un incubateur, la liste des " strong { "phases" }
                        " de la méthode et de ses sorties, et des " strong { "indicateurs d'impact" }
                        " datés, chacun avec sa source. Tout se réutilise librement sous "
                        a href="#licence" { "Licence Ouverte 2.0" } "."
                    }
                    ul class="figures" {
                        li { a href="/api/v1/startups" { (figure(figures.startups, STARTUP)) } }
                        li { a href="/api/v1/incubators" { (figure(figures.incubators, INCUBATOR)) } }
                        li { a href="/api/v1/organisations" { (figure(figures.organisations, ORGANISATION)) } }
                        li { a href="/api/v1/phases" { (figure(figures.phases, PHASE)) } }
                    }

                    h2 id="portefeuille" { "Le portefeuille par phase, année après année" }
                    figure {
                        figcaption {
                            "Nombre de startups dans chaque phase au 31 décembre de chaque année, "
                            "et aujourd'hui pour l'année en cours ; seules y figurent les startups "
                            "dont les phases sont datées. La légende donne le nombre de startups "
                            "de chaque phase aujourd'hui ; pour une autre année, survolez ou "
                            "touchez sa barre, ou parcourez les barres avec la touche Tab. Tous "
                            "les chiffres sont aussi dans le tableau sous le graphique."
                        }
                        div class="scroll" { (chart::svg(page.chart)) }
                    }
                    details {
                        summary { "Les chiffres du graphique" }
                        div class="numbers scroll" { (chart::table(page.chart)) }
                    }
                    p {
                        "Les mêmes chiffres pour n'importe quel jour : "
                        a href={ "/api/v1/stats?as_of=" (example) } { code { "/api/v1/stats?as_of=" (example) } }
                        "."
                    }

                    h2 id="jeux-de-donnees" { "Les jeux de données" }
                    p {
                        "Chaque jeu se télécharge en entier en CSV (une ligne d'en-tête, "
                        "séparateur virgule, UTF-8) ou en NDJSON (un objet JSON par ligne), et se "
                        "parcourt en JSON page par page (suivre " code { "links.next" } "). "
                        "Le schéma TableSchema de chaque CSV en décrit les colonnes, leurs types et "
                        "leurs clés."
                    }
                    div class="scroll" { table {
                        thead {
                            tr {
                                th scope="col" { "Jeu de données" }
                                th scope="col" { "Contenu" }
                                th scope="col" { "Télécharger" }
                            }
                        }
                        tbody {
                            @for dataset in page.datasets {
                                tr {
                                    th scope="row" { (dataset.title) }
                                    td { (dataset.description) }
                                    td class="formats" {
                                        @for link in &dataset.links {
                                            a href=(link.href) { (link.format) }
                                        }
                                    }
                                }
                            }
                        }
                    } }

                    @if !page.recent.is_empty() {
                        h2 id="recentes" { "Les dernières startups lancées" }
                        ul class="recent" {
                            @for startup in page.recent {
                                li {
                                    a href=(startup.href) { strong { (startup.name) } }
                                    @if startup.stopped {
                                        " " span class="status" { "arrêtée" }
                                    }
                                    span class="meta" {
                                        @if let Some(incubator) = &startup.incubator {
                                            " · " (incubator)
                                        }
                                        @if let Some(started) = startup.started {
                                            " · lancée le " (french_date(started))
                                        }
                                        @if let Some(phase) = &startup.phase {
                                            " · phase\u{a0}: " (phase)
                                        }
                                    }
                                    @if let Some(pitch) = &startup.pitch {
                                        p { (pitch) }
                                    }
                                }
                            }
                        }
                        p {
                            a href="/api/v1/startups?sort=-created" { "Toutes les startups, des plus récentes aux plus anciennes" }
                        }
                    }

                    h2 id="api" { "L'API" }
                    ul {
                        li { a href="/docs/" { "La documentation interactive" } " : chaque route, ses paramètres et ses réponses, à essayer depuis le navigateur." }
                        li { "Le contrat OpenAPI 3.1 : " a href="/api/v1/openapi.json" { code { "/api/v1/openapi.json" } } "." }
                        li {
                            "La liste des jeux de données et de leurs schémas TableSchema : "
                            a href="/api/v1/datasets" { code { "/api/v1/datasets" } }
                            " ; tous les fichiers CSV en un Data Package, à valider d'une commande avec "
                            code { "frictionless validate" } " : "
                            a href="/api/v1/datapackage.json" { code { "/api/v1/datapackage.json" } } "."
                        }
                        li {
                            "Le catalogue DCAT-AP (JSON-LD), moissonnable par data.gouv.fr : "
                            a href="/api/v1/catalog" { code { "/api/v1/catalog" } } "."
                        }
                        li {
                            "Filtres, tri, recherche et vue à une date passée, par exemple "
                            a href={ "/api/v1/startups?incubator=sgmas&as_of=" (example) } {
                                code { "/api/v1/startups?incubator=sgmas&as_of=" (example) }
                            }
                            "."
                        }
                        li {
                            "Les réponses portent " code { "ETag" } " et " code { "Last-Modified" }
                            " ; les erreurs sont des documents " code { "application/problem+json" } "."
                        }
                    }

                    h2 id="licence" { "Licence" }
                    div class="licence" {
                        p {
                            "Ces données sont publiées sous la "
                            a href=(LICENCE_URL) rel="license" { "Licence Ouverte 2.0" }
                            " (" code { "etalab-2.0" } "). Vous pouvez les copier, les modifier et "
                            "les réutiliser librement, y compris à des fins commerciales, en "
                            "mentionnant leur source (beta.gouv.fr) et la date de leur dernière mise à jour."
                        }
                        p {
                            "Dernière mise à jour des données : "
                            time datetime=(page.updated.format("%Y-%m-%dT%H:%M:%SZ")) {
                                (french_date(page.updated.date())) " à " (page.updated.format("%H:%M")) " UTC"
                            }
                            "."
                        }
                    }
                }
                footer {
                    div class="wrap" {
                        "betadata · API v1 · données du programme beta.gouv.fr et de ses incubateurs · Licence Ouverte 2.0"
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn dates_in_french() {
        assert_eq!(french_date(d(2019, 12, 31)), "31 décembre 2019");
        assert_eq!(french_date(d(2024, 5, 1)), "1er mai 2024");
        assert_eq!(french_date(d(2021, 8, 15)), "15 août 2021");
    }

    fn page_with(recent: &[RecentStartup], datasets: &[Dataset]) -> String {
        page_with_figures(recent, datasets, (3, 2, 1, 8))
    }

    fn page_with_figures(
        recent: &[RecentStartup],
        datasets: &[Dataset],
        (startups, incubators, organisations, phases): (i64, i64, i64, i64),
    ) -> String {
        let chart = StackedBars {
            id: "c".to_owned(),
            title: "t".to_owned(),
            description: "d".to_owned(),
            x_label: "x".to_owned(),
            y_label: "y".to_owned(),
            unit: STARTUP,
            series: Vec::new(),
            bars: Vec::new(),
        };
        render(&Landing {
            figures: Figures {
                startups,
                incubators,
                organisations,
                phases,
            },
            chart: &chart,
            datasets,
            recent,
            updated: d(2024, 1, 2).and_hms_opt(3, 4, 5).unwrap(),
            example_day: d(2023, 12, 31),
        })
        .into_string()
    }

    #[test]
    fn database_text_is_escaped() {
        let recent = [RecentStartup {
            name: "<script>alert('x')</script>".to_owned(),
            pitch: Some("A & B <img src=x onerror=alert(1)>".to_owned()),
            incubator: Some("\"Lab\" <b>".to_owned()),
            started: Some(d(2024, 5, 1)),
            phase: Some("<i>Construction</i>".to_owned()),
            stopped: false,
            href: "/api/v1/startups/a%22b".to_owned(),
        }];
        let html = page_with(&recent, &[]);
        assert!(!html.contains("<script>") && !html.contains("<img") && !html.contains("<b>"));
        assert!(html.contains("&lt;script&gt;alert('x')&lt;/script&gt;"));
        assert!(html.contains("A &amp; B &lt;img"));
        assert!(html.contains("&quot;Lab&quot; &lt;b&gt;"));
        assert!(html.contains("lancée le 1er mai 2024"));
        assert!(html.contains("phase\u{a0}: &lt;i&gt;Construction&lt;/i&gt;"));
    }

    #[test]
    fn every_dataset_link_is_printed() {
        let datasets = [Dataset {
            title: "Startups",
            description: "all",
            links: vec![
                Download {
                    format: "JSON",
                    href: "/api/v1/startups?format=json".to_owned(),
                },
                Download {
                    format: "CSV",
                    href: "/api/v1/startups?format=csv&x=1".to_owned(),
                },
            ],
        }];
        let html = page_with(&[], &datasets);
        assert!(html.contains("<a href=\"/api/v1/startups?format=json\">JSON</a>"));
        assert!(html.contains("<a href=\"/api/v1/startups?format=csv&amp;x=1\">CSV</a>"));
        assert!(html.starts_with("<!DOCTYPE html><html lang=\"fr\">"));
        assert!(html.contains(LICENCE_URL));
        assert!(html.contains("2 janvier 2024 à 03:04 UTC"));
        assert!(
            !html.contains("recentes"),
            "no empty list of recent startups"
        );
    }

    #[test]
    fn figures_agree_in_number_with_their_count() {
        let html = page_with_figures(&[], &[], (1, 0, 2, 1_000));
        for figure in [
            "<strong>1</strong>startup</a>",
            "<strong>0</strong>incubateur</a>",
            "<strong>2</strong>organisations</a>",
            "<strong>1\u{202f}000</strong>phases</a>",
        ] {
            assert!(html.contains(figure), "{figure}");
        }
    }

    #[test]
    fn a_stopped_startup_says_so_in_words() {
        let startup = |name: &str, phase: &str, stopped| RecentStartup {
            name: name.to_owned(),
            pitch: None,
            incubator: None,
            started: Some(d(2024, 5, 1)),
            phase: Some(phase.to_owned()),
            stopped,
            href: format!("/api/v1/startups/{name}"),
        };
        let html = page_with(
            &[
                startup("Arrêtée", "Abandonnée", true),
                startup("Active", "Construction", false),
            ],
            &[],
        );
        assert!(html.contains(
            "<strong>Arrêtée</strong></a> <span class=\"status\">arrêtée</span><span class=\"meta\"> · lancée le 1er mai 2024 · phase\u{a0}: Abandonnée</span>"
        ));
        assert!(html.contains(
            "<strong>Active</strong></a><span class=\"meta\"> · lancée le 1er mai 2024 · phase\u{a0}: Construction</span>"
        ));
        assert_eq!(html.matches("class=\"status\"").count(), 1);
    }
}
