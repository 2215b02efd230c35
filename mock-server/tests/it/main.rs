//! The integration tests of cwlogs-mock, one binary with a module per behaviour (one link of the
//! AWS SDK instead of one per file). `support` holds what they share: servers, SDK clients, a raw
//! HTTP client and the oracle reads.

mod support;

mod admin_api;
mod admin_guard;
mod background_writer_conflicts;
#[cfg(feature = "cli")] // runs the cwlogs-mock binary, which needs the `cli` feature
mod binary;
mod catalogue_drift;
mod concurrency;
mod config_file_docs;
mod config_stored_bytes_cap;
mod decide_put_log_events;
mod decide_realism_knobs;
mod decide_validation;
mod faults_kinds;
mod faults_lost_response_strict;
mod faults_race_and_visibility;
mod filter_log_events;
mod get_log_events;
mod log_groups;
mod log_streams;
mod pipeline_hooks;
mod put_log_events;
mod request_path_proptest;
mod retention_and_tags;
mod server_lifecycle;
mod slow_clients;
#[cfg(feature = "cli")]
mod state_file_binary;
#[cfg(feature = "cli")] // kills and restarts the cwlogs-mock binary
mod state_file_crash;
mod state_file_restart;
mod throttle_presets;
mod tokens_current;
mod tokens_strict;
mod wire_protocol;
