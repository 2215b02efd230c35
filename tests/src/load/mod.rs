//! `cwlogs-load`: a load generator for any CloudWatch Logs endpoint on this machine.
//!
//! It speaks raw awsJson1_1 (`POST /`, `X-Amz-Target: Logs_20140328.PutLogEvents`, SigV4-shaped
//! `Authorization`) over N keep-alive HTTP/1.1 connections, so the figures it reports are the
//! server's and not an SDK's. Request bodies are built before the clock starts; the run is
//! always bounded by a duration (and optionally a request count); the report includes the
//! tool's own CPU time so a reader can see whether the generator was the limit.
//!
//! # Scope: loopback only
//!
//! The tool refuses any endpoint that does not resolve to a loopback address (127.0.0.0/8 or
//! `::1`) before it opens a connection ([`config::parse_endpoint`]). That is deliberate, for three
//! reasons. It sends as fast as the server answers for as long as it is told, which against a
//! shared or paid service is a flood (throttling for everyone on the account, and a bill), not a
//! measurement. Its signatures are only SigV4-*shaped*, so a real CloudWatch Logs endpoint would
//! reject every request anyway. And the figures it reports (latency, the server's CPU through
//! `--server-pid`) only mean what they say when the server runs on the same machine. Measuring a
//! remote endpoint is therefore out of scope; `tests/bench/run.sh` and BENCHMARKS.md only ever
//! use local servers.
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
