//! The representations of the resources: what the API answers for each and what the change
//! feed records of it, read from the database in the form they are served. The API serves them
//! and the import records them in the feed, so they live below both: this module uses only
//! [`crate::db`] and [`crate::domain`].

pub mod incubator;
pub mod metric;
pub mod number;
pub mod organisation;
pub mod startup;
