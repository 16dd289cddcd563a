//! `/api/v1/stats`, phase durations, outcomes, and observation series per period, checked
//! against what the lists say, on both backends.

use crate::common;

use std::collections::BTreeMap;

use actix_web::test;
use betadata::api::app;
use common::{assert_bad_parameter, assert_problem, both_backends, get};
use serde_json::Value;

fn counts(object: &Value) -> BTreeMap<String, i64> {
    object
        .as_object()
        .expect("an object of counts")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_i64().expect("a count")))
        .collect()
}

fn tally<'a>(keys: impl Iterator<Item = Option<&'a str>>) -> BTreeMap<String, i64> {
    let mut map = BTreeMap::new();
    for key in keys.flatten() {
        *map.entry(key.to_owned()).or_default() += 1;
    }
    map
}

both_backends! {
    fn stats_agree_with_the_lists(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        for (stats_uri, list_uri) in [
            ("/api/v1/stats", "/api/v1/startups?page_size=1000"),
            ("/api/v1/stats?as_of=2019-06-01", "/api/v1/startups?page_size=1000&as_of=2019-06-01"),
            ("/api/v1/stats?incubator=sgmas", "/api/v1/startups?page_size=1000&incubator=sgmas"),
        ] {
            let stats = get(&app, stats_uri).await;
            assert_eq!(stats.status, 200, "{}", stats.body);
            let stats = stats.body;
            let list = get(&app, list_uri).await.body;
            let items = list["data"].as_array().unwrap();
            assert_eq!(stats["startups_total"], list["meta"]["total"], "{stats_uri}");
            assert_eq!(
                counts(&stats["startups_by_phase"]),
                tally(items.iter().map(|i| i["current_phase"].as_str())),
                "{stats_uri}"
            );
            assert_eq!(
                counts(&stats["startups_by_incubator"]),
                tally(items.iter().map(|i| i["incubator"].as_str())),
                "{stats_uri}"
            );
            assert_eq!(
                counts(&stats["created_by_year"]),
                tally(items.iter().map(|i| i["created"].as_str().map(|c| &c[..4]))),
                "{stats_uri}"
            );
            let incubators = get(&app, "/api/v1/incubators").await.body;
            assert_eq!(stats["incubators_total"], incubators["meta"]["total"]);
            let organisations = get(&app, "/api/v1/organisations").await.body;
            assert_eq!(stats["organisations_total"], organisations["meta"]["total"]);
        }
        let past = get(&app, "/api/v1/stats?as_of=2019-06-01").await.body;
        assert_eq!(past["as_of"], "2019-06-01");
        let reply = get(&app, "/api/v1/stats?as_of=2020-13-45").await;
        assert_bad_parameter(&reply, "as_of", "");
    }

    fn phase_durations_measure_completed_phases(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        let reply = get(&app, "/api/v1/stats/phase-durations?incubator=sgmas").await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        let rows = reply.body["data"].as_array().unwrap().clone();
        let phases: Vec<&str> = rows.iter().map(|r| r["phase"].as_str().unwrap()).collect();
        assert_eq!(phases[..4], ["investigation", "construction", "acceleration", "consolidation"]);
        // Expected investigation durations, from the histories the API shows: a phase is over
        // the day after its last day, or when the next one starts, whichever comes first.
        let list = get(&app, "/api/v1/startups?incubator=sgmas&page_size=1000").await.body;
        let mut days = Vec::new();
        for item in list["data"].as_array().unwrap() {
            let id = item["id"].as_str().unwrap();
            let history = get(&app, &format!("/api/v1/startups/{id}/phases")).await.body;
            let spans = history["data"].as_array().unwrap();
            for (i, span) in spans.iter().enumerate() {
                if span["phase"] != "investigation" {
                    continue;
                }
                let start: chrono::NaiveDate = span["start"].as_str().unwrap().parse().unwrap();
                let after_end = span["end"].as_str().map(|e| e.parse::<chrono::NaiveDate>().unwrap().succ_opt().unwrap());
                let next = spans.get(i + 1).map(|n| n["start"].as_str().unwrap().parse().unwrap());
                let over = [after_end, next].into_iter().flatten().min().expect("closed");
                days.push((over - start).num_days() as f64);
            }
        }
        days.sort_by(f64::total_cmp);
        let investigation = &rows[0];
        assert_eq!(investigation["count"].as_u64(), Some(days.len() as u64));
        assert!(days.contains(&107.0), "FCE's investigation: 2018-10-01 to 2019-01-15 is 107 days");
        let n = days.len();
        let median = if n % 2 == 1 { days[n / 2] } else { (days[n / 2 - 1] + days[n / 2]) / 2.0 };
        assert_eq!(investigation["median_days"].as_f64(), Some(median));
        let transfere = rows.iter().find(|r| r["phase"] == "transfere").unwrap();
        assert_eq!(transfere["count"], 0, "nothing follows a transfer");
        assert!(transfere["open"].as_u64().unwrap() >= 5);
        let later = get(&app, "/api/v1/stats/phase-durations?incubator=sgmas&since=2021-01-01").await.body;
        let later_investigations = later["data"][0]["count"].as_u64().unwrap();
        assert!(later_investigations < days.len() as u64, "since leaves out earlier phases");
    }

    fn outcomes_count_every_startup_once(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        let reply = get(&app, "/api/v1/stats/outcomes?by=incubator").await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        let rows = reply.body["data"].as_array().unwrap().clone();
        let total: u64 = rows.iter().map(|r| r["total"].as_u64().unwrap()).sum();
        let all = get(&app, "/api/v1/startups?page_size=1000").await.body;
        assert_eq!(Some(total), all["meta"]["total"].as_u64());
        let sgmas = rows.iter().find(|r| r["group"] == "sgmas").expect("sgmas");
        let items = get(&app, "/api/v1/startups?incubator=sgmas&page_size=1000").await.body;
        let phases = tally(items["data"].as_array().unwrap().iter().map(|i| i["current_phase"].as_str()));
        let of = |names: &[&str]| names.iter().map(|n| phases.get(*n).copied().unwrap_or(0)).sum::<i64>();
        assert_eq!(sgmas["transferred_or_operated"].as_i64(), Some(of(&["transfere", "opere"])));
        assert_eq!(sgmas["stopped"].as_i64(), Some(of(&["abandon", "abandon-investigation"])));
        for row in &rows {
            let parts: u64 = ["transferred_or_operated", "stopped", "running", "not_started"]
                .iter()
                .map(|k| row[*k].as_u64().unwrap())
                .sum();
            assert_eq!(Some(parts), row["total"].as_u64(), "{row}");
        }
        let cohorts = get(&app, "/api/v1/stats/outcomes?by=cohort").await.body;
        let c2019 = cohorts["data"].as_array().unwrap().iter().find(|r| r["group"] == "2019").expect("2019 cohort");
        let created_2019 = get(&app, "/api/v1/startups?created_after=2019-01-01&created_before=2019-12-31").await.body;
        assert_eq!(c2019["total"], created_2019["meta"]["total"]);
        for uri in ["/api/v1/stats/outcomes", "/api/v1/stats/outcomes?by=colour"] {
            let reply = get(&app, uri).await;
            assert_problem(&reply, 400);
        }
        assert_eq!(get(&app, "/api/v1/stats/outcomes?by=colour").await.bad_parameters(), vec!["by".to_owned()]);
    }

    fn observations_combine_per_period(db) {
        let db = db.seeded();
        let app = test::init_service(app(db.state())).await;
        let raw = get(&app, "/api/v1/metrics/membres-actifs/observations").await.body;
        let points: Vec<(String, f64)> = raw["data"].as_array().unwrap().iter()
            .map(|o| (o["date"].as_str().unwrap().to_owned(), o["value"].as_f64().unwrap()))
            .collect();
        assert_eq!(points.len(), 3);
        for agg in ["sum", "avg", "min", "max", "last"] {
            let reply = get(&app, &format!("/api/v1/metrics/membres-actifs/observations?granularity=year&agg={agg}")).await;
            assert_eq!(reply.status, 200, "{}", reply.body);
            let body = reply.body;
            assert_eq!(body["meta"]["observations"], 3);
            for period in body["data"].as_array().unwrap() {
                let year = &period["start"].as_str().unwrap()[..4];
                let values: Vec<f64> = points.iter().filter(|(d, _)| d.starts_with(year)).map(|(_, v)| *v).collect();
                let expected = match agg {
                    "sum" => values.iter().sum(),
                    "avg" => values.iter().sum::<f64>() / values.len() as f64,
                    "min" => values.iter().copied().fold(f64::INFINITY, f64::min),
                    "max" => values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                    _ => *values.last().unwrap(),
                };
                assert_eq!(period["value"].as_f64(), Some(expected), "{agg} {year}");
                assert_eq!(period["count"].as_u64(), Some(values.len() as u64));
                assert_eq!(period["end"].as_str().unwrap(), format!("{year}-12-31"));
            }
        }
        let windowed = get(&app, "/api/v1/metrics/membres-actifs/observations?from=2017-01-01&to=2017-12-31").await.body;
        assert_eq!(windowed["meta"]["total"], 1);
        for (uri, parameter) in [
            ("/api/v1/metrics/membres-actifs/observations?agg=sum", "granularity"),
            ("/api/v1/metrics/membres-actifs/observations?granularity=month", "agg"),
            ("/api/v1/metrics/membres-actifs/observations?granularity=week&agg=sum", "granularity"),
            ("/api/v1/metrics/membres-actifs/observations?granularity=month&agg=median", "agg"),
            ("/api/v1/metrics/membres-actifs/observations?granularity=month&agg=sum&page_size=5", "page_size"),
            ("/api/v1/metrics/membres-actifs/observations?from=2018-01-01&to=2017-01-01", "to"),
        ] {
            let reply = get(&app, uri).await;
            assert_bad_parameter(&reply, parameter, uri);
        }
        assert_problem(&get(&app, "/api/v1/metrics/nope/observations?granularity=month&agg=sum").await, 404);
    }
}
