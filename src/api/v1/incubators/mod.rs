//! `/api/v1/incubators`: the teams that host startups. Reads in [`read`], writes (admin
//! tokens) in [`write`](mod@write).

pub mod read;
pub mod write;

pub use read::*;
pub use write::*;
