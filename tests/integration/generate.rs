//! `betadata generate`: a synthetic dataset of the size asked, whose invariants hold when read
//! back through the API, on both backends.

use crate::common;

use actix_web::test;
use betadata::api::app;
use betadata::db::schema::startup_phases;
use betadata::db::startups::PhaseRow;
use betadata::generate::{GenerateError, Options, generate};
use common::{both_backends, collect_ids, get};
use diesel::prelude::*;

const STARTUPS: usize = 200;
const OBSERVATIONS: usize = 5_000;

fn options() -> Options {
    Options {
        startups: STARTUPS,
        observations: OBSERVATIONS,
        seed: 1,
        progress: false,
    }
}

both_backends! {
    fn generated_data_reads_back_with_its_counts_and_invariants(db) {
        let summary = {
            let mut conn = db.pool.get().expect("connection");
            generate(&mut conn, &options()).expect("generate")
        };
        assert_eq!((summary.startups, summary.observations), (STARTUPS, OBSERVATIONS));
        assert_eq!(summary.phases, 8);
        let app = test::init_service(app(db.state())).await;

        let list = get(&app, "/api/v1/startups?page_size=1000").await;
        assert_eq!(list.status, 200, "{}", list.body);
        assert_eq!(list.body["meta"]["total"], STARTUPS);
        let startups = list.body["data"].as_array().expect("data").clone();
        assert_eq!(startups.len(), STARTUPS);
        for startup in &startups {
            let id = startup["id"].as_str().expect("id");
            let history = get(&app, &format!("/api/v1/startups/{id}/phases")).await.body;
            let phases = history["data"].as_array().expect("phases");
            assert!((1..=5).contains(&phases.len()), "{id}: {history}");
            let starts: Vec<&str> = phases.iter().map(|p| p["start"].as_str().expect("start")).collect();
            assert!(starts.windows(2).all(|w| w[0] < w[1]), "{id}: chronological: {starts:?}");
            assert_eq!(startup["created"], phases[0]["start"], "{id}");
            let last = &phases[phases.len() - 1]["phase"];
            assert_eq!(&startup["current_phase"], last, "{id}: current phase is the last started");
            assert_eq!(history["meta"]["total"], phases.len(), "{id}: the whole history, in the list envelope");
        }

        // next_start, stored, points to the following start of the same startup.
        let rows: Vec<PhaseRow> = {
            let mut conn = db.pool.get().expect("connection");
            startup_phases::table
                .order((startup_phases::startup_id, startup_phases::start_date))
                .select(PhaseRow::as_select())
                .load(&mut *conn)
                .expect("phase rows")
        };
        for (row, following) in rows.iter().zip(rows.iter().skip(1).map(Some).chain([None])) {
            let expected = following
                .filter(|f| f.startup_id == row.startup_id)
                .map(|f| f.start_date);
            assert_eq!(row.next_start, expected, "{row:?}");
        }

        let metrics = collect_ids(&app, "/api/v1/metrics?page_size=1000").await;
        assert!(!metrics.is_empty() && metrics.len() < STARTUPS, "most startups have one metric");
        let mut observations = 0;
        for metric in &metrics {
            let reply = get(&app, &format!("/api/v1/metrics/{metric}/observations?page_size=1")).await;
            assert_eq!(reply.status, 200, "{metric}: {}", reply.body);
            observations += reply.body["meta"]["total"].as_u64().expect("meta.total");
        }
        assert_eq!(observations, OBSERVATIONS as u64);

        // A database that holds startups is refused, and left as it was.
        let mut conn = db.pool.get().expect("connection");
        let refused = generate(&mut conn, &options()).expect_err("refused");
        assert!(matches!(refused, GenerateError::NotEmpty(n) if n == STARTUPS as i64), "{refused}");
    }

    fn search_finds_generated_names(db) {
        {
            let mut conn = db.pool.get().expect("connection");
            generate(&mut conn, &options()).expect("generate");
        }
        let app = test::init_service(app(db.state())).await;
        let found = get(&app, "/api/v1/startups?q=emploi").await;
        assert_eq!(found.status, 200, "{}", found.body);
        assert!(found.body["meta"]["total"].as_u64().expect("total") > 0, "{}", found.body);
    }
}
