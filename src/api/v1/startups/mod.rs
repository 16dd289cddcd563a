//! `/api/v1/startups`: the portfolio, each startup with its phase history.
//!
//! The response types live here; the list and the item views in [`list`] and [`find`], the
//! writes of startups and their phases in [`write`], the CSV and NDJSON rows in [`rows`], and
//! `/api/v1/phase-history`, every phase of every startup, in [`phase_history`]; a startup's
//! changes in [`history`].

mod find;
pub mod history;
mod list;
pub mod phase_history;
pub mod rows;
mod write;

pub use find::*;
pub use history::*;
pub use list::*;
pub use phase_history::*;
pub use write::*;

pub use crate::representation::startup::{
    EventResponse, IncubatorRef, PhaseSpanResponse, SponsorRef, StartupRecord, StartupResponse,
    StartupSummary, derived, phase_spans,
};
