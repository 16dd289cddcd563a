//! The integration tests, as one binary: each module tests one part of the product against the
//! real application, in process on both backends (see `common::both_backends`), or through the
//! `betadata` command line.

#[path = "../common/mod.rs"]
mod common;

#[allow(unused_imports)] // not every binary spawns the server
use common::process;

mod admin_writes;
mod analysts;
mod auth;
mod catalog;
mod cli;
mod compat;
mod compat_upstream;
mod csv_injection;
mod datasets;
mod errors;
mod export_lines;
mod exports;
mod generate;
mod hardening;
mod health;
mod import;
mod incubators;
mod landing;
mod latest_phase;
mod layers;
mod lost_connections;
mod metrics;
mod migrations;
mod msrv;
mod openapi;
mod organisations;
mod phases;
mod pipelined;
mod plans;
mod public_url;
mod response_cache;
mod search_index;
mod security;
mod short_reads;
mod startup_items;
mod startups;
mod stats;
mod tallies;
mod transport;
mod writes;
