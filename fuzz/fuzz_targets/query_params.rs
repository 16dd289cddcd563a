//! Any query string goes through the parsing every `ApiQuery` extractor runs, for each query
//! struct of the contract, then through the checks a list handler runs before its query (page
//! and cursor, the startup filters); the errors are rendered as the problem documents a client
//! would get. Nothing may panic, and an error is always a 400 problem.
#![no_main]

use actix_web::ResponseError;
use actix_web::http::StatusCode;
use betadata::api::http::error::ApiError;
use betadata::api::http::query::parse;
use betadata::api::publish::datasets;
use betadata::api::shape::envelope::page_request;
use betadata::api::v1::metrics::observations;
use betadata::api::v1::startups::phase_history as history;
use betadata::api::v1::{changes, incubators, metrics, organisations, phases, startups, stats};
use betadata::domain::phases::REFERENCE_PHASES;
use libfuzzer_sys::fuzz_target;

/// Every refusal of a query string is a 400 problem, whatever its text.
fn refused(error: ApiError) {
    let response = error.error_response();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{error:?}");
}

fn check<T: serde::de::DeserializeOwned + utoipa::IntoParams + 'static>(query: &str) -> Option<T> {
    parse::<T>(query).map_err(refused).ok()
}

fn paged(page_size: Option<u32>, cursor: Option<&str>) {
    if let Err(error) = page_request(page_size, cursor) {
        refused(error.into());
    }
}

fuzz_target!(|query: &str| {
    if let Some(q) = check::<startups::StartupsQuery>(query) {
        paged(q.page_size, q.cursor.as_deref());
        let known: Vec<String> = REFERENCE_PHASES.iter().map(|p| (*p).to_owned()).collect();
        if let Err(error) = startups::validate(&q, &known) {
            refused(error);
        }
    }
    if let Some(q) = check::<incubators::IncubatorsQuery>(query) {
        paged(q.page_size, q.cursor.as_deref());
    }
    if let Some(q) = check::<organisations::OrganisationsQuery>(query) {
        paged(q.page_size, q.cursor.as_deref());
    }
    if let Some(q) = check::<metrics::MetricsQuery>(query) {
        paged(q.page_size, q.cursor.as_deref());
    }
    check::<startups::StartupQuery>(query);
    check::<stats::StatsQuery>(query);
    check::<stats::PhaseDurationsQuery>(query);
    check::<stats::OutcomesQuery>(query);
    check::<changes::ChangesQuery>(query);
    check::<history::PhaseHistoryQuery>(query);
    check::<datasets::DatasetsQuery>(query);
    check::<observations::AllObservationsQuery>(query);
    check::<metrics::ObservationsQuery>(query);
    check::<phases::PhasesQuery>(query);
});
