//! What analysts ask of `/api/v1/startups`: search, sorts with exact paging, time travel,
//! sparse fields and the finer filters, on both backends.

use crate::common;

use actix_web::test;
use betadata::api::app;
use common::{assert_bad_parameter, assert_problem, both_backends, collect_ids, get};
use serde_json::Value;

const ORIGIN: &str = "http://localhost:8080";

/// Follows `links.next` from `uri`, returning every item met.
async fn collect_items<S, B>(app: &S, uri: &str) -> Vec<Value>
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    let mut items = Vec::new();
    let mut next = Some(uri.to_owned());
    while let Some(uri) = next.take() {
        let reply = get(app, &uri).await;
        assert_eq!(reply.status, 200, "{uri}: {}", reply.body);
        items.extend(reply.body["data"].as_array().expect("data").iter().cloned());
        next = reply.body["links"]["next"]
            .as_str()
            .map(|u| u.replace(ORIGIN, ""));
    }
    items
}

fn ids(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

both_backends! {
    fn search_ignores_case_and_accents(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        for q in ["medle", "MEDLÉ", "Medlé", "medl"] {
            let found = collect_ids(&app, &format!("/api/v1/startups?q={}", urlencode(q))).await;
            assert_eq!(found.first().map(String::as_str), Some("medle"), "q={q}: {found:?}");
        }
        let both = collect_ids(&app, "/api/v1/startups?q=jeunes%20sant%C3%A9").await;
        assert!(both.contains(&"tumeplay".to_owned()), "every word matches: {both:?}");
        let none = get(&app, "/api/v1/startups?q=zzzzzz").await;
        assert_eq!(none.body["meta"]["total"], 0);
        let reply = get(&app, "/api/v1/startups?q=%20-%20").await;
        assert_bad_parameter(&reply, "q", "");
    }

    fn search_work_is_bounded_by_its_limits(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        let medle = collect_ids(&app, "/api/v1/startups?q=medle").await;
        // Stop words and repeats cost nothing: the same search as the one word.
        let padded = format!("/api/v1/startups?q={}", urlencode(&format!("{}medle {}", "la de ".repeat(50), "medle ".repeat(50))));
        assert_eq!(collect_ids(&app, &padded).await, medle);
        let stop_words_only = get(&app, &format!("/api/v1/startups?q={}", urlencode(&"a ".repeat(399)))).await;
        assert_bad_parameter(&stop_words_only, "q", "stop words");
        let nine: Vec<String> = (1..=9).map(|i| format!("mot{i}")).collect();
        let too_many = get(&app, &format!("/api/v1/startups?q={}", urlencode(&nine.join(" ")))).await;
        assert_bad_parameter(&too_many, "q", "too many words");
        assert!(too_many.body.to_string().contains("at most 8"), "the limit is named: {}", too_many.body);
        let eight = get(&app, &format!("/api/v1/startups?q={}", urlencode(&nine[..8].join(" ")))).await;
        assert_eq!(eight.status, 200);
        // Fewer than 3 letters match a whole word, not every word they begin.
        assert_eq!(get(&app, "/api/v1/startups?q=me").await.body["meta"]["total"], 0);
        assert!(!collect_ids(&app, "/api/v1/startups?q=med").await.is_empty());
    }

    fn search_ranks_names_before_mentions(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        // "Dora" names one startup; other descriptions may mention it in passing.
        let found = collect_ids(&app, "/api/v1/startups?q=dora&page_size=1").await;
        assert_eq!(found.first().map(String::as_str), Some("dora"), "{found:?}");
        let mut unique = found.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), found.len(), "paging by relevance visits each once");
    }

    fn search_pages_join_into_the_ranked_list_either_way(db) {
        // Generated startups share words and lengths, so many hits tie on their rank: a page
        // breaks ties by id, whichever hits it had to read the ids of.
        use betadata::generate::{Options, generate};
        let mut conn = db.pool.get().unwrap();
        generate(&mut conn, &Options { startups: 400, observations: 0, seed: 3, progress: false }).expect("generate");
        drop(conn);
        let app = test::init_service(app(db.state())).await;
        for query in ["q=emploi", "q=ser", "q=des%20dem", "q=ser&incubator=dinum", "q=emploi&phase=construction,acceleration"] {
            let whole = get(&app, &format!("/api/v1/startups?{query}&page_size=1000")).await;
            let ranked = ids(whole.body["data"].as_array().expect("data"));
            let total = whole.body["meta"]["total"].as_u64().expect("total") as usize;
            assert_eq!(ranked.len(), total, "{query}");
            assert!(total > 10, "{query}: hits to page through ({total})");
            for size in [1, 3, 7] {
                // Forward by the `next` links, then back from the last page by the `prev` ones.
                // A page that came again would loop: at most one page per hit each way.
                let mut forward: Vec<String> = Vec::new();
                let mut last = format!("/api/v1/startups?{query}&page_size={size}");
                for _ in 0..=total {
                    let reply = get(&app, &last).await;
                    assert_eq!(reply.status, 200, "{last}: {}", reply.body);
                    forward.extend(ids(reply.body["data"].as_array().expect("data")));
                    match reply.body["links"]["next"].as_str() {
                        Some(next) => last = next.replace(ORIGIN, ""),
                        None => break,
                    }
                    assert!(forward.len() <= total, "{query}, pages of {size}: more hits than {total}");
                }
                assert_eq!(forward, ranked, "{query}, pages of {size}");
                let mut backward: Vec<String> = Vec::new();
                let mut at = Some(last);
                while let Some(uri) = at.take() {
                    assert!(backward.len() <= total, "{query}, pages of {size} backwards: more hits than {total}");
                    let reply = get(&app, &uri).await;
                    assert_eq!(reply.status, 200, "{uri}: {}", reply.body);
                    let mut page = ids(reply.body["data"].as_array().expect("data"));
                    page.extend(backward);
                    backward = page;
                    at = reply.body["links"]["prev"].as_str().map(|u| u.replace(ORIGIN, ""));
                }
                assert_eq!(backward, forward, "{query}, pages of {size} read backwards");
            }
        }
    }

    fn every_sort_pages_exactly_and_in_order(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        let everything = ids(&collect_items(&app, "/api/v1/startups?page_size=1000").await);
        for sort in ["name", "-name", "created", "-created", "updated", "-updated"] {
            for filter in ["", "&incubator=sgmas", "&phase=transfere,abandon"] {
                let items = collect_items(&app, &format!("/api/v1/startups?sort={sort}&page_size=3{filter}")).await;
                let whole = collect_items(&app, &format!("/api/v1/startups?sort={sort}&page_size=1000{filter}")).await;
                assert_eq!(ids(&items), ids(&whole), "sort={sort}{filter}: pages join into the whole");
                let mut seen = ids(&items);
                seen.sort();
                seen.dedup();
                assert_eq!(seen.len(), items.len(), "sort={sort}{filter}: each once");
                if filter.is_empty() {
                    assert_eq!(seen.len(), everything.len(), "sort={sort}: all of them");
                }
                let key = |item: &Value| -> (bool, String) {
                    match sort.trim_start_matches('-') {
                        "name" => (false, item["name"].as_str().unwrap().to_owned()),
                        "created" => (item["created"].is_null(), item["created"].as_str().unwrap_or_default().to_owned()),
                        // Fixed width: "…18.213Z" is later than "…18.213031Z" as text.
                        _ => (false, chrono::DateTime::parse_from_rfc3339(item["updated"].as_str().unwrap())
                            .unwrap().format("%Y-%m-%dT%H:%M:%S%.9f").to_string()),
                    }
                };
                for pair in items.windows(2) {
                    let (a, b) = (key(&pair[0]), key(&pair[1]));
                    let descending = sort.starts_with('-');
                    let in_order = if a.0 != b.0 {
                        !a.0 // startups without a date come last, both ways
                    } else if a.1 != b.1 {
                        (a.1 < b.1) != descending
                    } else {
                        pair[0]["id"].as_str() < pair[1]["id"].as_str()
                    };
                    assert!(in_order, "sort={sort}{filter}: {} before {}", pair[0], pair[1]);
                }
            }
        }
    }

    fn prev_links_walk_back_under_a_sort(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        let first = get(&app, "/api/v1/startups?sort=-created&page_size=4").await.body;
        let next = first["links"]["next"].as_str().unwrap().replace(ORIGIN, "");
        let second = get(&app, &next).await.body;
        let next = second["links"]["next"].as_str().unwrap().replace(ORIGIN, "");
        let third = get(&app, &next).await.body;
        let prev = third["links"]["prev"].as_str().unwrap().replace(ORIGIN, "");
        assert_eq!(get(&app, &prev).await.body["data"], second["data"]);
        let prev = second["links"]["prev"].as_str().unwrap().replace(ORIGIN, "");
        assert_eq!(get(&app, &prev).await.body["data"], first["data"]);
    }

    fn a_cursor_only_fits_its_own_sort(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        let first = get(&app, "/api/v1/startups?sort=name&page_size=2").await.body;
        let next = first["links"]["next"].as_str().unwrap().replace(ORIGIN, "");
        let moved = next.replace("sort=name", "sort=-created");
        let reply = get(&app, &moved).await;
        assert_bad_parameter(&reply, "cursor", "");
    }

    fn as_of_shows_the_portfolio_on_that_day(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        let day = "2019-06-01";
        let then = collect_items(&app, &format!("/api/v1/startups?as_of={day}&page_size=1000")).await;
        assert!(!then.is_empty());
        for item in &then {
            let id = item["id"].as_str().unwrap();
            let created = item["created"].as_str().expect("started by then");
            assert!(created <= day, "{id} started {created}");
            let history = get(&app, &format!("/api/v1/startups/{id}/phases")).await.body;
            let expected = history["data"].as_array().unwrap().iter()
                .rfind(|p| p["start"].as_str().unwrap() <= day)
                .map(|p| p["phase"].clone())
                .unwrap_or(Value::Null);
            assert_eq!(item["current_phase"], expected, "{id} on {day}");
        }
        let fce = then.iter().find(|i| i["id"] == "fiche.commune.entreprise.fce").expect("FCE existed");
        assert_eq!(fce["current_phase"], "construction");
        let building = collect_ids(&app, &format!("/api/v1/startups?as_of={day}&phase=construction")).await;
        let expected: Vec<String> = then.iter()
            .filter(|i| i["current_phase"] == "construction")
            .map(|i| i["id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(building, expected);
        let item = get(&app, &format!("/api/v1/startups/fiche.commune.entreprise.fce?as_of={day}")).await;
        assert_eq!(item.body["current_phase"], "construction");
        let before = get(&app, "/api/v1/startups/dora?as_of=2019-01-01").await;
        assert_problem(&before, 404);
    }

    fn bad_dates_and_fields_are_named(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        for (uri, parameter) in [
            ("/api/v1/startups?as_of=2020-13-45", "as_of"),
            ("/api/v1/startups?as_of=01-07-2020", "as_of"),
            ("/api/v1/startups/medle?as_of=yesterday", "as_of"),
            ("/api/v1/startups?created_after=2020-02-30", "created_after"),
            ("/api/v1/startups?sort=colour", "sort"),
            ("/api/v1/startups?fields=name,colour", "fields"),
            ("/api/v1/startups?created_after=2021-01-01&created_before=2020-01-01", "created_before"),
        ] {
            let reply = get(&app, uri).await;
            assert_bad_parameter(&reply, parameter, uri);
        }
    }

    fn fields_limit_the_attributes(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        let reply = get(&app, "/api/v1/startups?fields=name,current_phase&page_size=3").await;
        assert_eq!(reply.status, 200);
        for item in reply.body["data"].as_array().unwrap() {
            let mut keys: Vec<&String> = item.as_object().unwrap().keys().collect();
            keys.sort();
            assert_eq!(keys, ["current_phase", "id", "name"]);
        }
    }

    fn tags_and_creation_dates_filter(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        let health = collect_ids(&app, "/api/v1/startups?thematique=Sant%C3%A9").await;
        assert!(health.contains(&"tumeplay".to_owned()), "{health:?}");
        let people = collect_ids(&app, "/api/v1/startups?usertype=particulier").await;
        assert!(people.contains(&"tumeplay".to_owned()), "{people:?}");
        let all = collect_items(&app, "/api/v1/startups?page_size=1000").await;
        let expected: Vec<String> = all.iter()
            .filter(|i| i["created"].as_str().is_some_and(|c| ("2019-01-01"..="2019-12-31").contains(&c)))
            .map(|i| i["id"].as_str().unwrap().to_owned())
            .collect();
        assert!(!expected.is_empty());
        let cohort = collect_ids(&app, "/api/v1/startups?created_after=2019-01-01&created_before=2019-12-31").await;
        assert_eq!(cohort, expected);
    }
}

fn urlencode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}
