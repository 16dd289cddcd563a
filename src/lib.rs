//! betadata: the open-data API of the Startups d'État.

pub mod api;
pub mod commands;
pub mod config;
pub mod db;
pub mod domain;
pub mod generate;
pub mod representation;
pub mod seed;
