//! The whole startup export written from the lines stored with each startup, on both backends:
//! the same bytes as rendering each startup from its rows, and every write seen by the very next
//! download, whether it went through the API or around it.

use crate::common;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::Method;
use actix_web::test;
use betadata::api::app;
use betadata::api::v1::startups::lines;
use betadata::db::startup_lines::{self, Lines};
use common::{
    TestDb, body_of, both_backends, execute_around, issue_token, refresh_startups, send,
    stale_startups,
};
use serde_json::json;

/// The whole export of every startup in `format`.
async fn whole<S, B>(app: &S, format: &str) -> String
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    whole_of(app, "startups", format).await
}

/// The whole `/api/v1/{collection}` in `format`.
async fn whole_of<S, B>(app: &S, collection: &str, format: &str) -> String
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let uri = format!("/api/v1/{collection}?format={format}");
    let (status, _, text) = body_of(app, test::TestRequest::get().uri(&uri).to_request()).await;
    assert_eq!(status, 200);
    text
}

/// Each list of `uris` in JSON, with its next two pages: the address, content type and body of
/// each.
async fn pages_of<S, B>(app: &S, uris: &[String]) -> Vec<(String, String, String)>
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let mut pages = Vec::new();
    for uri in uris {
        let mut next = Some(uri.clone());
        for _ in 0..3 {
            let Some(uri) = next.take() else { break };
            let (status, kind, body) = common::get_text(app, &uri).await;
            assert_eq!(status, 200, "{uri}: {body}");
            let value: serde_json::Value = serde_json::from_str(&body).expect("JSON");
            next = value["links"]["next"]
                .as_str()
                .and_then(|next| next.split_once("/api/"))
                .map(|(_, path)| format!("/api/{path}"));
            pages.push((uri, kind, body));
        }
    }
    pages
}

fn stale_metrics(db: &TestDb) -> i64 {
    betadata::db::metric_lines::stale_count(&mut db.pool.get().expect("connection")).expect("count")
}

/// Renders every stale metric's lines; returns how many metrics it took.
fn refresh_metrics(db: &TestDb) -> usize {
    betadata::api::v1::metrics::lines::refresh_in_batches(&mut db.pool.get().expect("connection"))
        .expect("refresh")
}

/// The rows of `lines` that an export reads, `limit` a statement and each statement on one
/// snapshot, as the export reads them: each startup's id with its stored line, or `None`.
fn read_in_chunks(db: &TestDb, lines: Lines, limit: i64) -> Vec<(String, Option<String>)> {
    let mut conn = db.pool.get().expect("connection");
    let day = chrono::Utc::now().date_naive();
    let (mut rows, mut after) = (Vec::<(String, Option<String>)>::new(), String::new());
    loop {
        let mut chunk = Vec::new();
        betadata::db::read_snapshot(&mut conn, |conn| {
            let mut each = |id, line| chunk.push((id, line));
            startup_lines::chunk(conn, lines, day, &after, limit, &mut each)
        })
        .expect("a chunk");
        assert!(
            chunk.len() <= usize::try_from(limit).unwrap(),
            "{limit} rows at most"
        );
        assert!(chunk.iter().all(|(id, _)| *id > after), "after {after}");
        assert!(chunk.windows(2).all(|w| w[0].0 <= w[1].0), "in key order");
        let full = chunk.len() == usize::try_from(limit).unwrap();
        rows.extend(chunk);
        match rows.last() {
            Some((last, _)) if full => after = last.clone(),
            _ => return rows,
        }
    }
}

/// `rows` with the two rows of a key both stale and stored merged into one, its line kept.
fn merged(rows: Vec<(String, Option<String>)>) -> Vec<(String, Option<String>)> {
    let mut merged: Vec<(String, Option<String>)> = Vec::new();
    for (id, line) in rows {
        match merged.last_mut() {
            Some((last, kept)) if *last == id => {
                *kept = kept.take().or(line);
            }
            _ => merged.push((id, line)),
        }
    }
    merged
}

