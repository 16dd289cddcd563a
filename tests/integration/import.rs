//! Importing a beta.gouv.fr content tree (`tests/fixtures/content/`), on both backends: what is
//! loaded, what is reported, and how a second import syncs, prunes and rolls back.

use crate::common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use actix_web::http::Method;
use actix_web::test;
use betadata::api::app;
use betadata::db::DbConnection;
use betadata::db::changes::{Change, ChangeFilter};
use betadata::db::page::PageRequest;
use betadata::db::startups::Startup;
use betadata::seed::content::sync::{self, Options, Outcome, SyncError, Tally};
use betadata::seed::content::{ContentFile, ContentKind, read_tree};
use common::{both_backends, get};
use indicatif::ProgressBar;
use serde_json::{Value, json};

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
        chunk: false,
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
    fn a_mirror_built_from_the_feed_equals_the_api(db) {
        let db = db.fresh();
        let mut conn = db.pool.get().expect("connection");
        import(&mut conn, "v1", Options::default()).expect("import v1");
        drop(conn);
        let admin = common::issue_token(&db, "ops", "admin");
        let app = test::init_service(app(db.state())).await;
        // Writes whose effect shows in other resources than the one written.
        let writes: [(Method, &str, Value); 6] = [
            (Method::PATCH, "/api/v1/incubators/atelier", json!({"title": "L'Atelier renommé"})),
            (Method::PATCH, "/api/v1/organisations/min-sante", json!({"name": "Ministère renommé", "acronym": "MR"})),
            (Method::POST, "/api/v1/startups/bon-outil/metrics", json!({"id": "bon-outil-dossiers", "label": "Dossiers", "unit": "dossiers"})),
            (Method::POST, "/api/v1/metrics/bon-outil-dossiers/observations", json!([{"date": "2024-01-31", "value": 10}, {"date": "2024-02-29", "value": 12}])),
            (Method::POST, "/api/v1/metrics/bon-outil-dossiers/observations", json!({"date": "2024-02-29", "value": 15})),
            (Method::PATCH, "/api/v1/startups/bon-outil", json!({"pitch": "Instruire plus vite"})),
        ];
        for (method, uri, body) in writes {
            let reply = common::send(&app, method, uri, Some(&admin), Some(&body), &[]).await;
            assert!(reply.status.is_success(), "{uri}: {}", reply.body);
        }
        let mut conn = db.pool.get().expect("connection");
        import(&mut conn, "v2", prune()).expect("import v2");
        drop(conn);

        // The mirror: each change's state, in feed order; a deletion removes.
        let mut mirror: std::collections::BTreeMap<(String, String), Value> = Default::default();
        let mut next = Some("/api/v1/changes?page_size=1000".to_owned());
        while let Some(uri) = next.take() {
            let page = get(&app, &uri).await.body;
            for change in page["data"].as_array().expect("data") {
                let key = (change["resource"].as_str().expect("resource").to_owned(), change["id"].as_str().expect("id").to_owned());
                match change["action"].as_str() {
                    Some("delete") => mirror.remove(&key),
                    _ => mirror.insert(key, change["state"].clone()),
                };
            }
            next = page["links"]["next"].as_str().map(|u| u.trim_start_matches("http://localhost:8080").to_owned());
        }
        let mut compared = 0;
        for ((resource, id), state) in &mirror {
            let uri = match resource.as_str() {
                "startup" => format!("/api/v1/startups/{id}"),
                "incubator" => format!("/api/v1/incubators/{id}"),
                "organisation" => format!("/api/v1/organisations/{id}"),
                "metric" => format!("/api/v1/metrics/{id}"),
                _ => continue,
            };
            let reply = get(&app, &uri).await;
            assert_eq!(reply.status, 200, "{uri} is in the mirror: {}", reply.body);
            assert_eq!(&common::as_in_feed(resource, &reply.body), state, "{resource} {id}: the mirror is stale");
            compared += 1;
        }
        for (collection, resource) in [("startups", "startup"), ("incubators", "incubator"), ("organisations", "organisation")] {
            for id in common::collect_ids(&app, &format!("/api/v1/{collection}?page_size=100")).await {
                assert!(mirror.contains_key(&(resource.to_owned(), id.clone())), "{resource} {id} is missing from the mirror");
            }
        }
        let observations = get(&app, "/api/v1/metrics/bon-outil-dossiers/observations").await.body;
        for observation in observations["data"].as_array().expect("data") {
            let key = ("observation".to_owned(), format!("bon-outil-dossiers/{}", observation["date"].as_str().expect("date")));
            assert_eq!(mirror.get(&key), Some(observation), "{key:?}");
        }
        assert!(compared > 10, "{compared} items compared");
        let metric = &mirror[&("startup".to_owned(), "bon-outil".to_owned())]["metrics"][0];
        assert_eq!(metric["latest"]["value"], 15.0, "the startup's latest value follows its observations");
    }

    fn a_tree_loads_what_it_can_and_reports_the_rest(db) {
        let mut conn = db.pool.get().expect("connection");
        let outcome = import(&mut conn, "v1", Options::default()).expect("import");
        let files = outcome.set.files;
        assert_eq!((files.loaded, files.warned, files.rejected), (7, 7, 0), "{}", outcome.summary());
        assert_eq!(outcome.startups, tally(9, 0, 0, 0));
        assert_eq!(outcome.incubators, tally(2, 0, 0, 0));
        assert_eq!(outcome.organisations, tally(3, 0, 0, 0));
        assert_eq!(outcome.phases_added, 8, "the reference phases are written first");
        let report: Vec<String> = outcome.set.report.problems.iter().map(ToString::to_string).collect();
        let report = report.join("\n");
        for expected in [
            "incubateur-inconnu.md: incubator: `nulle-part` is not a known incubator; the startup is kept without it",
            "sans-titre.md: title: missing or empty; the record is named by its id, `sans-titre`",
            "sponsor-inconnu.md: sponsors[1]: `/organisations/fantome` is not a known organisation",
            "date-impossible.md: phases[1].start: `31-02-2020` is not a real calendar day",
            "desordre.md: phases[1].start: phase 1 starts on 2019-01-07, which is not after the previous phase's start on 2020-06-01; kept as the source has it",
            "vieux-service.md: phases[2].name: `success` is an older phase name; read as `transfere`",
            "mojibake.md: title: text was UTF-8 decoded twice",
        ] {
            assert!(report.contains(expected), "{expected}\nin\n{report}");
        }
        let untitled = Startup::find(&mut conn, "sans-titre").expect("query").expect("kept");
        assert_eq!(untitled.name, "sans-titre", "named by its id");
        let kept = Startup::find(&mut conn, "incubateur-inconnu").expect("query").expect("kept");
        assert_eq!(kept.incubator_id, None, "kept without the incubator it names");

        let feed = changes(&mut conn);
        assert_eq!(feed.len(), 14, "one change per record written");
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
        assert_eq!(common::as_in_feed("startup", body), state, "the change holds the item as GET shows it");
        // Every startup written in the batch is recorded as its own GET shows it.
        for change in feed.iter().filter(|c| c.resource == "startup") {
            let reply = get(&app, &format!("/api/v1/startups/{}", change.resource_id)).await;
            let state: serde_json::Value =
                serde_json::from_str(change.state.as_deref().expect("state")).expect("json");
            assert_eq!(common::as_in_feed("startup", &reply.body), state, "{}", change.resource_id);
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
        assert_eq!(outcome.startups, tally(0, 0, 0, 9));
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
        assert_eq!(outcome.startups, tally(1, 1, 0, 7), "{}", outcome.summary());
        assert!(Startup::exists(&mut conn, "a-supprimer").expect("query"), "kept without --prune");
        let updated = Startup::find(&mut conn, "bon-outil").expect("query").expect("stored");
        assert_eq!(updated.pitch.as_deref(), Some("Instruire les dossiers en un jour"));
        assert_eq!(updated.latest_phase_id.as_deref(), Some("acceleration"));

        let outcome = import(&mut conn, "v2", prune()).expect("v2 with prune");
        assert_eq!(outcome.startups, tally(0, 0, 1, 9), "{}", outcome.summary());
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
        match import(&mut conn, "anomalies", strict) {
            Err(SyncError::Rejected(outcome)) => {
                assert_eq!(outcome.set.files.rejected, 1, "illisible.md");
                assert_eq!(outcome.startups.created, 2, "the writes happened, then rolled back");
            }
            other => panic!("expected a rejection, got {other:?}"),
        }
        assert_eq!(Startup::count(&mut conn).expect("count"), 0);
        assert!(changes(&mut conn).is_empty());
        assert!(betadata::db::stored_ids(&mut conn).expect("ids").phases.is_empty());
    }
}

