//! The integration tests of token-core, one binary with a module per behaviour; `support` holds the
//! scripted fake service, the drivers and the generators they share.

mod support;

mod arbitrary_answers;
mod batching;
mod buffer_bounds;
mod invalid_and_fatal;
mod local_validation;
mod missing_resources;
mod oversized_events;
mod properties;
mod rejected_events_info;
mod retries;
mod sequence_tokens;
mod simulation;
mod writers_pain_points;
