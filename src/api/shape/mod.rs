//! The shapes every resource's answers and writes share: the list envelope with its links and
//! cursors, the formats (JSON, CSV, NDJSON) and their columns, the formula-safe CSV cell, and
//! the one path every write runs through.

pub mod columns;
pub mod envelope;
pub mod formats;
pub mod formula_safe;
pub mod stored_lines;
pub mod writable;
pub mod write;
pub mod write_routes;
