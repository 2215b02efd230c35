//! The integration tests of sdk-adapter, one binary with a module per behaviour (one link of the
//! AWS SDK and of cwlogs-mock instead of one per file). `support` holds what they share.

mod support;

mod against_mock;
#[cfg(feature = "cli")] // runs the cwlogs-ship binary, which needs the `cli` feature
mod cli;
mod outcome_mapping;
mod prompt_sending;
mod shipper_behaviour;
mod tracing_layer;
mod transport_failures;
