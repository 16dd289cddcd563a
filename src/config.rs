//! Configuration, from flags and environment only.
//!
//! | flag | environment | default | meaning |
//! | --- | --- | --- | --- |
//! | `--database URL` | `DATABASE_URL` | `betadata.db` | a file path (SQLite) or `postgres://…` |
//! | `--bind ADDR` (serve) | `BETADATA_BIND` | `127.0.0.1:8080` | address the server listens on |
//! | `--workers N` (serve) | `BETADATA_WORKERS` | number of cores | HTTP worker threads |
//! | `--pool-size N` | `BETADATA_POOL_SIZE` | `8` | database connections per process |
//! | | `RUST_LOG` | `info` | log filter (env_logger syntax) |

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::db::DatabaseUrl;

#[derive(Debug, Parser)]
#[command(
    name = "betadata",
    version,
    about = "Open-data API of the French Startups d'État (beta.gouv.fr)"
)]
pub struct Cli {
    /// Database: a SQLite file path, or a postgres:// URL.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "betadata.db",
        global = true
    )]
    pub database: String,

    /// Database connections held by this process.
    #[arg(long, env = "BETADATA_POOL_SIZE", default_value_t = 8, global = true)]
    pub pool_size: u32,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API (the default): migrates, and seeds an empty database first.
    Serve(ServeArgs),
    /// Apply the pending database migrations.
    Migrate,
    /// Load seed files (YAML, the format of `seeds/`) into the database.
    Import {
        /// Seed files, or folders holding them.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Validate seed files without loading them; exits non-zero on any error.
    Check {
        /// Seed files, or folders holding them.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Print the OpenAPI contract.
    Openapi,
    /// Fill an empty database with a synthetic portfolio of the given size, for benchmarks.
    Generate {
        /// Startups to generate, with their phase histories, sponsors, tags and one metric
        /// each for most of them.
        #[arg(long)]
        startups: usize,
        /// Daily observations in all, spread over the metrics.
        #[arg(long)]
        observations: usize,
        /// Seed of the pseudo-random generator: the same seed gives the same dataset.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "BETADATA_BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,

    /// HTTP worker threads; defaults to the number of cores.
    #[arg(long, env = "BETADATA_WORKERS")]
    pub workers: Option<usize>,
}

impl Cli {
    pub fn database_url(&self) -> DatabaseUrl {
        DatabaseUrl::parse(&self.database)
    }
}

impl Default for ServeArgs {
    fn default() -> Self {
        Self {
            bind: std::env::var("BETADATA_BIND").unwrap_or_else(|_| "127.0.0.1:8080".into()),
            workers: std::env::var("BETADATA_WORKERS")
                .ok()
                .and_then(|w| w.parse().ok()),
        }
    }
}
