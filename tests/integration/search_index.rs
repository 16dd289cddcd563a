//! The search index held in memory (SQLite): it ranks each search as FTS5's `bm25()` does, to
//! the bit, so an answer is the same bytes whichever ranked it, and a write is searched at once.

use std::path::Path;
use std::time::Duration;

use actix_web::http::Method;
use actix_web::test;
use betadata::api::app;
use betadata::db::DbConnection;
use betadata::db::search_index::{Hits, SearchIndex};
use betadata::db::startup_list;
use betadata::domain::search::search_words;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{Double, Text};
use serde_json::json;

use crate::common::{self, both_backends, get_text, issue_token, send, wait_for_index};

/// A hit as the database ranks it, asked in SQL of the test's own.
#[derive(Debug, PartialEq, QueryableByName)]
struct Hit {
    #[diesel(sql_type = Text)]
    key: String,
    #[diesel(sql_type = Double)]
    rank: f64,
}

/// The hits of `q` as the database ranks them, keyed as the index keys them (SQLite's by
/// `rowid`, PostgreSQL's by id), each with its rank's bits, in key order.
fn database_hits(conn: &mut DbConnection, q: &str) -> Vec<(String, u64)> {
    let words = search_words(q).expect("words");
    let hits = match conn {
        DbConnection::Sqlite(_) => {
            let query = words
                .iter()
                .map(|w| format!("\"{}\"{}", w.text, if w.prefix { "*" } else { "" }))
                .collect::<Vec<_>>()
                .join(" ");
            diesel::sql_query(
                "SELECT CAST(rowid AS TEXT) AS key, bm25(startups_search, 10.0, 3.0, 1.0) AS rank \
                 FROM startups_search WHERE startups_search MATCH ?",
            )
            .bind::<Text, _>(query)
            .load::<Hit>(conn)
        }
        // The query is the application's (both ways ask PostgreSQL for it); the ranking is
        // PostgreSQL's own.
        DbConnection::Postgres(_) => {
            let query = startup_list::tsquery_text(conn, &words).expect("tsquery");
            diesel::sql_query(
                "SELECT id AS key, -CAST(ts_rank(search, $1::tsquery) AS DOUBLE PRECISION) AS rank \
                 FROM startups WHERE search @@ $1::tsquery",
            )
            .bind::<Text, _>(query)
            .load::<Hit>(conn)
        }
    };
    let mut hits: Vec<(String, u64)> = hits
        .expect("hits")
        .into_iter()
        .map(|h| (h.key, h.rank.to_bits()))
        .collect();
    hits.sort_unstable();
    hits
}

fn index_hits(index: &SearchIndex, conn: &mut DbConnection, q: &str) -> Option<Vec<(String, u64)>> {
    let hits = index
        .hits(conn, &search_words(q).expect("words"))
        .expect("hits")?;
    let mut hits: Vec<(String, u64)> = match hits {
        Hits::Rows(hits) => hits
            .into_iter()
            .map(|h| (h.key.to_string(), h.rank.to_bits()))
            .collect(),
        Hits::Ids(hits) => hits
            .into_iter()
            .map(|h| (h.key, h.rank.to_bits()))
            .collect(),
        Hits::Indexed { hits, ids } => hits
            .into_iter()
            .map(|h| (ids.id(h.key).to_owned(), h.rank.to_bits()))
            .collect(),
    };
    hits.sort_unstable();
    Some(hits)
}

/// The terms of the full-text index.
fn vocabulary(conn: &mut DbConnection) -> Vec<String> {
    #[derive(QueryableByName)]
    struct Term {
        #[diesel(sql_type = Text)]
        term: String,
    }
    let terms = match conn {
        DbConnection::Sqlite(_) => {
            conn.batch_execute(
                "CREATE VIRTUAL TABLE IF NOT EXISTS temp.test_terms \
                 USING fts5vocab(main, startups_search, row)",
            )
            .expect("vocabulary table");
            "SELECT term FROM temp.test_terms"
        }
        DbConnection::Postgres(_) => {
            "SELECT word AS term FROM ts_stat('SELECT search FROM startups') ORDER BY word COLLATE \"C\""
        }
    };
    diesel::sql_query(terms)
        .load::<Term>(conn)
        .expect("terms")
        .into_iter()
        .map(|t| t.term)
        .collect()
}

