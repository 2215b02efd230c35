//! token-core: a pure, I/O-free state machine for writing one CloudWatch Logs stream.
//!
//! It decides everything about writing a stream: how events are batched under every PutLogEvents
//! limit, which events are rejected before they cost a request, which sequence token to send, when
//! and how to retry, when to create a missing group or stream, and what became of every event. It
//! does **not** do I/O, read the clock, spawn tasks, or depend on any AWS crate: the caller (a
//! *driver*, such as `sdk-adapter` on tokio) passes time in, carries requests to the service and
//! brings the outcomes back. Identical inputs give identical outputs, jitter included (it comes
//! from a generator seeded by [`WriterConfig::seed`]).
//!
//! # The drive contract
//!
//! One [`StreamWriter`] per (log group, log stream).
//!
//! **Inputs** (each takes `now`, milliseconds since the epoch as [`UnixMillis`]; the writer never
//! lets its own notion of time run backwards):
//! - [`push`](StreamWriter::push) an [`Event`]: returns its [`EventIds`], or an [`Error`] that hands
//!   the event back (empty message, full buffer under [`OverflowPolicy::Reject`], closed writer);
//! - [`handle_response`](StreamWriter::handle_response) with the [`RequestId`] of a request it
//!   issued and the [`Outcome`] the driver observed;
//! - [`handle_timeout`](StreamWriter::handle_timeout) when the deadline is reached;
//! - [`flush`](StreamWriter::flush) and [`close`](StreamWriter::close).
//!
//! **Outputs**, after *every* input, in this order:
//! 1. drain [`poll_request`](StreamWriter::poll_request) until `None` and send each [`Request`];
//! 2. drain [`poll_report`](StreamWriter::poll_report) until `None` ([`Report`]s say what became of
//!    events: every id ends in exactly one of `Delivered`, `Rejected` or `Dropped`);
//! 3. read [`poll_timeout`](StreamWriter::poll_timeout): a [`Deadline`] with its
//!    [`DeadlineReason`], at which to call `handle_timeout`, unless another input comes first.
//!
//! A request's answer must come back exactly once, as the outcome that best describes what
//! happened: [`Outcome::Unknown`] when it was sent but no answer came (timeout, connection lost),
//! [`Outcome::NotSent`] when it failed before leaving. The writer keeps its own retry discipline
//! (backoff, jitter, budget), so the driver must not retry by itself.
//!
//! # Example: the drive loop against a tiny fake service
//!
//! ```
//! use token_core::{Event, Outcome, Report, RequestKind, StreamWriter, UnixMillis, WriterConfig};
//!
//! // A fake service that stores what it is sent; the first put finds the stream missing.
//! struct Fake { stream_exists: bool, stored: Vec<String> }
//! impl Fake {
//!     fn answer(&mut self, kind: &RequestKind) -> Outcome {
//!         match kind {
//!             RequestKind::CreateLogStream { .. } => { self.stream_exists = true; Outcome::Created }
//!             RequestKind::PutLogEvents { .. } if !self.stream_exists => Outcome::ResourceNotFound {
//!                 what: token_core::Missing::LogStream,
//!             },
//!             RequestKind::PutLogEvents { events, .. } => {
//!                 self.stored.extend(events.iter().map(|e| e.message.clone()));
//!                 Outcome::accepted(None)
//!             }
//!             _ => Outcome::Created,
//!         }
//!     }
//! }
//!
//! let mut fake = Fake { stream_exists: false, stored: Vec::new() };
//! let mut writer = StreamWriter::new(WriterConfig::new("app", "web-1")).unwrap();
//! let mut now = UnixMillis(1_700_000_000_000);
//! let mut delivered = 0;
//!
//! writer.push(Event::new(now, "hello"), now).unwrap();
//! writer.push(Event::new(now, "world"), now).unwrap();
//! writer.close(now);
//!
//! // After every input: drain requests (answering each at once here), drain reports, then jump the
//! // virtual clock to the next deadline.
//! while !writer.is_closed() {
//!     while let Some(request) = writer.poll_request() {
//!         let outcome = fake.answer(&request.kind);
//!         writer.handle_response(request.id, outcome, now);
//!     }
//!     while let Some(report) = writer.poll_report() {
//!         if let Report::Delivered { ids } = report { delivered += ids.len(); }
//!     }
//!     if let Some(deadline) = writer.poll_timeout() {
//!         now = now.max(deadline.at);
//!         writer.handle_timeout(now);
//!     }
//! }
//! assert_eq!(delivered, 2);
//! assert_eq!(fake.stored, ["hello", "world"]);
//! assert_eq!(writer.counters().requests.create_log_stream, 1);
//! ```
//!
//! # What it decides
//! - **Batching** ([`Limits`]): bytes counted as UTF-8 message bytes + 26 per event, at most
//!   10,000 events, the per-event maximum, a 24 h span; sorted by timestamp with a stable sort.
//!   Triggers: a full batch, linger since the oldest buffered event, flush, close.
//! - **Oversized events** ([`OversizePolicy`]): split at UTF-8 boundaries, truncate, or drop.
//! - **Local pre-validation**: more than 2 h ahead, older than 14 days or than the retention.
//! - **Sequence tokens** ([`TokenMode`]): Sequential (one put in flight, no token on the first
//!   put, never DescribeLogStreams, `expectedSequenceToken` adopted, DataAlreadyAccepted =
//!   delivered, repeated conflicts back off) or Concurrent (never a token, N in flight; a
//!   token-enforcing service stops it with [`Report::Fatal`] instead of a spin).
//! - **Outcomes**: rejected-event indexes mapped exactly, missing resources created then the batch
//!   replayed, throttles and 5xx retried with capped full-jitter backoff under a retry budget,
//!   invalid batches bisected, unknown outcomes resent with the identical token (reported as
//!   possible duplicates unless DataAlreadyAccepted proves the first attempt landed), fatal errors
//!   stop sending without losing events. A backoff pauses every send of the writer, since
//!   throttling is account-wide.
//!
//! Every accepted event ends in exactly one of [`Report::Delivered`], [`Report::Rejected`] or
//! [`Report::Dropped`], or is still buffered or in flight
//! ([`buffered_events`](StreamWriter::buffered_events),
//! [`in_flight_events`](StreamWriter::in_flight_events)).
//! - **Buffer bounds** ([`BufferConfig`]) with an [`OverflowPolicy`], every drop reported, and an
//!   optional "N events dropped" marker event.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod batch;
mod buffer;
pub mod config;
pub mod counters;
pub mod error;
pub mod event;
pub mod limits;
pub mod outcome;
mod oversize;
pub mod report;
pub mod request;
mod retry;
pub mod rng;
pub mod time;
mod validate;
mod writer;

pub use config::{
    AutoCreate, BufferConfig, OverflowPolicy, OversizePolicy, RetryBudget, RetryPolicy, TokenMode,
    WriterConfig,
};
pub use counters::{Counters, RequestCounts, RetryCounts};
pub use error::Error;
pub use event::{Event, EventId, EventIds, LogEvent};
pub use limits::Limits;
pub use outcome::{Missing, Outcome, RejectedInfo};
pub use report::{DropReason, RejectReason, Rejector, Report};
pub use request::{LogEvents, Request, RequestId, RequestKind};
pub use rng::SplitMix64;
pub use time::{Deadline, DeadlineReason, UnixMillis};
pub use writer::StreamWriter;
