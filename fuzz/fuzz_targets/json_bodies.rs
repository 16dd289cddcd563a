//! Any bytes as the body of a write: read the way `JsonBody` reads it, into the request type
//! of a startup (create, and a merge patch of a stored one), a phase transition, a metric or a
//! batch of observations, then through every check the handler runs before the database.
//! Nothing may panic, and every refusal is a 400 or a 422 problem.
#![no_main]

use actix_web::ResponseError;
use actix_web::http::StatusCode;
use betadata::api::http::body::parse;
use betadata::api::http::error::{ApiError, BodyError};
use betadata::api::shape::writable::Writable;
use betadata::api::shape::write::{id_to_create, patched};
use betadata::api::v1::metrics::{MetricInput, Observations, batch_faults};
use betadata::api::v1::startups::{PhaseInput, PhaseTransition, StartupInput};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

/// A startup as stored, which patches and phase transitions change.
const STORED: &str = r#"{"id": "medle", "name": "Medlé", "incubator": "sgmas",
    "phases": [{"phase": "investigation", "start": "2019-01-01", "end": "2019-05-31"},
               {"phase": "construction", "start": "2019-06-01"}],
    "sponsors": ["dgs"], "usertypes": ["professionnel"]}"#;

fn refused(error: ApiError) {
    let status = error.error_response().status();
    assert!(
        [StatusCode::BAD_REQUEST, StatusCode::UNPROCESSABLE_ENTITY].contains(&status),
        "{status} for {error:?}"
    );
}

fn faults(faults: Vec<BodyError>) {
    if !faults.is_empty() {
        refused(ApiError::Invalid(faults));
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&kind, body)) = data.split_first() else {
        return;
    };
    let stored: StartupInput = parse(STORED.as_bytes()).expect("the stored startup is valid");
    assert!(stored.faults(None).is_empty(), "{:?}", stored.faults(None));
    match kind % 5 {
        0 => match parse::<StartupInput>(body) {
            Ok(input) => {
                if let Err(error) = id_to_create(input.id.as_ref(), "startup") {
                    refused(error);
                }
                faults(input.faults(None));
            }
            Err(error) => refused(error),
        },
        1 => match parse::<Value>(body).and_then(|patch| patched(&stored, &patch)) {
            Ok(input) => faults(input.faults(Some(&stored))),
            Err(error) => refused(error),
        },
        2 => match parse::<PhaseTransition>(body) {
            Ok(transition) => {
                let mut input = stored.clone();
                if let Some(open) = input.phases.last_mut().filter(|p| p.end.is_none())
                    && let Some(eve) = transition.start.pred_opt().filter(|e| *e >= open.start)
                {
                    open.end = Some(eve);
                }
                input.phases.push(PhaseInput {
                    phase: transition.phase,
                    start: transition.start,
                    end: transition.end,
                });
                faults(input.faults(Some(&stored)));
            }
            Err(error) => refused(error),
        },
        3 => match parse::<MetricInput>(body) {
            Ok(input) => faults(input.faults(None)),
            Err(error) => refused(error),
        },
        _ => match parse::<Observations>(body) {
            Ok(observations) => {
                let (batch, inputs) = match observations {
                    Observations::Batch(inputs) => (true, inputs),
                    Observations::One(input) => (false, vec![input]),
                };
                match batch_faults(&inputs, batch, |source| Ok(source.len() % 2 == 0)) {
                    Ok(found) => faults(found),
                    Err(error) => refused(error),
                }
            }
            Err(error) => refused(error),
        },
    }
});
