//! `betadata`: serve, migrate, import, check, openapi. See `betadata --help`.

use std::process::ExitCode;

use clap::Parser;

/// jemalloc rather than the system's allocator: a rendered page allocates and frees hundreds
/// of small buffers (rows, strings, JSON), and glibc's malloc and free took a quarter of its
/// CPU samples (BENCHMARKS.md, issue 18's twenty-first step).
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let cli = betadata::config::Cli::parse();
    match betadata::commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("betadata: {error}");
            ExitCode::FAILURE
        }
    }
}
