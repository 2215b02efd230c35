//! A reference model of CloudWatch Logs' groups, streams and sequence tokens, and the machinery
//! that runs it in lockstep with cwlogs-mock's pure decision (`mock_server::State::decide`).
//!
//! - [`service`]: the model, from CLOUDWATCH.md alone;
//! - [`answer`] and [`request`]: what is asked and answered, independent of either side;
//! - [`wire`]: the mock's JSON in and out;
//! - [`renaming`]: the one-to-one map between model and mock tokens, and answer comparison;
//! - [`gen`]: generated request sequences;
//! - [`lockstep`]: both sides driven together, with a transcript.

pub mod answer;
pub mod gen;
pub mod lockstep;
pub mod renaming;
pub mod request;
pub mod service;
pub mod wire;
