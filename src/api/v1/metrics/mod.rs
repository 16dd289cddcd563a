//! `/api/v1/metrics`: impact indicators, their observations and `/api/v1/observations`, every
//! observation of every metric. Reads in [`read`] and [`observations`], writes in
//! [`write`](mod@write).

pub mod lines;
pub mod observations;
pub mod read;
pub mod write;

pub use observations::*;
pub use read::*;
pub use write::*;
