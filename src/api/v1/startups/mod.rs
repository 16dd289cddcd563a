//! `/api/v1/startups`: the portfolio, each startup with its phase history.
//!
//! The list and the item views are in [`list`] and [`find`] (their representations in
//! [`crate::representation::startup`]), the writes of startups and their phases in
//! [`write`](mod@write), the CSV and NDJSON rows in [`rows`], and `/api/v1/phase-history`, every
//! phase of every startup, in [`phase_history`]; a startup's changes in [`history`].

pub mod find;
pub mod history;
pub mod lines;
pub mod list;
pub mod phase_history;
pub mod rows;
pub mod write;

pub use find::*;
pub use history::*;
pub use list::*;
pub use phase_history::*;
pub use write::*;

pub use crate::representation::startup::{
    EventResponse, IncubatorRef, PhaseSpanResponse, SponsorRef, StartupRecord, StartupResponse,
    StartupSummary, derived, phase_spans,
};
