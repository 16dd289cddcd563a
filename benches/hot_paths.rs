//! The hot paths of a read, each on its own, on 1,000 generated startups: the filtered list
//! query on an in-memory SQLite database, a search's page ranked by FTS5 and by the search
//! index held in memory, serialising a page to JSON and to CSV, reading the
//! data revision, and a whole request through the application answered from memory (against
//! the same request rendered, with the cache off), a whole CSV export answered from the
//! spool's file (against the same export rendered), and PostgreSQL's `ts_rank` of a common
//! word's hits, as the search index ranks them in memory (by the general path, and for hits of
//! one lexeme by `rank_of_lexeme`).
//!
//! `cargo bench --bench hot_paths`; each bench runs about two seconds.

use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::test;
use actix_web::web::Bytes;
use betadata::api::http::response_cache::ResponseCache;
use betadata::api::http::spool::ExportSpool;
use betadata::api::shape::formats::{Format, encode};
use betadata::api::v1::startups::rows::fetch;
use betadata::api::{AppState, app};
use betadata::db::page::PageRequest;
use betadata::db::revision::Revision;
use betadata::db::search_index::SearchIndex;
use betadata::db::startup_list::{self, Sort, SortKey, StartupFilter, StartupLine};
use betadata::db::{self, DatabaseUrl, DbConnection};
use betadata::domain::search::search_words;
use betadata::domain::ts_rank::{rank_of_lexeme, ts_rank};
use betadata::generate::{Options, generate};
use chrono::NaiveDate;
use criterion::{Criterion, criterion_group, criterion_main};
use diesel::{Connection, SqliteConnection};

const STARTUPS: usize = 1000;

fn portfolio(conn: &mut DbConnection) {
    db::migrate(conn).expect("migrations");
    let options = Options {
        startups: STARTUPS,
        observations: 10_000,
        seed: 1,
        progress: false,
    };
    generate(conn, &options).expect("generate");
}

/// The filter of the benchmarks' filtered page: the largest incubator, one phase.
fn filter() -> StartupFilter {
    StartupFilter {
        phases: vec!["construction".into()],
        incubator: Some("dinum".into()),
        day: NaiveDate::from_ymd_opt(2026, 1, 1).expect("date"),
        ..StartupFilter::default()
    }
}

const BY_ID: Sort = Sort {
    key: SortKey::Id,
    descending: false,
};

fn page_of(size: i64) -> PageRequest {
    PageRequest {
        size,
        cursor: None,
        chunk: false,
    }
}

fn queries_and_serialisation(c: &mut Criterion) {
    let mut conn = DbConnection::Sqlite(SqliteConnection::establish(":memory:").expect("memory"));
    portfolio(&mut conn);
    let filter = filter();
    c.bench_function("filtered page query (20 rows, in-memory SQLite)", |b| {
        b.iter(|| {
            startup_list::page::<StartupLine>(&mut conn, &filter, BY_ID, &page_of(20), None, None)
                .expect("page")
        })
    });
    // A search's first page, ranked by FTS5's bm25() and by the search index held in memory.
    let searched = StartupFilter {
        search: search_words("emploi").expect("words"),
        ..StartupFilter::default()
    };
    let by_relevance = Sort {
        key: SortKey::Relevance,
        descending: false,
    };
    let index = SearchIndex::read(&mut conn).expect("search index");
    for (name, index) in [("FTS5", None), ("the search index", Some(&index))] {
        c.bench_function(
            &format!("search page q=emploi (20 rows, ranked by {name})"),
            |b| {
                b.iter(|| {
                    startup_list::page::<StartupLine>(
                        &mut conn,
                        &searched,
                        by_relevance,
                        &page_of(20),
                        index,
                        None,
                    )
                    .expect("page")
                })
            },
        );
    }
    let page = fetch(
        &mut conn,
        &StartupFilter::default(),
        BY_ID,
        None,
        &page_of(20),
    )
    .expect("page");
    assert_eq!(page.rows.len(), 20);
    c.bench_function("serialise 20 startups to JSON", |b| {
        b.iter(|| serde_json::to_vec(&page.rows).expect("JSON"))
    });
    c.bench_function("serialise 20 startups to CSV", |b| {
        b.iter(|| encode(Format::Csv, &page.rows, true).expect("CSV"))
    });
    c.bench_function("read the data revision (SQLite)", |b| {
        b.iter(|| Revision::current(&mut conn).expect("revision"))
    });
}

