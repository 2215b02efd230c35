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
//! # Layers
//!
//! The folders of the crate are its architecture, and every import points down this list (a
//! check in `just lint`, `mock-server/tools/layers.py`, fails on an upward import or a circle):
//!
//! | layer | what it is |
//! |---|---|
//! | `server/` | hyper, the accept loop, shutdown; the composition root that wires the rest |
//! | `admin/` | `/_mock/`: one router, one answer type |
//! | `persistence/` | the state file: atomic snapshots, load at start |
//! | `chaos/` | what a test injects and observes: quotas, faults, background writers, stats |
//! | `pipeline.rs` | the hook seam between transport and decision: [`Before`] and [`After`] |
//! | `service/` | input validation from the catalogue, then `decide(state, request, now)` per family |
//! | `protocol/` | bytes to typed requests and answers; no state |
//! | `catalogue/` | the [`Operation`] enum and every input shape, generated from the service model |
//! | `config/`, `clock.rs`, `error.rs` | the ground: plain configuration data, the clocks, the error |
//!
//! `server/`'s module documentation walks one PutLogEvents request through them.
//!
//! # What is public
//!
//! The facade: [`MockServer`] and its builder, [`Config`] with its sections, [`Error`], the clocks,
//! and the [`Hook`] trait with the types it sees ([`ApiRequest`], [`Decision`], [`ApiResponse`],
//! [`ApiError`]). Beyond it, [`State`] (the decision on its own, with its store) and
//! [`sequence_token`] are public because the workspace's chaos suite (`cwlogs-tests`, tier 1) runs
//! the mock's decision in process on virtual time, thousands of scenarios a second, where sockets
//! would make it a thousand times slower.

#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![warn(unreachable_pub)]

mod admin;
mod catalogue;
mod chaos;
mod clock;
mod config;
mod error;
mod persistence;
mod pipeline;
mod protocol;
mod server;
mod service;

pub use catalogue::{Operation, BOTOCORE_VERSION, OPERATION_COUNT};
pub use clock::{Clock, ManualClock, ManualMonotonic, Monotonic, SystemClock, SystemMonotonic};
pub use config::admin::{AdminConfig, DEFAULT_MAX_WRITERS};
pub use config::faults::{Fault, FaultPlan, FaultRule, FaultsConfig};
pub use config::state::{Durability, StateConfig, DEFAULT_COMPACT_ABOVE_BYTES};
pub use config::throttle::{ThrottleConfig, ThrottlePreset, ThrottleRates};
pub use config::{parse_stored_bytes_cap, Config, Limits, TokenMode, DEFAULT_MAX_STORED_BYTES};
pub use error::{Error, StateFileError};
pub use pipeline::{After, Before, Hook};
pub use protocol::tokens::sequence_token;
pub use protocol::{ApiError, ApiRequest, ApiResponse};
pub use server::{MockServer, MockServerBuilder};
pub use service::store::{
    EventLog, GroupSettings, LogGroup, LogStream, Store, StoredEvent, StreamState,
};
pub use service::{Decision, State, Stored};