both_backends! {
    fn chunks_read_after_a_key_hold_every_startup_once(db) {
        use betadata::generate::{Options, generate};
        let mut conn = db.pool.get().unwrap();
        generate(&mut conn, &Options { startups: 150, observations: 0, seed: 3, progress: false }).expect("generate");
        drop(conn);
        for lines in [Lines::StartupCsv, Lines::PhasesNdjson] {
            let stored = read_in_chunks(&db, lines, 10_000);
            assert_eq!(stored.len(), 150, "{lines:?}");
            assert!(stored.windows(2).all(|w| w[0].0 < w[1].0), "{lines:?}: each startup once");
            assert!(stored.iter().all(|(_, line)| line.as_ref().is_some_and(|l| !l.is_empty())), "{lines:?}");
            // Four startups stale without lines, among them the first and the last, and one
            // stale with its lines.
            let id = |i: usize| stored[i].0.clone();
            let forgotten = [id(0), id(10), id(11), id(149)];
            let list = forgotten.iter().map(|id| format!("'{id}'")).collect::<Vec<_>>().join(", ");
            execute_around(&db, &format!("DELETE FROM startup_lines WHERE startup_id IN ({list})"));
            execute_around(&db, &format!("INSERT INTO startup_lines_stale (startup_id) SELECT id FROM startups WHERE id IN ({list}, '{}')", id(40)));
            assert_eq!(stale_startups(&db), 5);
            for limit in [1, 2, 7, 149, 150, 151, 10_000] {
                let read = merged(read_in_chunks(&db, lines, limit));
                let ids: Vec<&String> = read.iter().map(|(id, _)| id).collect();
                assert_eq!(ids, stored.iter().map(|(id, _)| id).collect::<Vec<_>>(), "{lines:?}, {limit} a chunk");
                for ((id, line), (_, kept)) in read.iter().zip(&stored) {
                    if forgotten.contains(id) {
                        assert_eq!(line, &None, "{id} has no lines");
                    } else if *id != stored[40].0 || line.is_some() {
                        // The stale startup with lines may come without them, when its two rows
                        // fall in two chunks: it is then rendered from its rows.
                        assert_eq!(line, kept, "{lines:?}, {limit} a chunk: {id}");
                    }
                }
            }
            assert_eq!(refresh_startups(&db), 5);
        }
    }
    fn stored_lines_write_the_bytes_the_rows_render(db) {
        use betadata::generate::{Options, generate};
        let mut conn = db.pool.get().unwrap();
        generate(&mut conn, &Options { startups: 1500, observations: 10, seed: 5, progress: false }).expect("generate");
        drop(conn);
        assert_eq!(stale_startups(&db), 0, "generate renders the lines of what it wrote");
        let admin = issue_token(&db, "ops", "admin");
        let app = test::init_service(app(db.state())).await;
        // A startup whose latest phase starts after today: its stored lines hold from that day
        // on only, so today's export renders it from its rows.
        common::create_bientot(&app, &admin).await;
        assert_eq!(stale_startups(&db), 0, "the write rendered its lines");
        for (collection, format) in [("startups", "csv"), ("startups", "ndjson"), ("phase-history", "csv"), ("phase-history", "ndjson")] {
            let stored = whole_of(&app, collection, format).await;
            assert!(stored.contains("bientot"), "{collection} {format}");
            // Every line forgotten: the export renders each startup from its rows.
            let all = execute_around(&db, "DELETE FROM startup_lines");
            assert!(all > 1500, "{all} lines were stored");
            execute_around(&db, "INSERT INTO startup_lines_stale (startup_id) SELECT id FROM startups");
            let rendered = whole_of(&app, collection, format).await;
            assert!(stored == rendered, "{collection} {format}: stored lines ({} bytes) differ from rendered rows ({} bytes)", stored.len(), rendered.len());
            assert!(refresh_startups(&db) > 1500);
            assert_eq!(whole_of(&app, collection, format).await, stored, "{collection} {format}: written again, the same bytes");
        }
        // The phase history's pages read its rows: the whole export says what they say.
        for format in ["csv", "ndjson"] {
            let first = format!("/api/v1/phase-history?format={format}&page_size=1000");
            let pages = common::pages_joined(&app, &first, format).await;
            let stored = whole_of(&app, "phase-history", format).await;
            assert!(stored.lines().count() > 3000, "{format}");
            assert!(stored == pages, "{format}: the whole phase history ({} bytes) differs from its pages ({} bytes)", stored.len(), pages.len());
        }
        let line = whole(&app, "ndjson").await.lines().find(|l| l.contains("\"bientot\"")).expect("bientot").to_owned();
        assert!(line.contains("\"current_phase\":\"investigation\""), "today's phase, not the stored one: {line}");
    }

    fn json_pages_write_the_bytes_the_rows_render(db) {
        use betadata::generate::{Options, generate};
        let mut conn = db.pool.get().unwrap();
        generate(&mut conn, &Options { startups: 1200, observations: 10, seed: 7, progress: false }).expect("generate");
        drop(conn);
        let admin = issue_token(&db, "ops", "admin");
        let app = test::init_service(app(db.state())).await;
        common::create_bientot(&app, &admin).await;
        let incubator = common::get(&app, "/api/v1/incubators?page_size=1").await.body["data"][0]["id"].as_str().expect("an incubator").to_owned();
        let mut uris: Vec<String> = [
            "/api/v1/startups?page_size=50",
            "/api/v1/startups?incubator=dinum&page_size=100",
            "/api/v1/startups?phase=investigation&page_size=30",
            "/api/v1/startups?phase=construction,acceleration&sort=-created&page_size=25",
            "/api/v1/startups?sort=-updated&page_size=40",
            "/api/v1/startups?sort=name&page_size=40",
            "/api/v1/startups?as_of=2020-06-30&page_size=40",
            "/api/v1/startups?as_of=2020-06-30&phase=construction&page_size=40",
            "/api/v1/startups?q=ser&page_size=20",
            "/api/v1/startups?fields=name,current_phase&page_size=20",
        ]
        .map(str::to_owned)
        .to_vec();
        uris.push(format!("/api/v1/incubators/{incubator}/startups?page_size=30"));
        uris.push(format!("/api/v1/startups?incubator={incubator}&phase=construction&page_size=10"));
        let stored = pages_of(&app, &uris).await;
        assert!(stored.len() > 25, "{} pages", stored.len());
        assert!(stored.iter().any(|(_, _, body)| body.contains("\"bientot\"")), "bientot is listed");
        execute_around(&db, "DELETE FROM startup_lines");
        execute_around(&db, "INSERT INTO startup_lines_stale (startup_id) SELECT id FROM startups");
        let rendered = pages_of(&app, &uris).await;
        assert_eq!(stored.len(), rendered.len());
        for (stored, rendered) in stored.iter().zip(&rendered) {
            assert!(stored == rendered, "{}: from the stored lines\n{stored:?}\nfrom the rows\n{rendered:?}", stored.0);
        }
        assert!(refresh_startups(&db) > 1200);
        // The stored line is what a page shows: one changed by hand shows (no trigger watches
        // the lines themselves).
        execute_around(&db, "UPDATE startup_lines SET ndjson = '{\"stored\":true}\n' WHERE startup_id = 'bientot'");
        let page = common::get_text(&app, "/api/v1/startups?incubator=dinum&page_size=1000").await.2;
        assert!(!page.contains("\"stored\":true"), "bientot's line holds from its next phase on only");
        let first = common::get(&app, "/api/v1/startups?page_size=1").await.body["data"][0]["id"].as_str().expect("a startup").to_owned();
        execute_around(&db, &format!("UPDATE startup_lines SET ndjson = '{{\"stored\":true}}\n' WHERE startup_id = '{first}'"));
        let page = common::get_text(&app, "/api/v1/startups?page_size=1").await.2;
        assert!(page.starts_with("{\"data\":[{\"stored\":true}],"), "{page}");
    }

    fn metric_lines_write_the_bytes_the_rows_render(db) {
        use betadata::generate::{Options, generate};
        let mut conn = db.pool.get().unwrap();
        generate(&mut conn, &Options { startups: 600, observations: 4000, seed: 9, progress: false }).expect("generate");
        drop(conn);
        assert_eq!(stale_metrics(&db), 0, "generate renders the lines of what it wrote");
        let app = test::init_service(app(db.state())).await;
        for (collection, format) in [("metrics", "csv"), ("metrics", "ndjson"), ("observations", "csv"), ("observations", "ndjson")] {
            let stored = whole_of(&app, collection, format).await;
            assert!(stored.lines().count() > 400, "{collection} {format}");
            let all = execute_around(&db, "DELETE FROM metric_lines");
            assert!(all > 400, "{all} lines were stored");
            execute_around(&db, "INSERT INTO metric_lines_stale (metric_id) SELECT id FROM metrics");
            let rendered = whole_of(&app, collection, format).await;
            assert!(stored == rendered, "{collection} {format}: stored lines ({} bytes) differ from rendered rows ({} bytes)", stored.len(), rendered.len());
            assert!(refresh_metrics(&db) > 400);
            // The pages read the rows: the whole export says what they say.
            let first = format!("/api/v1/{collection}?format={format}&page_size=1000");
            let pages = common::pages_joined(&app, &first, format).await;
            assert!(stored == pages, "{collection} {format}: the whole export ({} bytes) differs from its pages ({} bytes)", stored.len(), pages.len());
        }
        // Around the API: the triggers forget a metric's lines when one of its observations
        // changes, and the next export renders it anew.
        let metric = common::get(&app, "/api/v1/observations?page_size=1").await.body["data"][0]["metric"].as_str().expect("a metric").to_owned();
        let latest = common::get(&app, &format!("/api/v1/metrics/{metric}")).await.body["latest"]["date"].as_str().expect("a latest day").to_owned();
        let sql = format!("UPDATE observations SET value = 424242.5 WHERE metric_id = '{metric}' AND date = '{latest}'");
        assert_eq!(execute_around(&db, &sql), 1);
        assert_eq!(stale_metrics(&db), 1, "{metric} is stale");
        let row = |text: &str| text.lines().find(|l| l.starts_with(&format!("{metric},"))).map(str::to_owned);
        assert!(row(&whole_of(&app, "metrics", "csv").await).expect("its record").contains("424242.5"));
        let observed = whole_of(&app, "observations", "csv").await;
        assert!(observed.contains(&format!("{metric},{latest},")) && observed.contains("424242.5"));
        // Through the API: the write renders the lines it made stale before it commits.
        let admin = issue_token(&db, "ops", "admin");
        let uri = format!("/api/v1/metrics/{metric}/observations");
        let written = send(&app, Method::POST, &uri, Some(&admin), Some(&json!({"date": "2099-01-31", "value": 7})), &[]).await;
        assert_eq!(written.status, 200, "{}", written.body);
        assert_eq!(stale_metrics(&db), 0, "the write rendered every stale metric's lines");
        let record = row(&whole_of(&app, "metrics", "csv").await).expect("its record");
        assert!(record.contains("2099-01-31"), "the latest observation is the new one: {record}");
    }

    fn servers_starting_together_render_the_lines_once(db) {
        // Two servers opening one PostgreSQL database both render the stale lines at start:
        // neither may fail on the lines the other wrote meanwhile.
        use betadata::generate::{Options, generate};
        let mut conn = db.pool.get().unwrap();
        generate(&mut conn, &Options { startups: 3000, observations: 10, seed: 3, progress: false }).expect("generate");
        drop(conn);
        for round in 0..3 {
            execute_around(&db, "DELETE FROM startup_lines");
            execute_around(&db, "INSERT INTO startup_lines_stale (startup_id) SELECT id FROM startups");
            let starts: Vec<_> = (0..2).map(|_| {
                let pool = db.pool.clone();
                std::thread::spawn(move || lines::refresh_in_batches(&mut pool.get().expect("connection")))
            }).collect();
            let taken: usize = starts.into_iter().map(|s| s.join().expect("a thread").expect("no error")).sum();
            assert_eq!(taken, 3000, "round {round}: each stale startup rendered once");
            assert_eq!(stale_startups(&db), 0);
            assert_eq!(execute_around(&db, "DELETE FROM startup_lines"), 3000, "round {round}");
        }
    }

    fn every_write_shows_in_the_next_whole_export(db) {
        let db = db.seeded();
        let admin = issue_token(&db, "ops", "admin");
        let app = test::init_service(app(db.state())).await;
        refresh_startups(&db);
        assert_eq!(stale_startups(&db), 0);
        let before = whole(&app, "csv").await;
        // Through the API: the write renders the lines it made stale before it commits.
        let entered = send(&app, Method::POST, "/api/v1/startups/medle/phases", Some(&admin), Some(&json!({"phase": "transfere", "start": "2025-06-01"})), &[]).await;
        assert_eq!(entered.status, 201, "{}", entered.body);
        assert_eq!(stale_startups(&db), 0, "the write rendered medle's lines");
        let after = whole(&app, "csv").await;
        let medle = |text: &str| text.lines().find(|l| l.starts_with("medle,")).expect("medle").to_owned();
        assert_ne!(medle(&before), medle(&after));
        assert!(medle(&after).contains(",transfere,"), "{}", medle(&after));
        // Around the API, on each table a line is made of: the triggers forget the lines.
        let writes = [
            ("UPDATE startups SET name = 'Renommée à la main' WHERE id = 'medle'", "Renommée à la main"),
            ("DELETE FROM startup_sponsors WHERE startup_id = 'medle'", "medle,Renommée à la main,"),
            ("INSERT INTO startup_tags (startup_id, kind, value) VALUES ('medle', 'thematique', 'Écrit à la main')", "Écrit à la main"),
            ("UPDATE startup_phases SET end_date = '2025-05-30' WHERE startup_id = 'medle' AND start_date = '2021-07-01'", "2021-07-01,2025-05-30"),
        ];
        for (sql, shown) in writes {
            assert_eq!(execute_around(&db, sql), 1, "{sql}");
            assert_eq!(stale_startups(&db), 1, "{sql}: medle is stale");
            let csv = whole(&app, "csv").await;
            assert!(medle(&csv).contains(shown), "{sql}: {}", medle(&csv));
            let history = whole_of(&app, "phase-history", "csv").await;
            let (_, _, of_medle) = body_of(&app, test::TestRequest::get().uri("/api/v1/phase-history?format=csv&startup=medle").to_request()).await;
            let of_medle = of_medle.split_once("\r\n").expect("a header").1;
            assert!(history.contains(of_medle), "{sql}: the whole phase history holds medle's rows as they are");
            let ndjson = whole(&app, "ndjson").await;
            let line = ndjson.lines().find(|l| l.contains("\"id\":\"medle\"")).expect("medle");
            let (_, _, page) = body_of(&app, test::TestRequest::get().uri("/api/v1/startups?format=ndjson&page_size=1000").to_request()).await;
            assert!(page.contains(line), "{sql}: the whole NDJSON line is the page's");
            refresh_startups(&db);
        }
        // A deleted startup leaves the export, its lines with it.
        let deleted = send(&app, Method::DELETE, "/api/v1/startups/medle", Some(&admin), None, &[]).await;
        assert_eq!(deleted.status, 204);
        assert!(!whole(&app, "csv").await.contains("\r\nmedle,"));
        assert_eq!(stale_startups(&db), 0);
        assert_eq!(execute_around(&db, "DELETE FROM startup_lines WHERE startup_id = 'medle'"), 0, "no lines left behind");
    }
}
