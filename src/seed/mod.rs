//! The seed dataset: files in the project's YAML format, checked, then loaded.
//!
//! `seeds/` holds one YAML list per kind of record (see [`format`](mod@format)). The same files are
//! embedded in the binary, so a fresh database is seeded without them on disk.

pub mod content;
pub mod format;
pub mod load;
pub mod problems;
pub mod validate;

pub use format::SeedKind;
pub use problems::{Problem, Report, Severity};
pub use validate::{Dataset, KnownIds, SeedFile, validate};

/// The project's `seeds/` folder, compiled in.
pub fn embedded() -> Vec<SeedFile> {
    macro_rules! seed {
        ($kind:ident, $name:literal) => {
            SeedFile {
                path: concat!("seeds/", $name).to_owned(),
                kind: SeedKind::$kind,
                text: include_str!(concat!("../../seeds/", $name)).to_owned(),
            }
        };
    }
    vec![
        seed!(Sources, "sources.yaml"),
        seed!(Phases, "phases.yaml"),
        seed!(Organisations, "organisations.yaml"),
        seed!(Incubators, "incubators.yaml"),
        seed!(Startups, "startups.yaml"),
        seed!(Metrics, "metrics.yaml"),
    ]
}
