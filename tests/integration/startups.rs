//! `/api/v1/startups` and its sub-resources, on both backends.

use crate::common;

use actix_web::test;
use betadata::api::app;
use common::{assert_bad_parameter, assert_problem, both_backends, collect_ids, get, page_through};
use serde_json::{Value, json};

both_backends! {
    fn list_is_an_envelope_with_links_and_meta(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        let reply = get(&app, "/api/v1/startups").await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.content_type(), "application/json");
        let body = &reply.body;
        assert_eq!(body["data"].as_array().map(Vec::len), Some(20));
        assert_eq!(body["meta"]["page_size"], 20);
        assert!(body["meta"]["total"].as_i64().unwrap() >= 22, "{}", body["meta"]);
        assert_eq!(body["links"]["self"], "http://localhost:8080/api/v1/startups");
        assert!(body["links"]["next"].is_string());
        assert!(body["links"]["prev"].is_null());
        let link = reply.headers.get("link").and_then(|l| l.to_str().ok()).unwrap_or_default();
        assert!(link.contains("rel=\"next\""), "{link}");
    }

    fn following_next_visits_every_startup_once_in_order(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        let ids = page_through(&app, "/api/v1/startups", 7).await;
        assert_eq!(ids, page_through(&app, "/api/v1/startups", 1000).await, "one page holds the same");
    }

    fn prev_link_leads_back_to_the_previous_page(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        let first = get(&app, "/api/v1/startups?page_size=5").await.body;
        let next = first["links"]["next"].as_str().unwrap().replace("http://localhost:8080", "");
        let second = get(&app, &next).await.body;
        let prev = second["links"]["prev"].as_str().unwrap().replace("http://localhost:8080", "");
        let back = get(&app, &prev).await.body;
        assert_eq!(back["data"], first["data"]);
    }

    fn phase_filter_matches_the_current_phase_shown(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        let all = get(&app, "/api/v1/startups?page_size=1000").await.body;
        let phases = get(&app, "/api/v1/phases").await.body;
        let mut seen = 0;
        for phase in phases["data"].as_array().unwrap() {
            let id = phase["id"].as_str().unwrap();
            let filtered = get(&app, &format!("/api/v1/startups?phase={id}&page_size=1000")).await.body;
            let expected: Vec<&str> = all["data"].as_array().unwrap().iter()
                .filter(|s| s["current_phase"] == id)
                .map(|s| s["id"].as_str().unwrap())
                .collect();
            let got: Vec<&str> = filtered["data"].as_array().unwrap().iter()
                .map(|s| s["id"].as_str().unwrap())
                .collect();
            assert_eq!(got, expected, "phase {id}");
            assert_eq!(phase["startups"].as_u64().unwrap() as usize, expected.len(), "count of {id}");
            seen += got.len();
        }
        assert!(seen >= 9, "the ten startups of the Fabrique have dated phases");
    }

    fn filters_combine(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        let transferred = collect_ids(&app, "/api/v1/startups?phase=transfere&incubator=sgmas").await;
        assert!(transferred.contains(&"fiche.commune.entreprise.fce".to_owned()), "{transferred:?}");
        let several = collect_ids(&app, "/api/v1/startups?phase=transfere,abandon&incubator=sgmas").await;
        assert!(several.len() > transferred.len());
        assert!(several.contains(&"tumeplay".to_owned()));
        let sponsored = collect_ids(&app, "/api/v1/startups?sponsor=dgs").await;
        assert!(sponsored.contains(&"tumeplay".to_owned()), "{sponsored:?}");
        let none = get(&app, "/api/v1/startups?incubator=nowhere").await;
        assert_eq!(none.body["meta"]["total"], 0);
        assert_eq!(none.body["data"].as_array().map(Vec::len), Some(0));
    }

    fn bad_parameters_are_named_with_what_is_allowed(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        for (uri, parameter) in [
            ("/api/v1/startups?colour=blue", "colour"),
            ("/api/v1/startups?page_size=0", "page_size"),
            ("/api/v1/startups?page_size=100000", "page_size"),
            ("/api/v1/startups?page_size=ten", "page_size"),
            ("/api/v1/startups?phase=flying", "phase"),
            ("/api/v1/startups?phase=construction,", "phase"),
            ("/api/v1/startups?cursor=not-a-cursor", "cursor"),
            ("/api/v1/startups?sponsor=a&sponsor=b", "sponsor"),
        ] {
            let reply = get(&app, uri).await;
            assert_bad_parameter(&reply, parameter, uri);
        }
        let reply = get(&app, "/api/v1/startups?phase=flying").await;
        let detail = reply.body["errors"][0]["detail"].as_str().unwrap();
        assert!(detail.contains("investigation") && detail.contains("opere"), "{detail}");
    }

    fn a_new_phase_is_allowed_by_the_next_filter(db) {
        // The phase ids a filter is checked against are read once per data revision: a phase
        // stored with the revision bumped, as every write does, is known to the next request.
        use betadata::db::phases::Phase;
        use betadata::db::revision::Revision;
        let db = db.seeded();
        let app = test::init_service(app(db.state().with_cache_mib(0))).await;
        let uri = "/api/v1/startups?phase=flying";
        assert_bad_parameter(&get(&app, uri).await, "phase", uri);
        assert_bad_parameter(&get(&app, uri).await, "phase", "again, at the same revision");
        let mut conn = db.pool.get().expect("a connection");
        let flying = Phase {
            id: "flying".into(),
            label: "En vol".into(),
            position: 99,
            kind: "active".into(),
            description: "Une phase de test.".into(),
        };
        flying.insert(&mut conn).expect("a new phase");
        Revision::bump(&mut conn).expect("the revision bumped");
        drop(conn);
        let reply = get(&app, uri).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(reply.body["meta"]["total"], 0);
    }

    fn item_has_phases_sponsors_and_current_phase(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        let reply = get(&app, "/api/v1/startups/fiche.commune.entreprise.fce").await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        let fce = &reply.body;
        assert_eq!(fce["incubator"]["id"], "sgmas");
        assert_eq!(fce["current_phase"], "transfere");
        assert_eq!(fce["created"], "2018-10-01");
        let phases: Vec<(&str, &str)> = fce["phases"].as_array().unwrap().iter()
            .map(|p| (p["phase"].as_str().unwrap(), p["start"].as_str().unwrap()))
            .collect();
        assert_eq!(phases, vec![
            ("investigation", "2018-10-01"),
            ("construction", "2019-01-16"),
            ("acceleration", "2020-07-01"),
            ("transfere", "2022-11-30"),
        ]);
        assert_eq!(fce["phases"][0]["end"], "2019-01-15");
        assert!(fce["sponsors"].is_array() && fce["metrics"].is_array());
    }

    fn tumeplay_loads_without_its_impossible_date(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        let tumeplay = get(&app, "/api/v1/startups/tumeplay").await.body;
        let phases: Vec<&str> = tumeplay["phases"].as_array().unwrap().iter()
            .map(|p| p["phase"].as_str().unwrap())
            .collect();
        assert!(!phases.contains(&"investigation"), "the phase dated 01-07-20219 is left out");
        assert!(phases.contains(&"construction"));
        assert_eq!(tumeplay["current_phase"], "abandon");
    }

    fn sub_resources_answer_and_unknown_ids_are_404(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        let phases = get(&app, "/api/v1/startups/fiche.commune.entreprise.fce/phases").await;
        assert_eq!(phases.status, 200);
        assert_eq!(phases.body["data"].as_array().map(Vec::len), Some(4));
        assert_eq!(phases.body["meta"], json!({"total": 4, "page_size": 4}), "the list envelope");
        assert_eq!(phases.body["links"]["next"], Value::Null);
        assert_eq!(phases.body["data"][3]["phase"], "transfere");
        let metrics = get(&app, "/api/v1/startups/medle/metrics").await;
        assert_eq!(metrics.status, 200);
        let count = metrics.body["data"].as_array().map_or(0, Vec::len);
        assert!(count > 0, "Medlé publishes figures");
        assert_eq!(metrics.body["meta"]["total"], count, "the list envelope");
        for uri in [
            "/api/v1/startups/nope",
            "/api/v1/startups/nope/phases",
            "/api/v1/startups/nope/metrics",
        ] {
            let reply = get(&app, uri).await;
            assert_problem(&reply, 404);
            assert!(reply.body["detail"].as_str().unwrap().contains("nope"));
        }
    }
}

