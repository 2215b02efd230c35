//! `cwlogs-load`: a load generator for any CloudWatch Logs endpoint on this machine.
//!
//! It speaks raw awsJson1_1 (`POST /`, `X-Amz-Target: Logs_20140328.PutLogEvents`, SigV4-shaped
//! `Authorization`) over N keep-alive HTTP/1.1 connections, so the figures it reports are the
//! server's and not an SDK's. Request bodies are built before the clock starts; the run is
//! always bounded by a duration (and optionally a request count); the report includes the
//! tool's own CPU time so a reader can see whether the generator was the limit.
//!
//! Modules: [`config`] parses and validates the arguments, [`wire`] builds bodies and headers,
//! [`driver`] runs the connections, [`histogram`] keeps latencies, [`cpu`] reads `/proc`, and
//! [`report`] formats the result.

pub mod config;
pub mod cpu;
pub mod driver;
pub mod histogram;
pub mod report;
pub mod wire;

pub use config::{Args, LoadConfig};
pub use driver::run;
pub use report::Report;
