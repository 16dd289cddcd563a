//! `GET /`, the landing page: what it shows agrees with the API, every link on it answers, the
//! database's text is escaped, counts agree in number with their noun, the chart's figures are
//! reachable without a pointer, stopped startups say so, and it is cached like the data; on both
//! backends.

use crate::common;

use std::collections::BTreeMap;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::{StatusCode, header, header::HeaderMap};
use actix_web::test;
use betadata::api::app;
use chrono::Datelike;
use common::{assert_problem, both_backends, call, get};
use scraper::{Html, Selector};

const LICENCE_URL: &str = "https://www.etalab.gouv.fr/licence-ouverte-open-licence/";

struct Page {
    status: StatusCode,
    headers: HeaderMap,
    text: String,
}

impl Page {
    fn header(&self, name: header::HeaderName) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }
}

async fn fetch<S, B>(app: &S, request: test::TestRequest) -> Page
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let response = test::call_service(app, request.to_request()).await;
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = test::read_body(response).await;
    let text = String::from_utf8(bytes.to_vec()).expect("UTF-8 page");
    Page {
        status,
        headers,
        text,
    }
}

fn select<'a>(html: &'a Html, selector: &str) -> Vec<scraper::ElementRef<'a>> {
    let selector = Selector::parse(selector).expect("a CSS selector");
    html.select(&selector).collect()
}

fn attr<'a>(element: &scraper::ElementRef<'a>, name: &str) -> &'a str {
    element.value().attr(name).unwrap_or_default()
}

/// Asserts a 200 HTML page with the headers a browser page needs, and parses it.
fn parse_page(page: &Page) -> Html {
    assert_eq!(page.status, 200, "{}", page.text);
    assert_eq!(
        page.header(header::CONTENT_TYPE),
        "text/html; charset=utf-8"
    );
    assert_eq!(page.header(header::X_CONTENT_TYPE_OPTIONS), "nosniff");
    assert_eq!(page.header(header::X_FRAME_OPTIONS), "DENY");
    assert!(
        page.header(header::CONTENT_SECURITY_POLICY)
            .contains("frame-ancestors 'none'")
    );
    assert!(!page.header(header::ETAG).is_empty());
    assert!(
        !page.header(header::LAST_MODIFIED).is_empty(),
        "the page is dated like the data"
    );
    assert!(!page.text.contains("NaN"));
    let html = Html::parse_document(&page.text);
    assert!(html.errors.is_empty(), "HTML errors: {:?}", html.errors);
    assert_eq!(select(&html, "html[lang=fr]").len(), 1);
    html
}

/// Every link of the page answers: internal ones through the same app with 200, fragments
/// name an element of the page, external ones are absolute https URLs.
async fn assert_links_answer<S, B>(app: &S, html: &Html) -> usize
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let links = select(html, "a[href]");
    for link in &links {
        let href = attr(link, "href");
        if let Some(id) = href.strip_prefix('#') {
            assert_eq!(select(html, &format!("[id=\"{id}\"]")).len(), 1, "{href}");
        } else if href.starts_with('/') {
            let page = fetch(app, test::TestRequest::get().uri(href)).await;
            assert_eq!(page.status, 200, "{href}: {}", page.text);
        } else {
            assert!(
                href.starts_with("https://") && !href.contains(' '),
                "{href}"
            );
        }
    }
    links.len()
}

/// The nouns the page counts, singular then plural.
const NOUNS: [(&str, &str); 4] = [
    ("startup", "startups"),
    ("incubateur", "incubateurs"),
    ("organisation", "organisations"),
    ("phase", "phases"),
];

/// Every count of a noun the page writes, in its text or in an accessible name, as
/// (count, noun as written): a number followed by one of [`NOUNS`], across tags.
fn counts(html: &Html) -> Vec<(i64, String)> {
    let mut texts: Vec<String> = vec![html.root_element().text().collect::<Vec<_>>().join(" ")];
    texts.extend(
        select(html, "[aria-label]")
            .iter()
            .map(|e| attr(e, "aria-label").to_owned()),
    );
    let mut found = Vec::new();
    for text in &texts {
        // Digits are grouped by a narrow no-break space: `1 234`.
        let text = text.replace('\u{202f}', "");
        let words: Vec<&str> = text.split_whitespace().collect();
        for pair in words.windows(2) {
            let noun = pair[1].trim_end_matches(|c: char| !c.is_alphabetic());
            let known = NOUNS
                .iter()
                .any(|(one, many)| noun == *one || noun == *many);
            if let (Ok(count), true) = (pair[0].parse::<i64>(), known) {
                found.push((count, noun.to_owned()));
            }
        }
    }
    found
}