/// On SQLite, a page of one incubator's startups in some phases, in id order, whose items are
/// stored lines is read in one statement of fixed text (`startup_list::ranged_lines`): on every
/// page of such lists of a generated portfolio, forward then back, the same lines, total and
/// cursors as the general page, and no page where the general one has none or renders an item;
/// and no page once a write has changed the revision the facts were read at.
#[actix_rt::test]
async fn ranged_pages_in_one_statement_are_the_general_pages_on_sqlite() {
    use betadata::db::page::{Page, PageRequest};
    use betadata::db::startup_list::{self, ListFacts, Sort, SortKey, StartupFilter, StartupLine};
    use betadata::generate::{Options, generate};

    let db = common::TestDb::sqlite();
    let mut conn = db.pool.get().expect("connection");
    let options = Options {
        startups: 300,
        observations: 10,
        seed: 3,
        progress: false,
    };
    generate(&mut conn, &options).expect("generate");
    let facts = betadata::db::read(&mut conn, ListFacts::read).expect("facts");
    let by_id = Sort {
        key: SortKey::Id,
        descending: false,
    };
    let day = chrono::Utc::now().date_naive();
    let lists: Vec<(String, Vec<String>)> = {
        let phases = [
            "construction",
            "acceleration",
            "investigation",
            "consolidation",
            "transfere",
            "abandon",
        ];
        let incubators = ["dinum", "sgmas", "lab-gironde", "no-such-incubator"];
        let mut lists = Vec::new();
        for incubator in incubators {
            for phase in phases {
                lists.push((incubator.to_owned(), vec![phase.to_owned()]));
            }
            lists.push((incubator.to_owned(), phases.map(str::to_owned).to_vec()));
            lists.push((
                incubator.to_owned(),
                vec!["transfere".into(), "construction".into()],
            ));
        }
        lists
    };
    // The general page of `request`, and the page of one statement.
    let mut both = |filter: &StartupFilter, request: &PageRequest| {
        betadata::db::read(&mut conn, |conn| {
            let general = startup_list::page::<StartupLine>(
                conn,
                filter,
                by_id,
                request,
                None,
                Some(&facts),
            )?;
            let one = startup_list::ranged_lines(conn, filter, by_id, request, &facts)?;
            Ok::<_, diesel::result::Error>((general, one))
        })
        .expect("both pages")
    };
    let same = |general: &Page<StartupLine>, one: &Option<Page<String>>| {
        let lined = !general.rows.is_empty() && general.rows.iter().all(|row| row.line.is_some());
        match one {
            None => !lined,
            Some(one) => {
                let lines: Vec<&str> = general
                    .rows
                    .iter()
                    .filter_map(|row| row.line.as_deref())
                    .collect();
                lined
                    && one.rows.iter().map(String::as_str).eq(lines)
                    && (one.total, &one.next, &one.prev)
                        == (general.total, &general.next, &general.prev)
            }
        }
    };
    let mut pages = 0;
    for (incubator, phases) in &lists {
        let filter = StartupFilter {
            incubator: Some(incubator.clone()),
            phases: phases.clone(),
            day,
            ..StartupFilter::default()
        };
        assert!(startup_list::ranged(&filter, by_id, &facts), "{filter:?}");
        let mut request = PageRequest {
            size: 4,
            cursor: None,
            chunk: false,
        };
        let mut forward = true;
        loop {
            let (general, one) = both(&filter, &request);
            assert!(
                same(&general, &one),
                "{incubator} {phases:?} {request:?}: {general:?} against {one:?}"
            );
            pages += usize::from(one.is_some());
            let link = match forward {
                true => general.next.clone(),
                false => general.prev.clone(),
            };
            match (link, forward) {
                (Some(cursor), _) => request.cursor = Some(cursor),
                (None, true) if general.prev.is_some() => {
                    (forward, request.cursor) = (false, general.prev.clone());
                }
                (None, _) => break,
            }
        }
    }
    assert!(pages > 40, "{pages} pages read in one statement");

    let filter = StartupFilter {
        incubator: Some("dinum".into()),
        phases: vec!["construction".into()],
        day,
        ..StartupFilter::default()
    };
    let first = PageRequest {
        size: 4,
        cursor: None,
        chunk: false,
    };
    assert!(both(&filter, &first).1.is_some());
    assert_eq!(
        common::execute_around(
            &db,
            "UPDATE startups SET name = name || '.' WHERE id = (SELECT min(id) FROM startups)"
        ),
        1
    );
    let (general, one) = both(&filter, &first);
    assert!(
        one.is_none() && !general.rows.is_empty(),
        "facts of an earlier revision: {one:?}"
    );
}

