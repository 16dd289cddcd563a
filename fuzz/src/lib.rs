//! The project's parsers of untrusted text, compiled from their own source files so that the
//! fuzz build needs neither the web server nor the database drivers.

#[path = "../../src/domain/dates.rs"]
pub mod dates;

#[path = "../../src/seed/content/front_matter.rs"]
pub mod front_matter;

/// What `front_matter` names of the domain.
#[path = "../../src/domain"]
pub mod domain {
    pub mod source;
}
