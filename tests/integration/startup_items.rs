//! `/startups/{id}` answered from the item stored with each startup, on both backends: the
//! same status, type and bytes as rendering it from its rows, today's phase even when its
//! latest phase starts later, and every write to what it shows seen by the very next read,
//! whether it went through the API or around it.

use crate::common;

use actix_web::http::Method;
use actix_web::test;
use betadata::api::app;
use betadata::db::schema::startups;
use common::{
    TestDb, both_backends, execute_around, get_text, issue_token, refresh_startups, send,
    stale_startups,
};
use diesel::prelude::*;
use serde_json::{Value, json};

/// What a write around the API must show in the startup's next read.
type Shows<'a> = Box<dyn Fn(&Value) -> bool + 'a>;

/// Every startup's id, in id order.
fn ids(db: &TestDb) -> Vec<String> {
    startups::table
        .select(startups::id)
        .order(startups::id)
        .load(&mut db.pool.get().expect("connection"))
        .expect("ids")
}

both_backends! {
    fn stored_items_are_the_bytes_the_rows_render(db) {
        use betadata::generate::{Options, generate};
        let mut conn = db.pool.get().unwrap();
        generate(&mut conn, &Options { startups: 700, observations: 3000, seed: 11, progress: false }).expect("generate");
        drop(conn);
        let admin = issue_token(&db, "ops", "admin");
        let app = test::init_service(app(db.state())).await;
        // A startup whose latest phase starts after today: its stored item holds from that day
        // on only, so today's answer is rendered from its rows.
        let soon = common::create_bientot(&app, &admin).await;
        assert_eq!(stale_startups(&db), 0, "generate and the write rendered every item");
        let ids = ids(&db);
        let mut stored = Vec::new();
        for id in &ids {
            stored.push(get_text(&app, &format!("/api/v1/startups/{id}")).await);
        }
        let with_metrics = stored.iter().filter(|(_, _, body)| body.contains("\"latest\":{")).count();
        assert!(with_metrics > 100, "{with_metrics} items show a latest observation");
        execute_around(&db, "INSERT INTO startup_lines_stale (startup_id) SELECT id FROM startups");
        for (id, stored) in ids.iter().zip(&stored) {
            let rendered = get_text(&app, &format!("/api/v1/startups/{id}")).await;
            assert_eq!(stored.0, 200, "{id}");
            assert!(stored == &rendered, "{id}: stored {stored:?}\nrendered {rendered:?}");
        }
        assert_eq!(refresh_startups(&db), ids.len());
        // The stored item is what is served: one changed by hand shows (no trigger watches
        // the items themselves).
        let first = &ids[0];
        execute_around(&db, &format!("UPDATE startup_items SET json = '{{\"stored\":true}}' WHERE startup_id = '{first}'"));
        let served = get_text(&app, &format!("/api/v1/startups/{first}")).await;
        assert_eq!(served.2, "{\"stored\":true}");
        let bientot = get_text(&app, "/api/v1/startups/bientot").await;
        let bientot: Value = serde_json::from_str(&bientot.2).expect("JSON");
        assert_eq!(bientot["current_phase"], "investigation", "today's phase, not the stored one");
        let later: Value = serde_json::from_str(&get_text(&app, &format!("/api/v1/startups/bientot?as_of={soon}")).await.2).expect("JSON");
        assert_eq!(later["current_phase"], "construction");
    }

    fn every_write_to_what_an_item_shows_reaches_the_next_read(db) {
        let db = db.seeded();
        let admin = issue_token(&db, "ops", "admin");
        let app = test::init_service(app(db.state())).await;
        refresh_startups(&db);
        let read = || async { serde_json::from_str::<Value>(&get_text(&app, "/api/v1/startups/medle").await.2).expect("JSON") };
        let medle = read().await;
        let incubator = medle["incubator"]["id"].as_str().expect("an incubator").to_owned();
        let sponsor = medle["sponsors"][0]["id"].as_str().expect("a sponsor").to_owned();
        let metric = medle["metrics"][0]["id"].as_str().expect("a metric").to_owned();
        // Around the API, on each table the item shows a part of.
        let writes: Vec<(String, Shows)> = vec![
            (format!("UPDATE incubators SET title = 'Titre à la main' WHERE id = '{incubator}'"),
             Box::new(|m| m["incubator"]["title"] == "Titre à la main")),
            (format!("UPDATE organisations SET name = 'Nom à la main' WHERE id = '{sponsor}'"),
             Box::new(|m| m["sponsors"].as_array().expect("sponsors").iter().any(|s| s["name"] == "Nom à la main"))),
            (format!("UPDATE metrics SET label = 'Mesure à la main' WHERE id = '{metric}'"),
             Box::new(|m| m["metrics"][0]["label"] == "Mesure à la main")),
            (format!("INSERT INTO observations (metric_id, date, value) VALUES ('{metric}', '2099-02-01', 31337)"),
             Box::new(|m| m["metrics"][0]["latest"]["value"] == 31337)),
            (format!("UPDATE observations SET value = 4242 WHERE metric_id = '{metric}' AND date = '2099-02-01'"),
             Box::new(|m| m["metrics"][0]["latest"]["value"] == 4242)),
            (format!("DELETE FROM observations WHERE metric_id = '{metric}' AND date = '2099-02-01'"),
             Box::new(|m| m["metrics"][0]["latest"]["date"] != "2099-02-01")),
            ("UPDATE startup_phases SET end_date = '2025-05-30' WHERE startup_id = 'medle' AND start_date = '2021-07-01'".to_owned(),
             Box::new(|m| m["phases"].as_array().expect("phases").iter().any(|p| p["end"] == "2025-05-30"))),
            (format!("DELETE FROM metrics WHERE id = '{metric}'"),
             Box::new(|m| m["metrics"].as_array().expect("metrics").iter().all(|x| x["id"] != metric.as_str()))),
        ];
        for (sql, shows) in writes {
            assert_eq!(execute_around(&db, &sql), 1, "{sql}");
            assert!(stale_startups(&db) >= 1, "{sql}: medle is stale");
            let rendered = read().await;
            assert!(shows(&rendered), "{sql}: {rendered}");
            refresh_startups(&db);
            assert_eq!(read().await, rendered, "{sql}: stored again, the same item");
        }
        // Through the API: the write renders what it made stale before it commits.
        let entered = send(&app, Method::POST, "/api/v1/startups/medle/phases", Some(&admin), Some(&json!({"phase": "transfere", "start": "2025-06-01"})), &[]).await;
        assert_eq!(entered.status, 201, "{}", entered.body);
        assert_eq!(stale_startups(&db), 0);
        assert_eq!(read().await["current_phase"], "transfere");
        let deleted = send(&app, Method::DELETE, "/api/v1/startups/medle", Some(&admin), None, &[]).await;
        assert_eq!(deleted.status, 204);
        assert_eq!(get_text(&app, "/api/v1/startups/medle").await.0, 404);
        assert_eq!(execute_around(&db, "DELETE FROM startup_items WHERE startup_id = 'medle'"), 0, "no item left behind");
    }
}