/// Searches made of the index's own terms: each whole (a prefix from three letters), its
/// first three letters, its first two and its first one (whole words), and pairs of terms;
/// then words as people type them, capitals and accents included. Every `step`-th term.
fn searches(terms: &[String], step: usize) -> Vec<String> {
    let mut searches: Vec<String> = Vec::new();
    let start = |t: &str, n: usize| t.chars().take(n).collect::<String>();
    for (i, term) in terms.iter().enumerate().step_by(step) {
        searches.push(term.clone());
        searches.extend([3, 2, 1].map(|n| start(term, n)));
        if let Some(other) = terms.get((i * 7 + 3) % terms.len()) {
            searches.push(format!("{} {}", start(term, 4), other));
        }
    }
    searches.extend(
        [
            "Santé",
            "NUMÉRIQUE",
            "démarches emploi",
            "Élèves",
            "ÉCOLE",
            "œuvre",
            "ça",
            "garçon",
            "über",
            "ÀÉÎÕÜ",
            "Ærø",
            "ﬁnance",
            "日本",
            "emploi santé jeunes",
            "déma",
        ]
        .map(String::from),
    );
    searches.retain(|q| search_words(q).is_ok());
    searches.sort();
    searches.dedup();
    searches
}

/// Compares every search of `searches` ranked by the index and by the database: the same
/// hits, the same ranks to the bit. Returns how many the index ranked: the others hold a
/// letter it does not fold (SQLite) or make a query of phrases (PostgreSQL), and go to the
/// database.
fn assert_ranked_alike(conn: &mut DbConnection, searches: &[String]) -> usize {
    let index = SearchIndex::read(conn).expect("search index");
    let mut ranked = 0;
    for q in searches {
        match index_hits(&index, conn, q) {
            Some(hits) => {
                assert_eq!(hits, database_hits(conn, q), "q={q}");
                ranked += 1;
            }
            None => match conn {
                DbConnection::Sqlite(_) => assert!(
                    q.chars()
                        .any(|c| !c.is_ascii() && !('\u{c0}'..='\u{24f}').contains(&c)),
                    "q={q}: a Latin search left to FTS5"
                ),
                DbConnection::Postgres(_) => {
                    let words = search_words(q).expect("words");
                    let query = startup_list::tsquery_text(conn, &words).expect("tsquery");
                    assert!(query.contains("<->"), "q={q}: {query} left to PostgreSQL");
                }
            },
        }
    }
    ranked
}

both_backends! {
    fn the_index_ranks_every_search_as_the_database_does(db) {
        // Generated startups share their words, so many hits tie; the seeds' text is French prose.
        let mut conn = db.pool.get().expect("connection");
        betadata::generate::generate(
            &mut conn,
            &betadata::generate::Options { startups: 1500, observations: 0, seed: 5, progress: false },
        )
        .expect("generate");
        let terms = vocabulary(&mut conn);
        let ranked = assert_ranked_alike(&mut conn, &searches(&terms, 1));
        assert!(ranked > 500, "{ranked} searches ranked by the index");

        let seeded = db.fresh().seeded();
        let mut conn = seeded.pool.get().expect("connection");
        let terms = vocabulary(&mut conn);
        let ranked = assert_ranked_alike(&mut conn, &searches(&terms, 1));
        assert!(ranked > 500, "{ranked} searches ranked by the index");
    }

    fn the_index_ranks_the_real_tree_as_the_database_does(db) {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/betagouv-2025-06/content");
        if !root.is_dir() {
            eprintln!("skipped: no real tree at ../shared/betagouv-2025-06/content");
            return;
        }
        use betadata::seed::content::{read_tree, sync};
        let mut conn = db.pool.get().expect("connection");
        let files = read_tree(&root).expect("real tree");
        let today = chrono::NaiveDate::from_ymd_opt(2025, 6, 30).expect("date");
        sync::import(&mut conn, &files, sync::Options::default(), &indicatif::ProgressBar::hidden(), today)
            .expect("import");
        let terms = vocabulary(&mut conn);
        // Every fifth term of some 16,000, and the searches made of it.
        let searches = searches(&terms, 5);
        let ranked = assert_ranked_alike(&mut conn, &searches);
        eprintln!("{} terms, {} searches, {ranked} ranked by the index", terms.len(), searches.len());
        assert!(ranked > 5000, "{ranked} searches ranked by the index");
    }
}

