//! token-core: a pure, I/O-free state machine for writing one CloudWatch Logs stream.
//!
//! It decides batching under every PutLogEvents limit, sequence tokens, retries and reports.
//! It does not do I/O, read the clock, spawn tasks or depend on any AWS crate: callers pass
//! time in and carry requests to the service themselves.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod limits;

pub use limits::Limits;