fn requests(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join("bench.db");
    let url = DatabaseUrl::parse(path.to_str().expect("UTF-8 path"));
    let pool = db::connect(&url, 4).expect("pool");
    portfolio(&mut pool.get().expect("connection"));
    let uri = "/api/v1/startups?incubator=dinum&phase=construction&page_size=20";
    let system = actix_rt::System::new();
    let cached = system.block_on(test::init_service(app(AppState::new(pool.clone()))));
    let rendered = system.block_on(test::init_service(app(
        AppState::new(pool.clone()).with_cache_mib(0)
    )));
    c.bench_function("filtered page through the app, from memory", |b| {
        b.iter(|| system.block_on(call(&cached, uri)))
    });
    c.bench_function("filtered page through the app, rendered (cache off)", |b| {
        b.iter(|| system.block_on(call(&rendered, uri)))
    });
    // The whole CSV (about 350 KB), too large for an 8 KiB memory budget: from the spool's file
    // against rendered each time.
    let spool_dir = tempfile::tempdir().expect("temporary folder");
    let spooled = system.block_on(test::init_service(app(AppState::new(pool.clone())
        .with_cache(
            ResponseCache::new(8 * 1024).with_spool(ExportSpool::new(spool_dir.path(), 1 << 30)),
        ))));
    let export = "/api/v1/startups?format=csv";
    c.bench_function("whole CSV export through the app, from the spool", |b| {
        b.iter(|| system.block_on(call(&spooled, export)))
    });
    c.bench_function(
        "whole CSV export through the app, rendered (cache off)",
        |b| b.iter(|| system.block_on(call(&rendered, export))),
    );
}

async fn call<S, B>(service: &S, uri: &str) -> Bytes
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let response =
        test::call_service(service, test::TestRequest::get().uri(uri).to_request()).await;
    assert!(response.status().is_success());
    test::read_body(response).await
}

/// `ts_rank` of 12,500 hits of a one-word search, as many as `q=emploi` has at 100,000
/// startups: each hit holds the word (and some a second word it begins) at one to four
/// positions, of any weight, drawn from a fixed sequence.
fn ranking(c: &mut Criterion) {
    let mut state: u32 = 1;
    let mut next = move |below: u32| {
        state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        (state >> 16) % below
    };
    let hits: Vec<Vec<Vec<u16>>> = (0..12_500)
        .map(|_| {
            let lexemes = 1 + next(4) / 3;
            (0..lexemes)
                .map(|_| {
                    let mut place = 0;
                    (0..1 + next(4))
                        .map(|_| {
                            place += 1 + next(20) as u16;
                            (next(4) as u16) << 14 | place
                        })
                        .collect()
                })
                .collect()
        })
        .collect();
    // Each hit as the search index hands it to `ts_rank`: one item, its lexemes' positions.
    let items: Vec<[Vec<&[u16]>; 1]> = (hits.iter())
        .map(|hit| [hit.iter().map(Vec::as_slice).collect()])
        .collect();
    c.bench_function("ts_rank of 12,500 hits of one word", |b| {
        b.iter(|| items.iter().map(|item| ts_rank(item, false)).sum::<f32>())
    });
    // The same hits' first lexeme alone, ranked as the index ranks a search whose one operand
    // matches one lexeme: by the general path, then by `rank_of_lexeme`.
    let lone: Vec<[Vec<&[u16]>; 1]> = (hits.iter()).map(|hit| [vec![hit[0].as_slice()]]).collect();
    c.bench_function("ts_rank of 12,500 hits of one lexeme", |b| {
        b.iter(|| lone.iter().map(|item| ts_rank(item, false)).sum::<f32>())
    });
    c.bench_function("rank_of_lexeme of 12,500 hits of one lexeme", |b| {
        b.iter(|| {
            lone.iter()
                .map(|[item]| rank_of_lexeme(item[0]))
                .sum::<f32>()
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30);
    targets = queries_and_serialisation, requests, ranking
}
criterion_main!(benches);
