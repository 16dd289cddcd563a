//! Configuration, from flags and environment only.
//!
//! | flag | environment | default | meaning |
//! | --- | --- | --- | --- |
//! | `--database URL` | `DATABASE_URL` | `betadata.db` | a file path (SQLite) or `postgres://…` |
//! | `--bind ADDR` (serve) | `BETADATA_BIND` | `127.0.0.1:8080` | address the server listens on |
//! | `--public-url URL` (serve) | `BETADATA_PUBLIC_URL` | `http://` and the bound address (`localhost` for `0.0.0.0` or `::`) | scheme, host and path prefix of every absolute URL the API gives (links, downloads, catalog); set it behind a reverse proxy |
//! | `--trusted-proxies LIST` (serve) | `BETADATA_TRUSTED_PROXIES` | none | IP addresses or CIDR ranges, comma-separated, whose `Forwarded` / `X-Forwarded-Host` / `X-Forwarded-Proto` set the scheme and host of absolute URLs; ignored when `--public-url` is set |
//! | `--workers N` (serve) | `BETADATA_WORKERS` | number of cores | HTTP worker threads |
//! | `--pool-size N` | `BETADATA_POOL_SIZE` | `8` | database connections per process |
//! | `--write-rate N` (serve) | `BETADATA_WRITE_RATE` | `120` | writes per minute per token, in bursts of as many; per process |
//! | `--cache-mib N` (serve) | `BETADATA_CACHE_MIB` | `64` | memory for responses kept per data revision, in MiB, per process; `0` keeps none; a response over an eighth of it is not kept |
//! | `--shutdown-timeout S` (serve) | `BETADATA_SHUTDOWN_TIMEOUT` | `30` | seconds in-flight requests get to finish after SIGTERM or SIGINT; new connections are refused at once |
//! | `--client-timeout SECONDS` (serve) | `BETADATA_CLIENT_TIMEOUT` | `5` | time a client has to send a request's head; 408 after it |
//! | `--body-timeout SECONDS` (serve) | `BETADATA_BODY_TIMEOUT` | `10` | time a client has to send a request's body; 408 after it |
//! | `--keep-alive SECONDS` (serve) | `BETADATA_KEEP_ALIVE` | `5` | how long an idle connection is kept open |
//! | `--disconnect-timeout SECONDS` (serve) | `BETADATA_DISCONNECT_TIMEOUT` | `1` | time a client has to close a connection the server shuts |
//! | `--query-timeout SECONDS` (serve) | `BETADATA_QUERY_TIMEOUT` | `30` | database work of one request; 503 after it (PostgreSQL cancels the statement) |
//! | | `RUST_LOG` | `info` | log filter (env_logger syntax) |

use std::num::NonZeroU32;
use std::path::PathBuf;
use std::time::Duration;

use chrono::NaiveDate;
use clap::{Parser, Subcommand};
use ipnet::IpNet;

use crate::api::http::public_url::{self, BaseUrl};
use crate::api::http::response_cache::DEFAULT_BUDGET_MIB;
use crate::api::http::spool::DEFAULT_BUDGET_MIB as DEFAULT_SPOOL_MIB;
use crate::api::http::write_limit::DEFAULT_WRITES_PER_MINUTE;
use crate::db::DatabaseUrl;
use crate::domain::tokens::Scope;

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
    /// Load seed files (YAML, the format of `seeds/`) or a beta.gouv.fr content tree (a folder
    /// holding `_startups/`, `_incubators/`, `_organisations/`) into the database.
    Import {
        /// Seed files, folders holding them, or one content tree.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Content tree only: delete the startups, incubators and organisations whose file is
        /// no longer in the tree.
        #[arg(long)]
        prune: bool,
        /// Content tree only: import nothing, and exit non-zero, when any file is rejected.
        #[arg(long)]
        strict: bool,
    },
    /// Validate seed files or a content tree without loading them; exits non-zero on any error.
    Check {
        /// Seed files, folders holding them, or one content tree.
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
    /// Create, list and revoke the tokens of the write API.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token and print it, once: only its hash is stored.
    Create {
        /// A name for the token, unique, quoted by the logs as the author of its writes.
        #[arg(long, value_parser = crate::domain::tokens::parse_name)]
        name: String,
        /// What it may write: `admin` (everything) or `incubator:ID` (that incubator's
        /// startups, their phases and metrics).
        #[arg(long)]
        scope: Scope,
        /// The last day the token is valid on (UTC), as YYYY-MM-DD; by default it does not
        /// expire.
        #[arg(long, value_parser = parse_expiry)]
        expires: Option<NaiveDate>,
    },
    /// List the tokens: name, scope, dates of creation, expiry, revocation and last use.
    List,
    /// Revoke a token: it is refused from then on, and stays listed.
    Revoke {
        /// The token's name.
        name: String,
    },
}

