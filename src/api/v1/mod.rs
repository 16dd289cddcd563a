//! Version 1 of the API, under `/api/v1`: a folder for each resource (its reads, its writes
//! and its routes), and a file for each read-only one.

pub mod changes;
pub mod incubators;
pub mod metrics;
pub mod organisations;
pub mod phases;
pub mod startups;
pub mod stats;