/// Asserts that every count the page writes agrees in number with its noun, as French has it:
/// the singular for 0 and 1, the plural from 2 on. Returns them.
fn assert_counts_agree(html: &Html) -> Vec<(i64, String)> {
    let counts = counts(html);
    for (count, noun) in &counts {
        let (one, many) = NOUNS
            .iter()
            .find(|(one, many)| noun == one || noun == many)
            .expect("a known noun");
        let expected = if *count >= 2 { many } else { one };
        assert_eq!(
            noun, expected,
            "« {count} {noun} » should be « {count} {expected} »"
        );
    }
    counts
}

/// A small portfolio with counts of 0, 1 and 2, on an empty database: the method's phases, one
/// incubator, no organisation, and two startups, one started two years ago and stopped last
/// year, one started last year and still in investigation.
fn small_portfolio(db: common::TestDb) -> common::TestDb {
    use betadata::seed::{SeedFile, SeedKind, load};
    let year = chrono::Utc::now().year();
    let files = [
        SeedFile {
            path: "phases.yaml".into(),
            kind: SeedKind::Phases,
            text: include_str!("../../seeds/phases.yaml").into(),
        },
        SeedFile {
            path: "incubators.yaml".into(),
            kind: SeedKind::Incubators,
            text: "- id: labo\n  title: Labo\n".into(),
        },
        SeedFile {
            path: "startups.yaml".into(),
            kind: SeedKind::Startups,
            text: format!(
                "- id: arretee\n  name: Service arrêté\n  incubator: labo\n  phases:\n    - phase: investigation\n      start: \"01-01-{}\"\n    - phase: abandon\n      start: \"01-06-{}\"\n\
                 - id: active\n  name: Service actif\n  incubator: labo\n  phases:\n    - phase: investigation\n      start: \"01-02-{}\"\n",
                year - 2,
                year - 1,
                year - 1
            ),
        },
    ];
    let mut conn = db.pool.get().unwrap();
    let (_, report) = load::import(&mut conn, &files).unwrap();
    assert_eq!(report.errors(), 0, "{:?}", report.problems);
    drop(conn);
    db
}

fn year_end_counts(body: &serde_json::Value) -> BTreeMap<String, i64> {
    body["startups_by_phase"]
        .as_object()
        .expect("counts by phase")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_i64().expect("a count")))
        .collect()
}

