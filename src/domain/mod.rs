//! The programme's rules as plain functions over plain types, tested without a database.

pub mod bm25;
pub mod dates;
pub mod fields;
pub mod ids;
pub mod phases;
pub mod portfolio;
pub mod search;
pub mod source;
pub mod stats;
pub mod text;
pub mod tokens;
pub mod ts_rank;