/// Waits for the searcher of `state` to hold an index of the data as it is.
/// Words of ASCII letters and digits in the shapes PostgreSQL's parser tells apart (numbers,
/// words, numbers and letters mixed, what reads as a float or as hexadecimal), and words of
/// the index's own terms.
fn plain_searches(terms: &[String]) -> Vec<String> {
    let mut searches: Vec<String> = [
        "a",
        "e",
        "x",
        "2024",
        "007",
        "0",
        "12a",
        "a12",
        "1e10",
        "1e",
        "e10",
        "0x1f",
        "x1f",
        "1e5 emploi",
        "abc123def",
        "v2",
        "2b",
        "emploi jeunes",
        "ab cd ef gh",
        "emploi 2024",
        "123456789012345678901234567890",
        "inf",
        "nan",
        "infinity",
    ]
    .map(String::from)
    .to_vec();
    searches.push("z".repeat(64));
    searches.push("z".repeat(65));
    searches.extend(terms.iter().map(|t| t.to_string()));
    searches.extend(terms.windows(3).map(|w| w.join(" ")));
    searches.retain(|q| search_words(q).is_ok());
    searches
}

/// PostgreSQL alone makes a query of words: SQLite's are written by the application.
#[actix_rt::test]
#[cfg_attr(
    not(betadata_pg_tests),
    ignore = "PostgreSQL half skipped: set BETADATA_TEST_DATABASE_URL to run it"
)]
async fn plain_words_make_the_query_postgresql_makes_of_them() {
    let db = crate::common::TestDb::postgres();
    let mut conn = db.pool.get().expect("connection");
    betadata::generate::generate(
        &mut conn,
        &betadata::generate::Options {
            startups: 300,
            observations: 0,
            seed: 7,
            progress: false,
        },
    )
    .expect("generate");
    let terms = vocabulary(&mut conn);
    let mut written = 0;
    for q in plain_searches(&terms) {
        let words = search_words(&q).expect("words");
        let Some(plain) = startup_list::plain_tsquery(&words) else {
            assert!(
                words.iter().any(
                    |w| w.text.len() > 64 || !w.text.bytes().all(|b| b.is_ascii_alphanumeric())
                ),
                "q={q}: plain words left to PostgreSQL"
            );
            continue;
        };
        let asked = startup_list::tsquery_text(&mut conn, &words).expect("tsquery");
        assert_eq!(plain, asked, "q={q}");
        written += 1;
    }
    assert!(
        written > 100,
        "{written} queries written without PostgreSQL"
    );
}

/// The database's search generation.
fn generation(conn: &mut DbConnection) -> i64 {
    betadata::db::search_index::generation(conn).expect("generation")
}

