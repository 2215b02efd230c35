//! sdk-adapter: ships logs to CloudWatch Logs with the official `aws-sdk-cloudwatchlogs` client on
//! tokio, driven by token-core.
//!
//! **What it does.** It moves requests and outcomes between token-core's
//! [`StreamWriter`](token_core::StreamWriter) and the SDK, sleeps until the writer's next deadline,
//! and offers a small async API: a cloneable [`Shipper`] with `send`/`try_send`,
//! `flush(deadline)`, `shutdown(deadline)` returning a [`DeliveryReport`], and counters.
//!
//! **What it does not do.** It decides nothing token-core decides: batching, sequence tokens,
//! retries, backoff, pre-validation, overflow and reports are all token-core's. The SDK's own
//! retries are disabled on the shipper's copy of the client so that token-core is the only retry
//! authority, and a per-request timeout turns a hung connection into an unknown outcome.
//!
//! - [`mapping`] turns every SDK result into a token-core [`Outcome`](token_core::Outcome); it is
//!   public so that other drivers can reuse it.
//! - One background task per stream: a throttled or failing stream does not hold up another.
//! - [`ShipperLayer`] ships the application's own `tracing` events, never the shipper's.
//! - The `cwlogs-ship` binary in this crate ships lines from stdin or files (see the README).
//!
//! # Example
//!
//! Ship a few events with your own client, then shut down and read the report. (This example runs
//! as a doc test: hidden lines start an in-process `cwlogs-mock` on loopback and point the client
//! at it with test credentials; your code would leave them out.)
//!
//! ```
//! use aws_config::BehaviorVersion;
//! use sdk_adapter::{Event, Shipper, TokenMode, WriterConfig};
//! use std::time::{Duration, SystemTime, UNIX_EPOCH};
//! use tokio::time::Instant;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let mock = mock_server::MockServer::start(mock_server::Config::default()).await?;
//! // Credentials, region and endpoint (AWS_ENDPOINT_URL too) come from the usual places.
//! let sdk = aws_config::defaults(BehaviorVersion::latest())
//! #   .endpoint_url(mock.endpoint())
//! #   .region(aws_sdk_cloudwatchlogs::config::Region::new("us-east-1"))
//! #   .credentials_provider(aws_credential_types::Credentials::new(
//! #       "AKIDEXAMPLE", "secret", None, None, "doc-example",
//! #   ))
//!     .load()
//!     .await;
//! let client = aws_sdk_cloudwatchlogs::Client::new(&sdk);
//!
//! // The group and stream are created if missing (token-core's `auto_create`, on by default).
//! let shipper = Shipper::builder(client, "my-service")
//!     .stream("instance-1")
//!     .writer_config(WriterConfig {
//!         token_mode: TokenMode::Concurrent { max_in_flight: 4 },
//!         ..WriterConfig::new("", "")
//!     })
//!     .build()?;
//!
//! let now_ms = SystemTime::now().duration_since(UNIX_EPOCH)?.as_millis() as i64;
//! for i in 0..3 {
//!     shipper.send(Event::new(now_ms, format!("hello {i}"))).await?;
//! }
//!
//! // Everything is sent, then whatever is left at the deadline is reported as undelivered.
//! let report = shipper.shutdown(Instant::now() + Duration::from_secs(60)).await;
//! assert_eq!(report.total.delivered, 3, "{report:?}");
//! assert_eq!(report.total.undelivered, 0);
//! # mock.shutdown().await?;
//! # Ok(())
//! # }
//! ```

// The README follows the overview, so that its examples are compiled as doc tests too.
#![doc = ""]
#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod error;
pub mod layer;
pub mod mapping;
mod report;
pub mod ship;
mod shipper;

pub use error::Error;
pub use layer::ShipperLayer;
pub use report::{DeliveryReport, Tally};
pub use shipper::{Shipper, ShipperBuilder, DEFAULT_REQUEST_TIMEOUT, DROP_GRACE};

// The token-core types a user of the shipper needs, so that one dependency is enough.
pub use token_core::{
    AutoCreate, BufferConfig, Counters, Event, EventId, EventIds, Limits, OverflowPolicy,
    OversizePolicy, RetryBudget, RetryPolicy, TokenMode, UnixMillis, WriterConfig,
};
