//! Importing a beta.gouv.fr content tree (`tests/fixtures/content/`), on both backends: what is
//! loaded, what is reported, and how a second import syncs, prunes and rolls back.

mod common;

use std::path::Path;

use actix_web::test;
use betadata::api::app;
use betadata::db::DbConnection;
use betadata::db::changes::{Change, ChangeFilter};
use betadata::db::page::PageRequest;
use betadata::db::startups::Startup;
use betadata::seed::content::sync::{self, Options, Outcome, SyncError, Tally};
use betadata::seed::content::{ContentFile, read_tree};
use common::{both_backends, get};
use indicatif::ProgressBar;

fn tree(version: &str) -> Vec<ContentFile> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/content")
        .join(version);
    read_tree(&root).expect("fixture tree")
}

fn today() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 11, 24).expect("date")
}

fn import(conn: &mut DbConnection, version: &str, options: Options) -> Result<Outcome, SyncError> {
    sync::import(
        conn,
        &tree(version),
        options,
        &ProgressBar::hidden(),
        today(),
    )
}

fn changes(conn: &mut DbConnection) -> Vec<Change> {
    let request = PageRequest {
        size: 1000,
        cursor: None,
    };
    Change::page(conn, &ChangeFilter::default(), &request)
        .expect("changes")
        .rows
}

fn tally(created: usize, updated: usize, deleted: usize, unchanged: usize) -> Tally {
    Tally {
        created,
        updated,
        deleted,
        unchanged,
    }
}

fn prune() -> Options {
    Options {
        prune: true,
        strict: false,
    }
}