/// `tests/fixtures/content/anomalies`, with one more file whose name differs from another's
/// by case only (made here: such a pair cannot be checked out on a case-insensitive disk).
fn anomalies() -> Vec<ContentFile> {
    let mut files = tree("anomalies");
    files.push(ContentFile {
        path: "tests/fixtures/content/anomalies/_startups/auxaj.md".into(),
        kind: ContentKind::Startup,
        id: "auxaj".into(),
        unsuffixed: false,
        bytes: b"---\ntitle: Doublon\n---\n".to_vec(),
    });
    files
}

/// The `data` member of a JSON:API document with this id.
fn resource<'a>(document: &'a Value, id: &str) -> &'a Value {
    document["data"]
        .as_array()
        .expect("data")
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("{id} in {document}"))
}

both_backends! {
    fn a_real_tree_is_kept_as_its_files_have_it(db) {
        let mut conn = db.pool.get().expect("connection");
        let outcome = sync::import(&mut conn, &anomalies(), Options::default(), &ProgressBar::hidden(), today())
            .expect("import");
        drop(conn);
        let summary = outcome.summary();
        assert_eq!(outcome.set.files.rejected, 2, "{summary}");
        assert_eq!(outcome.startups, tally(2, 0, 0, 0), "{summary}");
        assert_eq!(outcome.incubators, tally(2, 0, 0, 0), "{summary}");
        assert_eq!(outcome.organisations, tally(3, 0, 0, 0), "{summary}");
        let report: Vec<String> = outcome.set.report.problems.iter().map(ToString::to_string).collect();
        let report = report.join("\n");
        for expected in [
            "_startups/auxaj.md: id: `auxaj` names the same startup as ",
            "_startups/auxAJ.md: ids equal but for case or Unicode form; the file is left out",
            "_startups/illisible.md: the front matter is not valid YAML",
            "_organisations/Préfecture: the file name has no `.md` suffix; read all the same, as `Préfecture`",
            "auxAJ.md: link: `https://auxaj.example.gouv.fr/?a=1&amp;b=2 ` has spaces around it or HTML entities; stored as `https://auxaj.example.gouv.fr/?a=1&b=2`",
            "auxAJ.md: phases[1].start: phase 1 starts on 2021-01-04, which is not after the previous phase's start on 2021-01-04; kept as the source has it",
            "auxAJ.md: phases[2].name: `alumni` is an older phase name; read as `transfere`",
            "e-inspé.md: phases[1].start: phase 1 starts on 2020-09-01, before the previous phase ends on 2020-12-31; kept as the source has it",
            "e-inspé.md: phases[2].start: phase 2 starts on 2019-10-01, which is not after the previous phase's start on 2020-09-01; kept as the source has it",
        ] {
            assert!(report.contains(expected), "{expected}\nin\n{report}");
        }

        let app = test::init_service(app(db.state())).await;
        // Ids as the files name them, percent-encoded in URLs.
        let aux = get(&app, "/api/v1/startups/auxAJ").await;
        assert_eq!(aux.status, 200, "{}", aux.body);
        let phases: Vec<(&str, &str)> = aux.body["phases"].as_array().expect("phases").iter()
            .map(|p| (p["phase"].as_str().unwrap_or("?"), p["start"].as_str().unwrap_or("?")))
            .collect();
        assert_eq!(phases, vec![("investigation", "2021-01-04"), ("construction", "2021-01-04"), ("transfere", "2022-06-01")], "in the file's order");
        assert_eq!(aux.body["current_phase"], "transfere");
        // On a tie, the first phase listed with the latest start is current (beta.gouv.fr's rule).
        let then = get(&app, "/api/v1/startups/auxAJ?as_of=2021-06-01").await;
        assert_eq!(then.body["current_phase"], "investigation", "{}", then.body);
        let listed = get(&app, "/api/v1/startups?phase=investigation&as_of=2021-06-01").await;
        assert_eq!(listed.body["meta"]["total"], 1, "{}", listed.body);
        let inspe = get(&app, "/api/v1/startups/e-insp%C3%A9").await;
        assert_eq!(inspe.status, 200, "{}", inspe.body);
        assert_eq!(inspe.body["current_phase"], "acceleration", "the latest start, whatever the order");
        assert_eq!(inspe.body["created"], "2019-10-01");
        // Co-incubation: a startup is found under each of its incubators.
        let listed: Vec<&str> = inspe.body["incubators"].as_array().expect("incubators").iter().map(|i| i["id"].as_str().unwrap_or("?")).collect();
        assert_eq!(listed, vec!["FabNum-MI", "cache"]);
        assert_eq!(common::collect_ids(&app, "/api/v1/startups?incubator=cache").await, vec!["e-inspé"]);
        assert_eq!(common::collect_ids(&app, "/api/v1/incubators/cache/startups").await, vec!["e-inspé"]);
        let stats = get(&app, "/api/v1/stats").await.body;
        assert_eq!(stats["startups_total"], 2, "{stats}");
        assert_eq!(stats["startups_by_incubator"], json!({"FabNum-MI": 2, "cache": 1}), "{stats}");
        let outcomes = get(&app, "/api/v1/stats/outcomes?by=incubator").await.body;
        let cache: Vec<&Value> = outcomes["data"].as_array().expect("data").iter().filter(|r| r["group"] == "cache").collect();
        assert_eq!(cache.len(), 1, "{outcomes}");
        let incubators = common::collect_ids(&app, "/api/v1/incubators").await;
        assert_eq!(incubators, vec!["FabNum-MI"], "the hidden incubator stays out of the list");
        assert_eq!(get(&app, "/api/v1/incubators/cache").await.status, 200, "and answers by its id");
        let prefecture = get(&app, "/api/v1/organisations/Pr%C3%A9fecture").await;
        assert_eq!(prefecture.body["kind"], "service-deconcentre", "{}", prefecture.body);
        let long = "sous-direction-de-l-organisation-judiciaire-et-de-l-innovation-oji-4-direction-des-services-judiciaires";
        assert_eq!(get(&app, &format!("/api/v1/organisations/{long}")).await.body["kind"], "securite-sociale");

        // beta.gouv.fr's own files print what the source wrote.
        let v27 = get(&app, "/compat/v2.7/startups.json").await.body;
        let attributes = &resource(&v27, "auxAJ")["attributes"];
        assert_eq!(attributes["link"], "https://auxaj.example.gouv.fr/?a=1&amp;b=2 ");
        assert_eq!(attributes["stats_url"], "https://auxaj.example.gouv.fr/?a=1&amp;b=2/stats");
        assert_eq!(attributes["budget_url"], "https://auxaj.example.gouv.fr/budget");
        assert_eq!(attributes["thematiques"], json!(["Justice", "Justice"]));
        assert_eq!(attributes["sponsors"], json!(["Préfecture"]));
        assert_eq!(attributes["phases"][2], json!({"name": "alumni", "start": "2022-06-01", "end": ""}));
        let inspe = resource(&v27, "e-inspé");
        assert_eq!(inspe["attributes"]["link"], "");
        assert_eq!(inspe["attributes"]["impact_url"], "");
        assert_eq!(
            inspe["relationships"]["incubators"]["data"],
            json!([{"type": "incubator", "id": "FabNum-MI"}, {"type": "incubator", "id": "cache"}])
        );
        let included: Vec<&str> = v27["included"].as_array().expect("included").iter().map(|i| i["id"].as_str().unwrap_or("?")).collect();
        assert_eq!(included, vec!["FabNum-MI"], "hidden incubators are not included");
        let by_incubator = get(&app, "/compat/v2.7/incubators.json").await.body;
        assert_eq!(by_incubator["FabNum-MI"]["github"], "https://github.com/example-fabnum");
        let cache = &by_incubator["cache"];
        assert_eq!(cache["startups"][0]["id"], "e-inspé", "a hidden incubator keeps its startups");
        assert!(cache.get("title").is_none(), "and loses its details: {cache}");
        let organisations = get(&app, "/compat/v2.7/organisations.json").await.body;
        let ain = organisations.as_array().expect("array").iter().find(|o| o["id"] == "Préfecture").expect("Préfecture");
        assert_eq!(ain["name"], "Préfecture de l&#39;Ain", "HTML-escaped as the template does");
        assert_eq!(get(&app, "/compat/v2.7/sponsors.json").await.body["Préfecture"]["domaine_ministeriel"], "interieur");

        // A write of one field succeeds on a history the write rules would refuse, and the
        // files then show the rows for that field only.
        let admin = common::issue_token(&db, "anomalies", "admin");
        let patch = common::send(&app, Method::PATCH, "/api/v1/startups/auxAJ", Some(&admin), Some(&json!({"pitch": "Nouveau"})), &[]).await;
        assert_eq!(patch.status, 200, "{}", patch.body);
        let v27 = get(&app, "/compat/v2.7/startups.json").await.body;
        let attributes = &resource(&v27, "auxAJ")["attributes"];
        assert_eq!(attributes["pitch"], "Nouveau");
        assert_eq!(attributes["link"], "https://auxaj.example.gouv.fr/?a=1&amp;b=2 ", "untouched fields keep the source's text");
        assert_eq!(attributes["phases"][2]["name"], "alumni");
        let patch = common::send(&app, Method::PATCH, "/api/v1/startups/auxAJ", Some(&admin), Some(&json!({"link": "https://aux-aj.example.gouv.fr"})), &[]).await;
        assert_eq!(patch.status, 200, "{}", patch.body);
        let v27 = get(&app, "/compat/v2.7/startups.json").await.body;
        let attributes = &resource(&v27, "auxAJ")["attributes"];
        assert_eq!(attributes["link"], "https://aux-aj.example.gouv.fr");
        assert_eq!(attributes["budget_url"], "https://auxaj.example.gouv.fr/budget", "fields the model lacks stay");
        let patch = common::send(&app, Method::PATCH, "/api/v1/startups/auxAJ", Some(&admin), Some(&json!({"co_incubators": ["cache"]})), &[]).await;
        assert_eq!(patch.status, 200, "{}", patch.body);
        assert_eq!(patch.body["incubators"][1]["id"], "cache");
        assert_eq!(common::collect_ids(&app, "/api/v1/incubators/cache/startups").await, vec!["auxAJ", "e-inspé"]);
        let patch = common::send(&app, Method::PATCH, "/api/v1/startups/auxAJ", Some(&admin), Some(&json!({"co_incubators": ["FabNum-MI", "ghost"]})), &[]).await;
        assert_eq!(patch.pointers(), ["/co_incubators/0", "/co_incubators/1"], "{}", patch.body);
        // New phases still follow the method.
        let same_day = common::send(&app, Method::POST, "/api/v1/startups/auxAJ/phases", Some(&admin), Some(&json!({"phase": "abandon", "start": "2022-06-01"})), &[]).await;
        assert_eq!(same_day.status, 422, "{}", same_day.body);

        // Ids equal but for case or Unicode form cannot both exist.
        let lookalike = common::send(&app, Method::POST, "/api/v1/organisations", Some(&admin), Some(&json!({"id": "PRÉFECTURE", "name": "Autre", "kind": "autre"})), &[]).await;
        assert_eq!(lookalike.status, 409, "{}", lookalike.body);
        assert!(lookalike.body["detail"].as_str().unwrap_or_default().contains("`Préfecture`"), "{}", lookalike.body);
        let dot = common::send(&app, Method::POST, "/api/v1/organisations", Some(&admin), Some(&json!({"id": "..", "name": "Point", "kind": "autre"})), &[]).await;
        assert_eq!(dot.status, 422, "{}", dot.body);
    }
}

