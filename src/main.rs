//! `betadata`: serve, migrate, import, check, openapi. See `betadata --help`.

use std::process::ExitCode;

use clap::Parser;

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
