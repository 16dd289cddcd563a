//! Migrations run down and up again, and seeding happens only on an empty database, on both
//! backends.

use crate::common;

use actix_web::test;
use betadata::api::app;
use betadata::db::schema::{metrics, observations, phases, startup_phases, startups};
use common::{both_backends, get};
use diesel::prelude::*;

both_backends! {
    fn migrations_revert_and_apply_again(db) {
        let mut conn = db.pool.get().expect("connection");
        let before: i64 = startups::table.count().get_result(&mut *conn).expect("startups exists");
        assert_eq!(before, 0, "a fresh database is empty");
        betadata::db::revert_all(&mut conn).expect("revert every migration");
        let gone = startups::table.count().get_result::<i64>(&mut *conn);
        assert!(gone.is_err(), "no startups table is left: {gone:?}");
        assert!(phases::table.count().get_result::<i64>(&mut *conn).is_err(), "no phases table");
        let applied = betadata::db::migrate(&mut conn).expect("migrate again");
        let folder = format!("{}/migrations/{}", env!("CARGO_MANIFEST_DIR"), db.url.backend());
        let written = std::fs::read_dir(&folder).expect("migrations folder").count();
        assert_eq!(applied.len(), written, "every migration of {folder} again: {applied:?}");
        let again = betadata::db::migrate(&mut conn).expect("nothing left to migrate");
        assert!(again.is_empty(), "{again:?}");
        let (counts, _) = betadata::seed::load::seed_if_empty(&mut conn)
            .expect("seeding")
            .expect("the migrated-again database is empty, so it is seeded");
        assert!(counts.startups > 0 && counts.phases == 8, "{counts}");
        let stored: i64 = startups::table.count().get_result(&mut *conn).expect("startups");
        assert_eq!(stored as usize, counts.startups);
    }

    fn a_seeded_database_reverts_and_is_served_again(db) {
        let db = db.seeded();
        let mut conn = db.pool.get().expect("connection");
        let seeded: i64 = startups::table.count().get_result(&mut *conn).expect("startups");
        assert!(seeded > 0);
        betadata::db::revert_all(&mut conn).expect("revert a database holding data");
        assert!(metrics::table.count().get_result::<i64>(&mut *conn).is_err(), "no metrics table");
        betadata::db::migrate(&mut conn).expect("migrate again");
        let reseeded = betadata::seed::load::seed_if_empty(&mut conn).expect("seeding");
        assert!(reseeded.is_some(), "seeded again after the revert");
        drop(conn);
        let app = test::init_service(app(db.state())).await;
        let reply = get(&app, "/api/v1/startups").await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(reply.body["meta"]["total"].as_i64(), Some(seeded));
    }

    fn the_latest_migrations_keep_the_data_down_and_up(db) {
        // A migration that rebuilds a table must keep its rows, and those of the tables that
        // reference it (SQLite cascades a dropped parent's rows to its children).
        let db = db.seeded();
        let mut conn = db.pool.get().expect("connection");
        let count = |conn: &mut betadata::db::DbConnection| -> [i64; 4] {
            [
                startups::table.count().get_result(conn).expect("startups"),
                startup_phases::table.count().get_result(conn).expect("phases"),
                metrics::table.count().get_result(conn).expect("metrics"),
                observations::table.count().get_result(conn).expect("observations"),
            ]
        };
        let before = count(&mut conn);
        assert!(before.iter().all(|&n| n > 0), "{before:?}");
        let mut reverted = Vec::new();
        for _ in 0..4 {
            reverted.push(betadata::db::revert_last(&mut conn).expect("revert"));
            assert_eq!(count(&mut conn), before, "down to before {reverted:?}");
        }
        let applied = betadata::db::migrate(&mut conn).expect("migrate again");
        assert_eq!(applied.len(), reverted.len(), "{applied:?}");
        assert_eq!(count(&mut conn), before, "up again: {applied:?}");
    }

    fn a_seeded_database_is_not_seeded_again(db) {
        let db = db.seeded();
        let mut conn = db.pool.get().expect("connection");
        let count = |conn: &mut betadata::db::DbConnection| -> (i64, i64, i64) {
            (
                startups::table.count().get_result(conn).expect("startups"),
                phases::table.count().get_result(conn).expect("phases"),
                metrics::table.count().get_result(conn).expect("metrics"),
            )
        };
        let before = count(&mut conn);
        assert!(before.0 > 0 && before.1 > 0 && before.2 > 0, "{before:?}");
        let second = betadata::seed::load::seed_if_empty(&mut conn).expect("no error");
        assert!(second.is_none(), "an already seeded database is left as it is");
        assert_eq!(count(&mut conn), before, "nothing was added");
    }
}