/// beta.gouv.fr's real content tree beside the project, when it is there.
fn shared_tree() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/betagouv-2025-06/content");
    root.is_dir().then_some(root)
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("folder");
    for entry in std::fs::read_dir(from).expect("read folder") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

/// What [`older_snapshot`] changed: the (resource, id, action) an import of the newer tree over
/// the older one must record, and nothing else.
type Expected = BTreeSet<(String, String, String)>;

/// Makes, in `older`, the tree as it stood before `newer`, the way upstream's history goes: an
/// incubator's id in other capitals (`fabnum-mi`, which the newer tree writes `FabNum-MI`), 15
/// startups one phase behind, one startup not there yet, one since removed.
fn older_snapshot(newer: &Path, older: &Path) -> Expected {
    copy_tree(newer, older);
    let change = |resource: &str, id: &str, action: &str| {
        (resource.to_owned(), id.to_owned(), action.to_owned())
    };
    let mut expected = Expected::new();
    let startups = older.join("_startups");
    std::fs::rename(
        older.join("_incubators/FabNum-MI.md"),
        older.join("_incubators/fabnum-mi.md"),
    )
    .expect("rename the incubator");
    expected.insert(change("incubator", "FabNum-MI", "create"));
    expected.insert(change("incubator", "fabnum-mi", "delete"));
    let mut names: Vec<String> = std::fs::read_dir(&startups)
        .expect("startups")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut behind = 0;
    for name in &names {
        let path = startups.join(name);
        let id = name.trim_end_matches(".md");
        let text = std::fs::read_to_string(&path).expect("startup file");
        if text.contains("\nincubator: FabNum-MI\n") {
            let text = text.replace("\nincubator: FabNum-MI\n", "\nincubator: fabnum-mi\n");
            std::fs::write(&path, text).expect("write");
            expected.insert(change("startup", id, "update"));
            continue;
        }
        if behind == 15 {
            continue;
        }
        let (yaml, body) =
            betadata::seed::content::front_matter::split(&text).expect("front matter");
        let mut fields: serde_norway::Mapping = serde_norway::from_str(yaml).expect("YAML");
        let Some(serde_norway::Value::Sequence(phases)) = fields.get_mut("phases") else {
            continue;
        };
        if phases.len() < 2 {
            continue;
        }
        phases.pop();
        let yaml = serde_norway::to_string(&fields).expect("YAML");
        std::fs::write(&path, format!("---\n{yaml}---\n{body}")).expect("write");
        expected.insert(change("startup", id, "update"));
        behind += 1;
    }
    let newest = names.last().expect("a startup");
    std::fs::remove_file(startups.join(newest)).expect("remove");
    expected.insert(change("startup", newest.trim_end_matches(".md"), "create"));
    std::fs::write(
        startups.join("ancien-service.md"),
        "---\ntitle: Ancien service\nmission: Un service arrêté depuis\nincubator: dinum\n\
         contact: equipe@example.gouv.fr\nphases:\n  - name: investigation\n    start: 2017-01-02\n---\n",
    )
    .expect("write");
    expected.insert(change("startup", "ancien-service", "delete"));
    expected
}