both_backends! {
    fn the_page_tells_what_the_data_is_and_every_link_answers(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        let page = fetch(&app, test::TestRequest::get().uri("/")).await;
        let html = parse_page(&page);
        for words in ["Licence Ouverte 2.0", "etalab-2.0", "startups", "incubateurs", "organisations", "phases", "indicateurs d'impact"] {
            assert!(page.text.contains(words), "{words}");
        }
        let hrefs: Vec<&str> = select(&html, "a[href]").iter().map(|a| attr(a, "href")).collect();
        for expected in [LICENCE_URL, "/docs/", "/api/v1/openapi.json", "/api/v1/datasets", "/api/v1/datapackage.json", "/api/v1/catalog"] {
            assert!(hrefs.contains(&expected), "{expected} in {hrefs:?}");
        }
        for collection in ["startups", "phase-history", "incubators", "organisations", "phases", "metrics", "observations"] {
            for format in ["json", "csv", "ndjson"] {
                let href = format!("/api/v1/{collection}?format={format}");
                assert!(hrefs.contains(&href.as_str()), "{href}");
            }
        }
        for dataset in ["startups", "phase-history", "observations"] {
            let href = format!("/api/v1/datasets/{dataset}/schema.json");
            assert!(hrefs.contains(&href.as_str()), "{href}");
        }
        let checked = assert_links_answer(&app, &html).await;
        assert!(checked >= 20, "{checked} links");
        let counts = assert_counts_agree(&html);
        assert!(counts.len() > 20, "{counts:?}");
    }

    fn counts_of_one_or_none_are_singular_and_stopped_startups_say_so(db) {
        let db = small_portfolio(db);
        let app = test::init_service(app(db.state())).await;
        let page = fetch(&app, test::TestRequest::get().uri("/")).await;
        let html = parse_page(&page);
        let figures: Vec<String> = select(&html, ".figures li").iter().map(|li| li.text().collect()).collect();
        assert_eq!(figures, ["2startups", "1incubateur", "0organisation", "8phases"]);
        let counts = assert_counts_agree(&html);
        for written in [(1, "startup"), (2, "startups"), (1, "incubateur"), (0, "organisation")] {
            assert!(counts.contains(&(written.0, written.1.to_owned())), "{written:?} in {counts:?}");
        }
        // The stopped startup says so in words, the running one does not.
        let items: Vec<String> = select(&html, ".recent li").iter().map(|li| li.text().collect()).collect();
        assert_eq!(items.len(), 2, "{items:?}");
        let stopped = items.iter().find(|i| i.starts_with("Service arrêté")).expect("the stopped startup");
        assert!(stopped.contains("arrêtée"), "{stopped}");
        assert!(stopped.contains("phase\u{a0}: Abandonnée"), "{stopped}");
        let running = items.iter().find(|i| i.starts_with("Service actif")).expect("the running startup");
        assert!(!running.contains("arrêt"), "{running}");
        assert!(running.contains("phase\u{a0}: Investigation"), "{running}");
        assert_eq!(select(&html, ".recent .status").len(), 1);
    }

    fn each_bar_is_reachable_without_a_pointer(db) {
        let db = small_portfolio(db);
        let app = test::init_service(app(db.state())).await;
        let page = fetch(&app, test::TestRequest::get().uri("/")).await;
        let html = parse_page(&page);
        let this_year = chrono::Utc::now().year();
        // The chart is named, and a group whose bars screen readers can reach.
        let svg = select(&html, "svg.chart");
        assert_eq!(svg.len(), 1);
        assert_eq!(attr(&svg[0], "role"), "group");
        let title = select(&html, "svg.chart > title");
        assert_eq!(attr(&title[0], "id"), attr(&svg[0], "aria-labelledby"));
        assert!(!title[0].text().collect::<String>().is_empty());
        let bars = select(&html, "svg g.bar");
        assert_eq!(bars.len(), 3, "{} to {this_year}", this_year - 2);
        let tip = Selector::parse(".tip text").unwrap();
        for bar in &bars {
            // Each bar takes the focus, by keyboard or by a tap, and is named in words.
            assert_eq!(attr(bar, "tabindex"), "0");
            assert_eq!(attr(bar, "role"), "img");
            let total: i64 = attr(bar, "data-total").parse().unwrap();
            let noun = if total >= 2 { "startups" } else { "startup" };
            let name = attr(bar, "aria-label");
            assert!(name.contains(&format!("\u{a0}: {total} {noun}")), "{name}");
            // On focus it shows its figures: a caption, and a value for each of the 8 phases.
            let shown: Vec<String> = bar.select(&tip).map(|t| t.text().collect()).collect();
            assert_eq!(shown.len(), 1 + 8, "{shown:?}");
            assert!(shown[0].ends_with(&format!(": {total} {noun}")), "{shown:?}");
        }
        let first = attr(&bars[0], "aria-label");
        assert!(first.starts_with(&format!("31 décembre {}\u{a0}: 1 startup — Investigation\u{a0}: 1", this_year - 2)), "{first}");
        assert!(attr(&bars[2], "aria-label").starts_with("Aujourd'hui, "));
        // The style that shows them on focus, not only on hover.
        assert!(page.text.contains(".chart .bar:hover .tip, .chart .bar:focus .tip { visibility: visible; }"));
        assert!(page.text.contains(".chart .bar:focus .ring { visibility: visible; }"));
        // And the same figures as a table, under the chart.
        assert_eq!(select(&html, "figure + details table tbody tr").len(), 3);
        assert!(!select(&html, "figcaption").is_empty());
    }

    fn the_chart_has_a_bar_per_year_agreeing_with_stats(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        let first = get(&app, "/api/v1/startups?sort=created&page_size=1").await.body;
        let first_year: i32 = first["data"][0]["created"].as_str().expect("a dated startup")[..4].parse().unwrap();
        let this_year = chrono::Utc::now().year();
        let page = fetch(&app, test::TestRequest::get().uri("/")).await;
        let html = parse_page(&page);
        assert_eq!(select(&html, "svg").len(), 1);
        assert_eq!(select(&html, "svg > title").len(), 1);
        let bars = select(&html, "svg g.bar");
        let years: Vec<i32> = bars.iter().map(|bar| attr(bar, "data-label").parse().unwrap()).collect();
        assert_eq!(years, (first_year..=this_year).collect::<Vec<_>>());
        let legend: Vec<&str> = select(&html, "svg g.legend g").iter().map(|g| attr(g, "data-series")).collect();
        let phases = get(&app, "/api/v1/phases").await.body;
        let phase_ids: Vec<&str> = phases["data"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap()).collect();
        assert_eq!(legend, phase_ids, "every phase in the legend, in the order of the method");
        let mut drawn_any = false;
        for (bar, year) in bars.iter().zip(&years) {
            let uri = if *year == this_year {
                "/api/v1/stats".to_owned()
            } else {
                format!("/api/v1/stats?as_of={year}-12-31")
            };
            let expected = year_end_counts(&get(&app, &uri).await.body);
            let rect = Selector::parse("rect[data-series]").unwrap();
            let drawn: BTreeMap<String, i64> = bar
                .select(&rect)
                .map(|r| (attr(&r, "data-series").to_owned(), attr(&r, "data-value").parse().unwrap()))
                .collect();
            assert_eq!(drawn, expected, "{uri}");
            let titles = bar.select(&Selector::parse("rect > title").unwrap()).count();
            assert_eq!(titles, drawn.len(), "a title per segment");
            drawn_any |= !drawn.is_empty();
        }
        assert!(drawn_any);
        // The same figures, as a table, one row per year.
        assert_eq!(select(&html, "details table tbody tr").len(), years.len());
    }

    fn text_from_the_database_is_escaped(db) {
        use betadata::seed::{SeedFile, SeedKind, load};
        let db = db.seeded();
        let today = chrono::Utc::now().date_naive().format("%d-%m-%Y");
        let incubators = SeedFile {
            path: "incubators.yaml".into(),
            kind: SeedKind::Incubators,
            text: "- id: labo\n  title: \"<b>Labo</b> & co\"\n".into(),
        };
        let startups = SeedFile {
            path: "startups.yaml".into(),
            kind: SeedKind::Startups,
            text: format!(
                "- id: demo.xss_1\n  name: \"<script>alert('pwned')</script>\"\n  pitch: \"Tom & Jerry <img src=x onerror=alert(1)>\"\n  incubator: labo\n  phases:\n    - phase: investigation\n      start: \"{today}\"\n"
            ),
        };
        let mut conn = db.pool.get().unwrap();
        let (_, report) = load::import(&mut conn, &[incubators, startups]).unwrap();
        assert_eq!(report.errors(), 0, "{:?}", report.problems);
        drop(conn);
        let app = test::init_service(app(db.state())).await;
        let page = fetch(&app, test::TestRequest::get().uri("/")).await;
        let html = parse_page(&page);
        assert!(!page.text.contains("<script>") && !page.text.contains("<img") && !page.text.contains("<b>"));
        assert!(page.text.contains("&lt;script&gt;alert('pwned')&lt;/script&gt;"));
        assert!(page.text.contains("Tom &amp; Jerry &lt;img"));
        assert!(page.text.contains("&lt;b&gt;Labo&lt;/b&gt; &amp; co"));
        // The parsed page holds the text as text, and links the startup's document.
        let names: Vec<String> = select(&html, ".recent strong").iter().map(|e| e.text().collect()).collect();
        assert!(names.contains(&"<script>alert('pwned')</script>".to_owned()), "{names:?}");
        let hrefs: Vec<&str> = select(&html, ".recent a").iter().map(|a| attr(a, "href")).collect();
        assert!(hrefs.contains(&"/api/v1/startups/demo.xss_1"), "{hrefs:?}");
        assert_links_answer(&app, &html).await;
    }

    fn an_empty_database_gets_a_page_too(db) {
        let app = test::init_service(app(db.state())).await;
        let page = fetch(&app, test::TestRequest::get().uri("/")).await;
        let html = parse_page(&page);
        assert_eq!(select(&html, "svg").len(), 1);
        assert!(select(&html, "svg g.bar").is_empty());
        assert!(page.text.contains("Aucune donnée"));
        assert!(select(&html, ".recent").is_empty());
        assert_links_answer(&app, &html).await;
    }

    fn the_page_is_cached_like_the_data(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        let page = fetch(&app, test::TestRequest::get().uri("/")).await;
        assert_eq!(page.status, 200);
        let etag = page.header(header::ETAG).to_owned();
        let again = fetch(&app, test::TestRequest::get().uri("/").insert_header((header::IF_NONE_MATCH, etag.clone()))).await;
        assert_eq!(again.status, 304);
        assert!(again.text.is_empty());
        let since = page.header(header::LAST_MODIFIED).to_owned();
        let unchanged = fetch(&app, test::TestRequest::get().uri("/").insert_header((header::IF_MODIFIED_SINCE, since))).await;
        assert_eq!(unchanged.status, 304);
        let head = fetch(&app, test::TestRequest::default().method(actix_web::http::Method::HEAD).uri("/")).await;
        assert_eq!(head.status, 200);
        assert_eq!(head.header(header::ETAG), etag);
        let post = call(&app, actix_web::http::Method::POST, "/").await;
        assert_problem(&post, 405);
        assert_eq!(post.headers.get(header::ALLOW).unwrap(), "GET, HEAD");
    }
}
