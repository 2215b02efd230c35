//! cwlogs-mock: a CloudWatch Logs server on the real awsJson1_1 wire protocol.
//!
//! It is for tests and CI: any AWS SDK or the AWS CLI can talk to it through `--endpoint-url`.
//! It keeps everything in memory and is not a production log store. It implements log groups and
//! streams, PutLogEvents with every documented validation rule and both sequence-token semantics
//! (today's, where tokens are ignored, and the legacy strict one), GetLogEvents, FilterLogEvents,
//! retention and tags. It does not verify signatures, and it has one account and one store.
//!
//! ```no_run
//! # async fn demo() -> Result<(), mock_server::Error> {
//! let server = mock_server::MockServer::start(mock_server::Config::default()).await?;
//! println!("point the SDK at {}", server.endpoint());
//! server.shutdown().await?;
//! # Ok(()) }
//! ```
//!
//! Module map:
//! - [`server`]: hyper, routing (`/_mock/` → admin, the rest → pipeline), [`MockServer`];
//! - [`pipeline`]: the seams around the decision (hooks before and after it, one place where every
//!   answer passes);
//! - [`ops`]: the decision, [`State::decide`], one module per operation family;
//! - [`store`]: groups, streams and events, locked per stream;
//! - [`wire`], [`api_error`], [`input`], [`names`], [`tokens`], [`filter_pattern`]: the protocol's
//!   pieces (PutLogEvents bodies of the usual shape skip the `Value` tree: `put_json` reads them
//!   straight from the text into the typed `put_input`); [`admin_core`]: `/_mock/health` and `/_mock/events`;
//! - [`admin`]: the rest of the admin API and [`admin::Controls`], the hook that applies
//!   [`throttle`] quotas and [`faults`] and counts [`stats`]; [`background_writer`]: emulated
//!   neighbours on a stream; [`state_file`]: persistence across restarts.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod admin;
pub mod admin_core;
pub mod api_error;
pub mod background_writer;
pub mod clock;
pub mod config;
mod error;
pub mod faults;
pub mod filter_pattern;
pub mod input;
pub mod names;
pub mod ops;
pub mod pipeline;
mod put_input;
mod put_json;
pub mod server;
pub mod state_file;
pub mod stats;
pub mod store;
pub mod throttle;
pub mod tokens;
pub mod wire;

pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{Config, Limits, TokenMode};
pub use error::Error;
pub use ops::State;
pub use server::{MockServer, MockServerBuilder};
