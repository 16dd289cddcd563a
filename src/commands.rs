//! What each subcommand does; `main` only parses the command line and reports failures.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};

use crate::api::http::public_url::PublicUrl;
use crate::api::http::response_cache::ResponseCache;
use crate::api::http::spool::ExportSpool;
use crate::api::{self, AppState};
use crate::config::{Cli, Command, ServeArgs, TokenCommand};
use crate::db::tokens::{IssueError, Revocation, Token, TokenRequest};
use crate::db::{self, DatabaseUrl, DbPool};
use crate::seed::{self, Report, Severity, content, load};

/// A command's failure, printed by `main`, which then exits non-zero.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error("cannot open the database ({url}): {source}")]
    Connect {
        url: DatabaseUrl,
        source: db::Unavailable,
    },
    #[error(transparent)]
    Migrate(#[from] db::MigrationError),
    #[error("database error: {0}")]
    Database(#[from] diesel::result::Error),
    #[error(transparent)]
    Read(#[from] load::ReadError),
    #[error("{0} error(s) found")]
    Invalid(usize),
    #[error("--prune and --strict apply to a beta.gouv.fr content tree, not to seed files")]
    ContentOnly,
    #[error("{0} file(s) rejected; nothing was imported (--strict)")]
    Rejected(usize),
    #[error("cannot record a change: {0}")]
    Sync(content::sync::SyncError),
    #[error("cannot render the OpenAPI contract: {0}")]
    Spec(#[from] serde_json::Error),
    #[error(transparent)]
    Generate(#[from] crate::generate::GenerateError),
    #[error(transparent)]
    Issue(#[from] IssueError),
    #[error("no token is named `{0}` (see `betadata token list`)")]
    NoSuchToken(String),
    #[error("token `{name}` was already revoked, at {at} UTC")]
    AlreadyRevoked {
        name: String,
        at: chrono::NaiveDateTime,
    },
    #[error("cannot serve on {bind}: {source}")]
    Serve {
        bind: String,
        source: std::io::Error,
    },
}

pub fn run(cli: Cli) -> Result<(), CommandError> {
    let url = cli.database_url();
    match cli
        .command
        .unwrap_or_else(|| Command::Serve(ServeArgs::from_env()))
    {
        Command::Serve(args) => serve(&url, cli.pool_size, args),
        Command::Migrate => {
            let pool = open(&url, 1)?;
            let applied = db::migrate(&mut *connection(&pool, &url)?)?;
            println!("{} migration(s) applied to {url}", applied.len());
            Ok(())
        }
        Command::Import {
            paths,
            prune,
            strict,
        } => match content_tree(&paths) {
            Some(root) => import_content(&url, root, content::sync::Options { prune, strict }),
            None if prune || strict => Err(CommandError::ContentOnly),
            None => import(&url, &paths),
        },
        Command::Check { paths } => match content_tree(&paths) {
            Some(root) => check_content(root),
            None => check(&paths),
        },
        Command::Openapi => {
            println!("{}", api::openapi().to_pretty_json()?);
            Ok(())
        }
        Command::Generate {
            startups,
            observations,
            seed,
        } => generate(&url, startups, observations, seed),
        Command::Token { command } => token(&url, command),
    }
}

fn open(url: &DatabaseUrl, size: u32) -> Result<DbPool, CommandError> {
    db::connect(url, size).map_err(|source| CommandError::Connect {
        url: url.clone(),
        source,
    })
}

fn connection(pool: &DbPool, url: &DatabaseUrl) -> Result<db::PooledConnection, CommandError> {
    pool.get().map_err(|source| CommandError::Connect {
        url: url.clone(),
        source,
    })
}

/// Prints every problem, then a summary line, to standard error.
fn print_report(report: &Report) {
    let mut err = std::io::stderr().lock();
    for problem in &report.problems {
        let _ = writeln!(err, "{problem}");
    }
}

/// What follows a load: the export lines of the startups and metrics it wrote
/// ([`api::v1::refresh_export_lines_in_batches`]), and the planner's statistics
/// ([`db::analyze`]).
fn after_load(conn: &mut db::DbConnection) -> Result<(), CommandError> {
    api::v1::refresh_export_lines_in_batches(conn)?;
    db::analyze(conn)?;
    Ok(())
}

fn import(url: &DatabaseUrl, paths: &[PathBuf]) -> Result<(), CommandError> {
    let files = load::read_paths(paths)?;
    let pool = open(url, 1)?;
    let mut conn = connection(&pool, url)?;
    db::migrate(&mut conn)?;
    let (counts, report) = load::import(&mut conn, &files)?;
    after_load(&mut conn)?;
    print_report(&report);
    eprintln!(
        "imported {counts}; {} error(s), {} warning(s)",
        report.errors(),
        report.warnings()
    );
    Ok(())
}

/// The content tree named by `paths`, when it is a single folder holding `_startups/`.
fn content_tree(paths: &[PathBuf]) -> Option<&Path> {
    match paths {
        [root] if content::is_content_tree(root) => Some(root),
        _ => None,
    }
}

/// A progress bar on standard error; indicatif draws nothing when that is not a terminal.
fn progress_bar(message: &'static str) -> ProgressBar {
    let bar = ProgressBar::new(0);
    if let Ok(style) =
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({elapsed}, eta {eta})")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(message);
    bar
}

fn import_content(
    url: &DatabaseUrl,
    root: &Path,
    options: content::sync::Options,
) -> Result<(), CommandError> {
    let files = content::read_tree(root)?;
    let pool = open(url, 1)?;
    let mut conn = connection(&pool, url)?;
    db::migrate(&mut conn)?;
    let bar = progress_bar("importing");
    let result = content::sync::import(&mut conn, &files, options, &bar, api::http::state::today());
    bar.finish_and_clear();
    match result {
        Ok(outcome) => {
            after_load(&mut conn)?;
            print_report(&outcome.set.report);
            eprintln!("{}", outcome.summary());
            Ok(())
        }
        Err(content::sync::SyncError::Rejected(outcome)) => {
            print_report(&outcome.set.report);
            eprintln!("{}", outcome.summary());
            Err(CommandError::Rejected(outcome.set.files.rejected))
        }
        Err(content::sync::SyncError::Database(e)) => Err(CommandError::Database(e)),
        Err(e) => Err(CommandError::Sync(e)),
    }
}

fn check_content(root: &Path) -> Result<(), CommandError> {
    let files = content::read_tree(root)?;
    let set = content::check(&files, db::IdSets::default());
    print_report(&set.report);
    eprintln!(
        "checked {} file(s) of the content tree: {}; {} error(s), {} warning(s)",
        files.len(),
        set.files,
        set.report.errors(),
        set.report.warnings()
    );
    match set.report.errors() {
        0 => Ok(()),
        errors => Err(CommandError::Invalid(errors)),
    }
}

fn generate(
    url: &DatabaseUrl,
    startups: usize,
    observations: usize,
    seed: u64,
) -> Result<(), CommandError> {
    let pool = open(url, 1)?;
    let mut conn = connection(&pool, url)?;
    db::migrate(&mut conn)?;
    let options = crate::generate::Options {
        startups,
        observations,
        seed,
        progress: true,
    };
    let summary = crate::generate::generate(&mut conn, &options)?;
    eprintln!("{summary}");
    Ok(())
}

fn token(url: &DatabaseUrl, command: TokenCommand) -> Result<(), CommandError> {
    let pool = open(url, 1)?;
    let mut conn = connection(&pool, url)?;
    db::migrate(&mut conn)?;
    let now = chrono::Utc::now().naive_utc();
    match command {
        TokenCommand::Create {
            name,
            scope,
            expires,
        } => {
            let request = TokenRequest {
                name,
                scope,
                expires_on: expires,
            };
            let token = db::tokens::issue(&mut conn, &request, now)?;
            // The token alone on standard output, so that a script can capture it.
            println!("{token}");
            let expiry = request.expires_on.map_or_else(
                || "does not expire".to_owned(),
                |d| format!("is valid through {d}"),
            );
            eprintln!(
                "created token `{}` (scope {}; it {expiry}). This is the only time it is shown: \
                 only its hash is stored, so keep it now.",
                request.name, request.scope
            );
            Ok(())
        }
        TokenCommand::List => {
            let tokens = Token::all(&mut conn)?;
            if tokens.is_empty() {
                eprintln!("no tokens; create one with `betadata token create`");
            } else {
                print!("{}", token_table(&tokens));
            }
            Ok(())
        }
        TokenCommand::Revoke { name } => match Token::revoke(&mut conn, &name, now)? {
            Revocation::Revoked => {
                eprintln!("revoked token `{name}`");
                Ok(())
            }
            Revocation::AlreadyRevoked(at) => Err(CommandError::AlreadyRevoked { name, at }),
            Revocation::NoSuchToken => Err(CommandError::NoSuchToken(name)),
        },
    }
}

/// The tokens as an aligned table (never their hashes), one per line after a header.
fn token_table(tokens: &[Token]) -> String {
    let time = |t: Option<chrono::NaiveDateTime>| {
        t.map_or_else(
            || "-".to_owned(),
            |t| t.format("%Y-%m-%d %H:%M").to_string(),
        )
    };
    let header = [
        "name",
        "scope",
        "created",
        "expires",
        "revoked",
        "last used",
    ]
    .map(String::from);
    let rows: Vec<[String; 6]> = std::iter::once(header)
        .chain(tokens.iter().map(|token| {
            [
                token.name.clone(),
                token.scope.clone(),
                time(Some(token.created_at)),
                token
                    .expires_on
                    .map_or_else(|| "never".to_owned(), |d| d.to_string()),
                time(token.revoked_at),
                time(token.last_used_at),
            ]
        }))
        .collect();
    let mut widths = [0; 6];
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut table = String::new();
    for row in &rows {
        let cells: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        table.push_str(cells.join("  ").trim_end());
        table.push('\n');
    }
    table
}

fn check(paths: &[PathBuf]) -> Result<(), CommandError> {
    let files = load::read_paths(paths)?;
    let (_, report) = seed::validate(&files, seed::KnownIds::default());
    print_report(&report);
    eprintln!(
        "checked {} file(s): {} error(s), {} warning(s)",
        files.len(),
        report.errors(),
        report.warnings()
    );
    match report.errors() {
        0 => Ok(()),
        errors => Err(CommandError::Invalid(errors)),
    }
}

fn serve(url: &DatabaseUrl, pool_size: u32, args: ServeArgs) -> Result<(), CommandError> {
    {
        // Migrations and the first seeding may take longer than a request may: their own
        // connection, without the time limit of the serving pool.
        let pool = open(url, 1)?;
        let mut conn = connection(&pool, url)?;
        let applied = db::migrate(&mut conn)?;
        if !applied.is_empty() {
            log::info!("applied {} migration(s) to {url}", applied.len());
        }
        db::keep_sampled_indexes(&mut conn)?;
        if let Some((counts, report)) = load::seed_if_empty(&mut conn)? {
            // Logged at the problem's own level: only a record left out is an error; the
            // seeds' known defects (a date their document misprints) load as warnings.
            for problem in &report.problems {
                let level = match problem.severity {
                    Severity::Warning => log::Level::Warn,
                    Severity::Error => log::Level::Error,
                };
                log::log!(level, "seed: {problem}");
            }
            log::info!("seeded an empty database: {counts}");
        }
        // Lines a migration, or a writer older than them, left stale.
        let (startups, metrics) = api::v1::refresh_export_lines_in_batches(&mut conn)?;
        if startups + metrics > 0 {
            log::info!(
                "rendered the export lines of {startups} startup(s) and {metrics} metric(s)"
            );
        }
    }
    let pool = db::connect_for_requests(url, pool_size, args.query_timeout).map_err(|source| {
        CommandError::Connect {
            url: url.clone(),
            source,
        }
    })?;
    let state = AppState::new(pool)
        .with_write_rate(args.write_rate)
        .with_query_timeout(args.query_timeout)
        .with_body_timeout(args.body_timeout)
        .with_cache(response_cache(&args));
    log::info!(
        "serving {url} on http://{}; writes limited to {} a minute per token; {} MiB of memory \
         and {} MiB of disk for responses kept per data revision; in-flight requests get {} s \
         to finish on SIGTERM",
        args.bind,
        args.write_rate,
        args.cache_mib,
        args.spool_mib,
        args.shutdown_timeout
    );
    let bind_error = |source| CommandError::Serve {
        bind: args.bind.clone(),
        source,
    };
    let stop = Arc::new(OnceLock::new());
    let timeout = args.shutdown_timeout;
    // The workers build their application when the server runs, after it is bound: without
    // `--public-url`, URLs name the address it is bound to.
    let bound_state: Arc<OnceLock<AppState>> = Arc::new(OnceLock::new());
    let workers_state = Arc::clone(&bound_state);
    let app = move || {
        let state = workers_state.get().cloned();
        api::app(state.expect("the state is set once bound, before the server runs"))
    };
    actix_web::rt::System::new().block_on(async {
        let listeners = bind(&args.bind).map_err(bind_error)?;
        let addrs = listeners
            .iter()
            .map(std::net::TcpListener::local_addr)
            .collect::<std::io::Result<Vec<_>>>()
            .map_err(bind_error)?;
        let public_url = public_url(&args, &addrs).map_err(bind_error)?;
        let _ = bound_state.set(state.with_public_url(public_url));
        let mut server = actix_server::Server::build()
            .shutdown_timeout(timeout)
            .shutdown_signal(stop_requested(Arc::clone(&stop), timeout));
        if let Some(workers) = args.workers {
            server = server.workers(workers);
        }
        for (listener, addr) in listeners.into_iter().zip(addrs) {
            let (app, args) = (app.clone(), args.clone());
            server = server
                .listen("betadata", listener, move || {
                    // A slow client is answered 408 and disconnected, an idle connection
                    // closed, and a closing one given up on: none holds a connection for ever.
                    let http = actix_http::HttpService::build()
                        .client_request_timeout(args.client_timeout)
                        .keep_alive(args.keep_alive)
                        .client_disconnect_timeout(args.disconnect_timeout)
                        .local_addr(addr)
                        .h1(actix_service::map_config(app(), |()| {
                            actix_web::dev::AppConfig::default()
                        }));
                    // Errors actix-http answers itself get their problem document too, and
                    // streamed answers are sent without Nagle's delay.
                    use actix_service::ServiceFactoryExt as _;
                    actix_service::fn_service(|io: actix_web::rt::net::TcpStream| async move {
                        Ok(api::http::accepted::accepted(io))
                    })
                    .and_then(http)
                })
                .map_err(bind_error)?;
        }
        server.run().await.map_err(bind_error)
    })?;
    if let Some(asked) = stop.get() {
        let drained = asked.elapsed();
        if drained.as_secs() >= timeout {
            log::warn!(
                "stopped after {:.2} s: requests still running at the shutdown timeout were cut",
                drained.as_secs_f64()
            );
        } else {
            log::info!(
                "stopped: in-flight requests drained in {:.2} s",
                drained.as_secs_f64()
            );
        }
    }
    Ok(())
}

/// Listens on every address `bind` resolves to (as actix-web's own server would).
fn bind(bind: &str) -> std::io::Result<Vec<std::net::TcpListener>> {
    use std::net::ToSocketAddrs;
    let listeners = bind
        .to_socket_addrs()?
        .map(std::net::TcpListener::bind)
        .collect::<std::io::Result<Vec<_>>>()?;
    if listeners.is_empty() {
        return Err(std::io::Error::other(format!("`{bind}` names no address")));
    }
    Ok(listeners)
}

/// Where the API is published: `--public-url`, else the first address bound, as the log says
/// (with what to set behind a reverse proxy).
fn public_url(args: &ServeArgs, bound: &[SocketAddr]) -> std::io::Result<PublicUrl> {
    let &[addr, ..] = bound else {
        return Err(std::io::Error::other("no address was bound"));
    };
    let public_url = PublicUrl::new(args.public_url.clone(), addr, args.trusted_proxies.clone());
    let base = public_url.base();
    match &public_url {
        PublicUrl::Configured(_) if !args.trusted_proxies.is_empty() => log::warn!(
            "absolute URLs start with {base}: --trusted-proxies is ignored, --public-url wins"
        ),
        PublicUrl::Configured(_) => log::info!("absolute URLs start with {base} (--public-url)"),
        PublicUrl::Bound { .. } => {
            let proxies = if args.trusted_proxies.is_empty() {
                ""
            } else {
                " (or what a trusted proxy forwards)"
            };
            let message = format!(
                "absolute URLs start with {base}, the bound address{proxies}; behind a reverse \
                 proxy, set --public-url (BETADATA_PUBLIC_URL) to the URL clients reach"
            );
            // Bound to more than this machine: other machines do not reach `localhost`.
            if addr.ip().is_loopback() {
                log::info!("{message}");
            } else {
                log::warn!("{message}");
            }
        }
    }
    Ok(public_url)
}

/// The cache of responses `args` ask for: in memory, and large exports on disk.
fn response_cache(args: &ServeArgs) -> ResponseCache {
    let parent = args.spool_dir.clone().unwrap_or_else(std::env::temp_dir);
    let spool = ExportSpool::new(parent, args.spool_mib.saturating_mul(1024 * 1024));
    spool.sweep_stale();
    ResponseCache::with_mib(args.cache_mib).with_spool(spool)
}

/// Resolves on SIGTERM or SIGINT, noting when in `asked`: the server then stops accepting
/// connections and gives the requests it is serving `timeout` seconds to finish.
async fn stop_requested(asked: Arc<OnceLock<Instant>>, timeout: u64) {
    use futures_util::future::{Either, select};
    use tokio::signal::unix::{SignalKind, signal};

    let (mut term, mut int) = match (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) {
        (Ok(term), Ok(int)) => (term, int),
        (Err(error), _) | (_, Err(error)) => {
            log::error!("cannot listen for SIGTERM and SIGINT ({error}); stop with SIGKILL");
            return std::future::pending().await;
        }
    };
    let name = match select(Box::pin(term.recv()), Box::pin(int.recv())).await {
        Either::Left(_) => "SIGTERM",
        Either::Right(_) => "SIGINT",
    };
    let _ = asked.set(Instant::now());
    log::info!(
        "{name} received: refusing new connections, draining in-flight requests (up to {timeout} s)"
    );
}