fn parse_expiry(text: &str) -> Result<NaiveDate, crate::domain::dates::DateError> {
    crate::domain::dates::parse_date(text)
}

#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "BETADATA_BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,

    /// The URL the API is published at, such as `https://data.example.org/betadata`: the
    /// scheme, host and path prefix of every absolute URL it gives (list links, downloads, the
    /// DCAT catalog). Without it, `http://` and the bound address, `localhost` for an
    /// unspecified one (`0.0.0.0`, `::`); never the `Host` a request names.
    #[arg(long, env = "BETADATA_PUBLIC_URL", value_parser = BaseUrl::parse)]
    pub public_url: Option<BaseUrl>,

    /// Reverse proxies whose `Forwarded`, `X-Forwarded-Host` and `X-Forwarded-Proto` headers
    /// set the scheme and host of absolute URLs, when `--public-url` is not set: IP addresses
    /// or CIDR ranges, comma-separated. Any other client's are ignored.
    #[arg(
        long,
        env = "BETADATA_TRUSTED_PROXIES",
        value_delimiter = ',',
        value_parser = public_url::parse_proxy
    )]
    pub trusted_proxies: Vec<IpNet>,

    /// HTTP worker threads; defaults to the number of cores.
    #[arg(long, env = "BETADATA_WORKERS")]
    pub workers: Option<usize>,

    /// Writes a minute each token may make, in bursts of as many; counted by each server
    /// process on its own.
    #[arg(long, env = "BETADATA_WRITE_RATE", default_value_t = DEFAULT_WRITES_PER_MINUTE)]
    pub write_rate: NonZeroU32,

    /// Memory for responses kept per data revision, in MiB (0 keeps none). A response larger
    /// than an eighth of it is not kept: a larger export streams each time.
    #[arg(long, env = "BETADATA_CACHE_MIB", default_value_t = DEFAULT_BUDGET_MIB)]
    pub cache_mib: u64,

    /// Disk for exports too large to keep in memory, in MiB (0 keeps none): each is written to
    /// a file while it streams the first time at a data revision, then sent from that file.
    #[arg(long, env = "BETADATA_SPOOL_MIB", default_value_t = DEFAULT_SPOOL_MIB)]
    pub spool_mib: u64,

    /// Where the spool's directory is made (and removed when the server stops); the system's
    /// temporary directory by default.
    #[arg(long, env = "BETADATA_SPOOL_DIR")]
    pub spool_dir: Option<PathBuf>,

    /// Seconds a stopping server (SIGTERM or SIGINT) gives the requests it is serving to
    /// finish; it refuses new connections at once, and cuts what still runs after this.
    #[arg(long, env = "BETADATA_SHUTDOWN_TIMEOUT", default_value_t = 30)]
    pub shutdown_timeout: u64,

    /// Seconds a client has to send the head of a request (line and headers); it is answered
    /// 408 and disconnected after them.
    #[arg(long, env = "BETADATA_CLIENT_TIMEOUT", default_value = "5", value_parser = seconds)]
    pub client_timeout: Duration,

    /// Seconds a client has to send the body of a request; it is answered 408 after them.
    #[arg(long, env = "BETADATA_BODY_TIMEOUT", default_value = "10", value_parser = seconds)]
    pub body_timeout: Duration,

    /// Seconds an idle connection is kept open for a next request.
    #[arg(long, env = "BETADATA_KEEP_ALIVE", default_value = "5", value_parser = seconds)]
    pub keep_alive: Duration,

    /// Seconds a client has to close a connection the server shuts down.
    #[arg(long, env = "BETADATA_DISCONNECT_TIMEOUT", default_value = "1", value_parser = seconds)]
    pub disconnect_timeout: Duration,

    /// Seconds the database work of one request may take; the request is answered 503 after
    /// them, and PostgreSQL cancels the statement.
    #[arg(long, env = "BETADATA_QUERY_TIMEOUT", default_value = "30", value_parser = seconds)]
    pub query_timeout: Duration,
}

/// A whole number of seconds, at least 1 and at most a day.
fn seconds(text: &str) -> Result<Duration, String> {
    match text.trim().parse::<u64>() {
        Ok(n @ 1..=86_400) => Ok(Duration::from_secs(n)),
        _ => Err(format!(
            "`{text}` is not a whole number of seconds from 1 to 86400"
        )),
    }
}

impl Cli {
    pub fn database_url(&self) -> DatabaseUrl {
        DatabaseUrl::parse(&self.database)
    }
}

impl ServeArgs {
    /// The serve arguments from the environment alone, for `betadata` run without a
    /// subcommand; like a flag, a bad value is reported and ends the program (exit 2).
    pub fn from_env() -> Self {
        #[derive(Parser)]
        #[command(name = "betadata")]
        struct Serve {
            #[command(flatten)]
            args: ServeArgs,
        }
        Serve::parse_from(["betadata"]).args
    }
}