/// What the API and the v2.7 files answer, less the write times that differ between two
/// imports of the same data.
async fn everything<S, B>(app: &S) -> Vec<(String, String)>
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    let mut answers = Vec::new();
    for collection in [
        "startups",
        "incubators",
        "organisations",
        "phase-history",
        "phases",
    ] {
        let uri = format!("/api/v1/{collection}?format=ndjson");
        let (status, _, text) = common::get_text(app, &uri).await;
        assert_eq!(status, 200, "{uri}");
        let lines: Vec<String> = text
            .lines()
            .map(|line| {
                let mut item: Value = serde_json::from_str(line).expect("NDJSON");
                if let Some(item) = item.as_object_mut() {
                    item.remove("updated");
                }
                item.to_string()
            })
            .collect();
        answers.push((uri, lines.join("\n")));
    }
    for file in [
        "startups.json",
        "startups.csv",
        "startups_details.json",
        "incubators.json",
        "organisations.json",
        "sponsors.json",
        "authors.json",
    ] {
        let uri = format!("/compat/v2.7/{file}");
        let (status, _, text) = common::get_text(app, &uri).await;
        assert_eq!(status, 200, "{uri}");
        answers.push((uri, text));
    }
    answers
}

both_backends! {
    fn a_newer_real_tree_over_an_older_one_is_a_fresh_import_of_it(db) {
        let Some(newer) = shared_tree() else {
            eprintln!("skipped: no real tree at ../shared/betagouv-2025-06/content");
            return;
        };
        let dir = tempfile::tempdir().expect("temporary folder");
        let older = dir.path().join("content");
        let expected = older_snapshot(&newer, &older);
        let hidden = ProgressBar::hidden();
        let mut conn = db.pool.get().expect("connection");
        let first = sync::import(&mut conn, &read_tree(&older).expect("older"), Options::default(), &hidden, today())
            .expect("older import");
        assert_eq!(first.set.files.rejected, 0, "{}", first.summary());
        let before = changes(&mut conn).len();
        // Without --prune, `FabNum-MI` would be a second record of the stored `fabnum-mi`.
        let kept = sync::import(&mut conn, &read_tree(&newer).expect("newer"), Options::default(), &hidden, today())
            .expect("newer import, without prune");
        let report: Vec<String> = kept.set.report.problems.iter().map(ToString::to_string).collect();
        assert!(
            report.iter().any(|p| p.contains("_incubators/FabNum-MI.md: id: `FabNum-MI` names the same incubator as the stored `fabnum-mi`")),
            "{report:?}"
        );
        drop(conn);
        let db_again = db.fresh();
        let mut conn = db_again.pool.get().expect("connection");
        sync::import(&mut conn, &read_tree(&older).expect("older"), Options::default(), &hidden, today()).expect("older import");
        let before_again = changes(&mut conn).len();
        let synced = sync::import(&mut conn, &read_tree(&newer).expect("newer"), prune(), &hidden, today())
            .expect("newer import, pruned");
        assert_eq!(synced.set.files.rejected, 0, "{}", synced.summary());
        let recorded: Expected = changes(&mut conn)[before_again..]
            .iter()
            .map(|c| (c.resource.clone(), c.resource_id.clone(), c.action.clone()))
            .collect();
        assert_eq!(recorded.len(), changes(&mut conn).len() - before_again, "each change once");
        assert_eq!(recorded, expected, "the feed records exactly the differences");
        drop(conn);
        assert!(before > 0);

        let fresh = db.fresh();
        let mut conn = fresh.pool.get().expect("connection");
        sync::import(&mut conn, &read_tree(&newer).expect("newer"), Options::default(), &hidden, today()).expect("fresh import");
        drop(conn);
        let synced_app = test::init_service(app(db_again.state())).await;
        let fresh_app = test::init_service(app(fresh.state())).await;
        let (synced, fresh) = (everything(&synced_app).await, everything(&fresh_app).await);
        for ((uri, ours), (_, theirs)) in synced.iter().zip(&fresh) {
            assert!(ours == theirs, "{uri} differs between the synced and the fresh import");
        }
        eprintln!("{} changes recorded; {} answers identical", expected.len(), synced.len());
    }
}