both_backends! {
    fn a_tree_loads_what_it_can_and_reports_the_rest(db) {
        let mut conn = db.pool.get().expect("connection");
        let outcome = import(&mut conn, "v1", Options::default()).expect("import");
        let files = outcome.set.files;
        assert_eq!((files.loaded, files.warned, files.rejected), (7, 5, 2), "{}", outcome.summary());
        assert_eq!(outcome.startups, tally(7, 0, 0, 0));
        assert_eq!(outcome.incubators, tally(2, 0, 0, 0));
        assert_eq!(outcome.organisations, tally(3, 0, 0, 0));
        assert_eq!(outcome.phases_added, 8, "the reference phases are written first");
        let report: Vec<String> = outcome.set.report.problems.iter().map(ToString::to_string).collect();
        let report = report.join("\n");
        for expected in [
            "incubateur-inconnu.md: incubator: `nulle-part` is not a known incubator",
            "sans-titre.md: title: missing or empty",
            "sponsor-inconnu.md: sponsors[1]: `/organisations/fantome` is not a known organisation",
            "date-impossible.md: phases[1].start: `31-02-2020` is not a real calendar day",
            "desordre.md: phases: phases were not in chronological order",
            "vieux-service.md: phases[2].name: `success` is an older phase name; read as `transfere`",
            "mojibake.md: title: text was UTF-8 decoded twice",
        ] {
            assert!(report.contains(expected), "{expected}\nin\n{report}");
        }
        assert!(!Startup::exists(&mut conn, "sans-titre").expect("query"));
        assert!(!Startup::exists(&mut conn, "incubateur-inconnu").expect("query"));

        let feed = changes(&mut conn);
        assert_eq!(feed.len(), 12, "one change per record written");
        assert!(feed.iter().all(|c| c.token == "import" && c.action == "create"));
        let created = feed
            .iter()
            .find(|c| c.resource == "startup" && c.resource_id == "bon-outil")
            .expect("bon-outil recorded");
        let state: serde_json::Value =
            serde_json::from_str(created.state.as_deref().expect("state")).expect("json");
        assert_eq!(state["name"], "Bon Outil");
        drop(conn);

        let app = test::init_service(app(db.state())).await;
        let reply = get(&app, "/api/v1/startups/bon-outil").await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        let body = &reply.body;
        assert_eq!(body, &state, "the change holds the item as GET shows it");
        // Every startup written in the batch is recorded as its own GET shows it.
        for change in feed.iter().filter(|c| c.resource == "startup") {
            let reply = get(&app, &format!("/api/v1/startups/{}", change.resource_id)).await;
            let state: serde_json::Value =
                serde_json::from_str(change.state.as_deref().expect("state")).expect("json");
            assert_eq!(reply.body, state, "{}", change.resource_id);
        }
        assert_eq!(body["pitch"], "Aider les agents à instruire les dossiers plus vite");
        assert_eq!(body["incubator"]["id"], "atelier");
        assert_eq!(body["link"], "https://bon-outil.example.gouv.fr");
        assert_eq!(body["repository"], "https://github.com/example/bon-outil");
        assert_eq!(body["contact"], "equipe@bon-outil.example.gouv.fr");
        assert!(body["description"].as_str().unwrap_or_default().starts_with("## Le problème"));
        assert_eq!(body["thematiques"], serde_json::json!(["Santé"]));
        assert_eq!(body["techno"], serde_json::json!(["Rust", "actix-web"]));
        assert_eq!(body["stats_url"], "https://bon-outil.example.gouv.fr/stats");
        assert_eq!(body["accessibility_status"], "partiellement conforme");
        assert_eq!(body["events"][0]["date"], "2022-03-01");
        assert_eq!(body["phases"].as_array().map(Vec::len), Some(2), "{body}");

        let reply = get(&app, "/api/v1/startups/vieux-service").await;
        let phases: Vec<(&str, &str)> = reply.body["phases"]
            .as_array()
            .expect("phases")
            .iter()
            .map(|p| (p["phase"].as_str().unwrap_or("?"), p["start"].as_str().unwrap_or("?")))
            .collect();
        assert_eq!(
            phases,
            vec![
                ("investigation", "2015-02-01"),
                ("construction", "2015-06-15"),
                ("transfere", "2017-09-01")
            ],
            "dd-mm-yyyy dates read, older name renamed: {}",
            reply.body
        );
        let reply = get(&app, "/api/v1/startups/mojibake").await;
        assert_eq!(reply.body["name"], "État civil simplifié");
        let reply = get(&app, "/api/v1/startups/sponsor-inconnu").await;
        assert_eq!(reply.body["sponsors"].as_array().map(Vec::len), Some(1), "{}", reply.body);
        let reply = get(&app, "/api/v1/incubators/atelier").await;
        assert_eq!(reply.body["owner"], "min-sante", "{}", reply.body);
    }

    fn importing_the_same_tree_twice_changes_nothing(db) {
        let mut conn = db.pool.get().expect("connection");
        import(&mut conn, "v1", Options::default()).expect("first import");
        let before = changes(&mut conn).len();
        let stored = Startup::find(&mut conn, "desordre").expect("query");
        let outcome = import(&mut conn, "v1", prune()).expect("second import");
        assert_eq!(outcome.startups, tally(0, 0, 0, 7));
        assert_eq!(outcome.incubators, tally(0, 0, 0, 2));
        assert_eq!(outcome.organisations, tally(0, 0, 0, 3));
        assert_eq!(changes(&mut conn).len(), before, "no change recorded");
        assert_eq!(Startup::find(&mut conn, "desordre").expect("query"), stored);
    }

    fn a_newer_tree_updates_and_deletes_only_with_prune(db) {
        let mut conn = db.pool.get().expect("connection");
        import(&mut conn, "v1", Options::default()).expect("first import");
        let before = changes(&mut conn).len();
        let outcome = import(&mut conn, "v2", Options::default()).expect("v2");
        assert_eq!(outcome.startups, tally(1, 1, 0, 5), "{}", outcome.summary());
        assert!(Startup::exists(&mut conn, "a-supprimer").expect("query"), "kept without --prune");
        let updated = Startup::find(&mut conn, "bon-outil").expect("query").expect("stored");
        assert_eq!(updated.pitch.as_deref(), Some("Instruire les dossiers en un jour"));
        assert_eq!(updated.latest_phase_id.as_deref(), Some("acceleration"));

        let outcome = import(&mut conn, "v2", prune()).expect("v2 with prune");
        assert_eq!(outcome.startups, tally(0, 0, 1, 7), "{}", outcome.summary());
        assert_eq!(outcome.organisations, tally(0, 0, 1, 2));
        assert!(!Startup::exists(&mut conn, "a-supprimer").expect("query"));
        let feed: Vec<(String, String, String)> = changes(&mut conn)[before..]
            .iter()
            .map(|c| (c.resource.clone(), c.resource_id.clone(), c.action.clone()))
            .collect();
        let owned = |r: &str, id: &str, a: &str| (r.to_owned(), id.to_owned(), a.to_owned());
        assert_eq!(
            feed,
            vec![
                owned("startup", "bon-outil", "update"),
                owned("startup", "nouveau", "create"),
                owned("startup", "a-supprimer", "delete"),
                owned("organisation", "ancienne-direction", "delete"),
            ]
        );
    }

    fn a_strict_import_with_a_rejected_file_writes_nothing(db) {
        let mut conn = db.pool.get().expect("connection");
        let strict = Options { prune: false, strict: true };
        match import(&mut conn, "v1", strict) {
            Err(SyncError::Rejected(outcome)) => {
                assert_eq!(outcome.set.files.rejected, 2);
                assert_eq!(outcome.startups.created, 7, "the writes happened, then rolled back");
            }
            other => panic!("expected a rejection, got {other:?}"),
        }
        assert_eq!(Startup::count(&mut conn).expect("count"), 0);
        assert!(changes(&mut conn).is_empty());
        assert!(betadata::db::stored_ids(&mut conn).expect("ids").phases.is_empty());
    }
}
