//! `/api/v1/organisations`: sponsors and owners of incubators. Reads in [`read`], writes
//! (admin tokens) in [`write`](mod@write).

pub mod read;
pub mod write;

pub use read::*;
pub use write::*;