both_backends! {
    fn every_real_startup_takes_a_patch_of_one_field(db) {
        let Some(tree) = shared_tree() else {
            eprintln!("skipped: no real tree at ../shared/betagouv-2025-06/content");
            return;
        };
        let mut conn = db.pool.get().expect("connection");
        sync::import(&mut conn, &read_tree(&tree).expect("tree"), Options::default(), &ProgressBar::hidden(), today())
            .expect("import");
        drop(conn);
        let admin = common::issue_token(&db, "every-startup", "admin");
        let state = db.state().with_write_rate(std::num::NonZeroU32::MAX);
        let app = test::init_service(app(state)).await;
        let ids = common::collect_ids(&app, "/api/v1/startups?fields=name").await;
        assert_eq!(ids.len(), 587);
        let mut refused = Vec::new();
        for id in &ids {
            let uri = format!("/api/v1/startups/{}", betadata::api::shape::write::path_segment(id));
            let reply = common::send(&app, Method::PATCH, &uri, Some(&admin), Some(&json!({"pitch": format!("Revu: {id}")})), &[]).await;
            if reply.status != 200 {
                refused.push(format!("{id}: {} {}", reply.status, reply.body));
            }
        }
        assert!(refused.is_empty(), "{} of {} refused:\n{}", refused.len(), ids.len(), refused.join("\n"));
    }
}