both_backends! {
    fn searches_answer_the_same_bytes_from_the_index_and_see_each_write_at_once(db) {
        let db = db.seeded();
        let state = db.state();
        let mut conn = db.pool.get().expect("connection");
        wait_for_index(&state, &db.pool);
        let indexed = test::init_service(app(state.clone())).await;
        let by_database = test::init_service(app(db.state().without_search_index())).await;
        let same = |uri: String| {
            let (indexed, by_database) = (&indexed, &by_database);
            async move {
                let a = get_text(indexed, &uri).await;
                let b = get_text(by_database, &uri).await;
                assert_eq!(a, b, "{uri}");
                a.2
            }
        };
        for q in ["q=sant%C3%A9", "q=emploi&page_size=2", "q=jeunes%20sant%C3%A9", "q=des",
            "q=num&incubator=dinum", "q=ma&phase=construction,acceleration", "q=service&sort=-updated",
            "q=zzzz", "q=d%C3%A9marches&fields=id,name", "q=emploi&format=ndjson", "q=e-sant%C3%A9"]
        {
            same(format!("/api/v1/startups?{q}")).await;
        }
        // Page by page through the cursors, each page the same bytes either way.
        let mut uri = Some("/api/v1/startups?q=de%CC%81marches%20service&page_size=1".to_owned());
        let mut pages = 0;
        while let Some(at) = uri.take() {
            let body: serde_json::Value = serde_json::from_str(&same(at).await).expect("json");
            uri = body["links"]["next"].as_str().map(|u| u.replace("http://localhost:8080", ""));
            pages += 1;
            assert!(pages < 50, "pages");
        }

        // A new word, searched at once; the index is rebuilt behind it, with the same answer.
        let before = generation(&mut conn);
        let admin = issue_token(&db, "admin", "admin");
        let moved = send(&indexed, Method::PATCH, "/api/v1/startups/medle", Some(&admin), Some(&json!({"incubator": "sgmas"})), &[]).await;
        assert_eq!(moved.status, 200, "{}", moved.body);
        assert_eq!(generation(&mut conn), before, "a write that no search reads keeps the generation");
        let renamed = send(&indexed, Method::PATCH, "/api/v1/startups/medle", Some(&admin), Some(&json!({"pitch": "Un xylophone"})), &[]).await;
        assert_eq!(renamed.status, 200, "{}", renamed.body);
        assert!(generation(&mut conn) > before);
        let searched = get_text(&indexed, "/api/v1/startups?q=xylophone").await;
        assert!(searched.2.contains("\"id\":\"medle\""), "{}", searched.2);
        wait_for_index(&state, &db.pool);
        assert_eq!(same("/api/v1/startups?q=xylophone".into()).await, searched.2);
    }

    fn a_search_ranked_from_the_current_index_takes_no_turn_among_searches(db) {
        let db = db.seeded();
        let patience = Duration::from_millis(300);
        let state = db.state().with_cache_mib(0).with_query_timeout(patience);
        wait_for_index(&state, &db.pool);
        let app = test::init_service(app(state.clone())).await;
        let search = "/api/v1/startups?q=sant%C3%A9";
        let first = get_text(&app, search).await;
        assert_eq!(first.0, 200, "{}", first.2);
        // Every turn among searches taken.
        let mut turns = Vec::new();
        while let Ok(turn) = state.bulkheads.search(Duration::from_millis(10)).await {
            turns.push(turn);
        }
        assert!(!turns.is_empty());
        // Found current at this revision: ranked in memory, its rows read by id.
        assert_eq!(get_text(&app, search).await, first);
        // Read in another order, its hits are read by the database: it waits for a turn.
        let by_name = get_text(&app, "/api/v1/startups?q=sant%C3%A9&sort=name").await;
        assert_eq!(by_name.0, 503, "{}", by_name.2);
        drop(turns);
        let by_name = get_text(&app, "/api/v1/startups?q=sant%C3%A9&sort=name").await;
        assert_eq!(by_name.0, 200, "{}", by_name.2);
    }

    fn the_generation_follows_the_searched_text_only(db) {
        let db = db.seeded();
        let mut conn = db.pool.get().expect("connection");
        let mut last = generation(&mut conn);
        assert!(last > 1, "the seeds' startups bumped it");
        for (sql, bumps) in [
            ("UPDATE startups SET link = 'https://example.org' WHERE id = 'medle'", false),
            ("UPDATE startups SET name = name, pitch = pitch WHERE id = 'medle'", false),
            ("UPDATE startups SET name = 'Medle !' WHERE id = 'medle'", true),
            ("UPDATE startups SET pitch = NULL WHERE id = 'medle'", true),
            ("UPDATE startups SET description = 'Autre' WHERE id = 'medle'", true),
            ("UPDATE startups SET name = 'Autre' WHERE id = 'nothing-of-that-id'", false),
        ] {
            common::execute_around(&db, sql);
            let now = generation(&mut conn);
            assert_eq!(now > last, bumps, "{sql}");
            last = now;
        }
    }
}
