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
//! ```no_run
//! use sdk_adapter::{Event, Shipper, TokenMode, WriterConfig};
//! use std::time::Duration;
//! use tokio::time::Instant;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! // Credentials, region and endpoint (AWS_ENDPOINT_URL too) come from the usual places.
//! let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
//! let client = aws_sdk_cloudwatchlogs::Client::new(&sdk);
//!
//! let shipper = Shipper::builder(client, "my-service")
//!     .stream("instance-1")
//!     .writer_config(WriterConfig {
//!         token_mode: TokenMode::Concurrent { max_in_flight: 4 },
//!         ..WriterConfig::new("", "")
//!     })
//!     .build()?;
//!
//! let now_ms = 1_700_000_000_000; // milliseconds since the epoch
//! shipper.send(Event::new(now_ms, "hello")).await?;
//!
//! let report = shipper.shutdown(Instant::now() + Duration::from_secs(5)).await;
//! println!(
//!     "delivered {}, undelivered {}",
//!     report.total.delivered, report.total.undelivered
//! );
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
