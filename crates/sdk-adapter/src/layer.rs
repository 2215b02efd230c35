//! A `tracing-subscriber` layer that ships the application's own `tracing` events to CloudWatch
//! Logs through a [`Shipper`].
//!
//! The layer must never ship the shipper's own activity: every request it sends runs through the
//! SDK, hyper and rustls, which emit `tracing` events of their own, and shipping those would make
//! each request cause more requests. Three guards, because each alone has a gap:
//!
//! 1. the shipper's tasks run inside a span named [`INTERNAL_SPAN`]; events under it are skipped
//!    (when a filter disables that span, guard 2 still holds);
//! 2. events whose target belongs to the shipping machinery (`sdk_adapter`, `token_core`, `aws_*`,
//!    `hyper*`, `h2`, `rustls`, `tower`) are skipped;
//! 3. a thread-local flag skips anything emitted while the layer itself is handing an event over.
//!
//! Events are handed over with [`Shipper::try_send`], which never waits: logging must not block
//! the application. When the buffer is full, the overflow policy decides and the report counts it.

use crate::shipper::Shipper;
use std::cell::Cell;
use std::fmt::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};
use token_core::Event;
use tracing::field::{Field, Visit};
use tracing::Subscriber;
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

/// The name of the span the shipper's background tasks run in.
pub const INTERNAL_SPAN: &str = "sdk_adapter_internal";

/// Targets whose events are never shipped: the shipper's own stack.
const OWN_TARGETS: &[&str] = &[
    "sdk_adapter",
    "token_core",
    "aws_",
    "hyper",
    "h2",
    "rustls",
    "tower",
];

thread_local! {
    static HANDING_OVER: Cell<bool> = const { Cell::new(false) };
}

/// Ships every `tracing` event that passes its filter to one log stream of a [`Shipper`], as one
/// line: `LEVEL target: message key=value ...`.
#[derive(Debug, Clone)]
pub struct ShipperLayer {
    shipper: Shipper,
    stream: Option<String>,
}

impl ShipperLayer {
    /// A layer writing to the shipper's default (first) stream.
    pub fn new(shipper: Shipper) -> Self {
        Self {
            shipper,
            stream: None,
        }
    }

    /// Writes to `log_stream` (one of the shipper's streams) instead of the default one.
    pub fn to_stream(mut self, log_stream: impl Into<String>) -> Self {
        self.stream = Some(log_stream.into());
        self
    }
}

impl<S> Layer<S> for ShipperLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_event(&self, event: &tracing::Event<'_>, ctx: Context<'_, S>) {
        let meta = event.metadata();
        if OWN_TARGETS.iter().any(|t| meta.target().starts_with(t)) {
            return;
        }
        if let Some(scope) = ctx.event_scope(event) {
            if scope.into_iter().any(|span| span.name() == INTERNAL_SPAN) {
                return;
            }
        }
        if HANDING_OVER.with(Cell::get) {
            return;
        }
        let mut line = format!("{} {}:", meta.level(), meta.target());
        event.record(&mut LineVisitor(&mut line));
        let timestamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        HANDING_OVER.with(|flag| flag.set(true));
        let event = Event::new(timestamp, line);
        // A refused event (full buffer under Reject, closed shipper) cannot be logged anywhere
        // without risking a loop; token-core counts refused pushes in the counters.
        let _ = match &self.stream {
            Some(stream) => self.shipper.try_send_to(stream, event),
            None => self.shipper.try_send(event),
        };
        HANDING_OVER.with(|flag| flag.set(false));
    }
}

/// Writes ` message key=value ...` after the level and target.
struct LineVisitor<'a>(&'a mut String);

impl Visit for LineVisitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            let _ = write!(self.0, " {value}");
        } else {
            let _ = write!(self.0, " {}={value:?}", field.name());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.0, " {value:?}");
        } else {
            let _ = write!(self.0, " {}={value:?}", field.name());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_targets_cover_the_shipping_stack() {
        for target in [
            "sdk_adapter::shipper",
            "aws_smithy_runtime::client::orchestrator",
            "aws_sdk_cloudwatchlogs",
            "hyper_util::client::legacy::pool",
            "h2::proto",
            "rustls::client",
        ] {
            assert!(
                OWN_TARGETS.iter().any(|t| target.starts_with(t)),
                "{target}"
            );
        }
        assert!(!OWN_TARGETS.iter().any(|t| "my_app::handler".starts_with(t)));
    }
}
