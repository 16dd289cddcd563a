//! `/health`: the service answers and names its database backend, on both backends.

use crate::common;

use actix_web::test;
use betadata::api::app;
use common::{both_backends, get};
use serde_json::json;

both_backends! {
    fn health_names_the_backend(db) {
        let app = test::init_service(app(db.state())).await;
        let reply = get(&app, "/health").await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(reply.content_type(), "application/json");
        assert!(["sqlite", "postgres"].contains(&db.url.backend()));
        assert_eq!(reply.body, json!({"status": "ok", "database": db.url.backend()}));
    }

    fn health_answers_the_same_once_seeded(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        let reply = get(&app, "/health").await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(reply.body["status"], "ok");
        assert_eq!(reply.body["database"], db.url.backend());
    }
}
