//! The tests that run the served `betadata` binary under stress and time it: killed mid-write,
//! its PostgreSQL restarted, stopped while it serves, starved by stalled clients. They are a
//! binary of their own so that their figures are not taken while the hundreds of in-process
//! tests of `integration` share the machine's cores.

#[path = "../common/mod.rs"]
mod common;

#[allow(unused_imports)] // not every binary spawns the server
use common::process;

mod faults;
mod kill;
mod shutdown;
mod starvation;
