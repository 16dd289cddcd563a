//! The HTTP machinery every route shares, whatever resource it serves: the error type and its
//! problem documents, bounds on requests and bodies, authentication and the rate limit of
//! writes, conditional requests and the response cache, the spool and the spill of exports,
//! the shares of the pool, the public URL, the clock, the application state, and what each
//! accepted connection gets.

pub mod accepted;
pub mod at_revision;
pub mod auth;
pub mod bare_errors;
pub mod body;
pub mod bulkheads;
pub mod byte_bound;
pub mod caching;
pub mod clock;
pub mod deprecation;
pub mod error;
pub mod framing_errors;
pub mod limits;
pub mod public_url;
pub mod query;
pub mod response_cache;
pub mod spill;
pub mod spool;
pub mod state;
pub mod write_limit;