/// On SQLite a page is read on one snapshot, and the facts that shape its statements, kept for
/// the data revision a request is answered at, stand for a statement only when they were read
/// at that snapshot's revision: a write between the two (here, two startups co-incubated by an
/// incubator that co-incubated none) is seen by the page.
#[actix_rt::test]
async fn list_facts_of_an_earlier_revision_do_not_shape_a_later_snapshot_on_sqlite() {
    use betadata::db::page::PageRequest;
    use betadata::db::startup_list::{self, ListFacts, Sort, SortKey, StartupFilter, StartupLine};

    let db = common::TestDb::sqlite().seeded();
    let mut conn = db.pool.get().expect("connection");
    let facts = betadata::db::read(&mut conn, ListFacts::read).expect("facts");
    let filter = StartupFilter {
        incubator: Some("pole-emploi".into()),
        phases: vec!["transfere".into()],
        day: chrono::Utc::now().date_naive(),
        ..StartupFilter::default()
    };
    let by_id = Sort {
        key: SortKey::Id,
        descending: false,
    };
    let request = PageRequest {
        size: 100,
        cursor: None,
        chunk: false,
    };
    let mut page = |facts: Option<&ListFacts>| {
        let page = betadata::db::read(&mut conn, |conn| {
            startup_list::page::<StartupLine>(conn, &filter, by_id, &request, None, facts)
        })
        .expect("a page");
        let ids: Vec<String> = page.rows.iter().map(|row| row.keys.id.clone()).collect();
        (ids, page.total)
    };
    let before = page(Some(&facts));
    assert_eq!(before, page(None), "the facts hold at their own revision");
    assert!(!before.0.contains(&"dora".to_owned()), "{before:?}");

    let co_incubated = "INSERT INTO startup_incubators (startup_id, position, incubator_id) \
                        VALUES ('medle', 0, 'pole-emploi'), ('dora', 0, 'pole-emploi')";
    assert_eq!(common::execute_around(&db, co_incubated), 2);
    let after = page(None);
    assert_eq!(after.1, before.1 + 2, "{after:?}");
    assert!(after.0.contains(&"dora".to_owned()) && after.0.contains(&"medle".to_owned()));
    assert_eq!(page(Some(&facts)), after);
}
