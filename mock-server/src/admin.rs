//! The admin API: JSON over HTTP on the mock's own port, under `/_mock/`.
//!
//! | Method and path | What it does |
//! |---|---|
//! | `POST /_mock/reset` | empties groups, streams, stats and the fault plan; stops background writers |
//! | `GET /_mock/stats` | counters per operation and per stream ([`crate::stats::StatsSnapshot`]) |
//! | `GET /_mock/metrics` | the same counters in the Prometheus text format |
//! | `GET`, `PUT`, `DELETE /_mock/faults` | read, replace, clear the fault plan ([`crate::faults::FaultPlan`]) |
//! | `POST /_mock/writers` | start a background writer ([`crate::background_writer::WriterSpec`]) |
//! | `GET /_mock/writers` | every background writer and how far it got |
//! | `GET`, `PUT /_mock/throttle` | read or replace the quotas ([`crate::throttle::ThrottleRates`]) |
//!
//! `GET /_mock/health` and `GET /_mock/events` belong to the server core; [`handle`] leaves them to
//! it by returning `None`, but answers any other method on them with the same 405 as elsewhere.
//! Admin requests are never throttled or faulted, and bad input gets a 400 whose `error` member
//! says what is wrong.

pub mod controls;

use std::sync::Arc;

use serde_json::{json, Value};

use crate::background_writer::{StreamAppender, WriterSpec};
use crate::faults::FaultPlan;
use crate::throttle::ThrottleRates;

pub use controls::Controls;

/// The path prefix of every admin endpoint.
pub const PREFIX: &str = "/_mock/";

/// The content type of the Prometheus text format.
pub const PROMETHEUS_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// What the admin API needs from the server besides the [`Controls`].
pub trait AdminBackend: Send + Sync {
    /// Removes every log group (and so every stream and event).
    fn clear_store(&self);

    /// The way background writers reach the store.
    fn appender(&self) -> Arc<dyn StreamAppender>;
}

/// The server's side of the admin API: its store, clock and controls.
impl AdminBackend for crate::pipeline::Pipeline {
    fn clear_store(&self) {
        self.state.store.clear();
    }

    fn appender(&self) -> Arc<dyn StreamAppender> {
        Arc::new(crate::background_writer::StoreAppender {
            state: Arc::clone(&self.state),
            clock: Arc::clone(&self.clock),
            controls: Arc::clone(&self.controls),
        })
    }
}

/// One admin request, independent of HTTP.
#[derive(Debug, Clone, Copy)]
pub struct AdminRequest<'a> {
    /// The HTTP method, upper case.
    pub method: &'a str,
    /// The path, starting with `/_mock/`, without the query.
    pub path: &'a str,
    /// The body.
    pub body: &'a [u8],
}

/// One admin answer, independent of HTTP.
#[derive(Debug, Clone, PartialEq)]
pub struct AdminResponse {
    /// HTTP status.
    pub status: u16,
    /// `Content-Type`.
    pub content_type: &'static str,
    /// The body.
    pub body: String,
}

impl AdminResponse {
    fn json(status: u16, value: &Value) -> Self {
        Self {
            status,
            content_type: "application/json",
            body: value.to_string(),
        }
    }

    fn ok(value: &Value) -> Self {
        Self::json(200, value)
    }

    /// A JSON answer whose body is already encoded.
    pub fn json_body(status: u16, body: String) -> Self {
        Self {
            status,
            content_type: "application/json",
            body,
        }
    }

    /// A 400 (or other) error whose `error` member says what is wrong.
    pub fn error(status: u16, message: impl Into<String>) -> Self {
        Self::json(status, &json!({ "error": message.into() }))
    }
}

/// Answers one admin request, or returns `None` for the endpoints the server core serves itself
/// (`GET /_mock/health`, `GET /_mock/events`).
pub fn handle(
    controls: &Controls,
    backend: &dyn AdminBackend,
    request: &AdminRequest<'_>,
) -> Option<AdminResponse> {
    let endpoint = request.path.strip_prefix(PREFIX).unwrap_or(request.path);
    let endpoint = endpoint.trim_end_matches('/');
    let response = match (endpoint, request.method) {
        ("health" | "events", "GET") => return None,
        ("reset", "POST") => {
            controls.reset();
            backend.clear_store();
            AdminResponse::ok(&json!({ "status": "reset" }))
        }
        ("stats", "GET") => AdminResponse::ok(&controls.stats.snapshot().to_json()),
        ("metrics", "GET") => AdminResponse {
            status: 200,
            content_type: PROMETHEUS_CONTENT_TYPE,
            body: controls.stats.snapshot().to_prometheus(),
        },
        ("faults", "GET") => AdminResponse::ok(&plan_json(&controls.faults.plan())),
        ("faults", "PUT") => match FaultPlan::from_json(request.body) {
            Ok(plan) => {
                controls.faults.set_plan(plan.clone());
                AdminResponse::ok(&plan_json(&plan))
            }
            Err(message) => AdminResponse::error(400, message),
        },
        ("faults", "DELETE") => {
            controls.faults.clear();
            AdminResponse::ok(&plan_json(&FaultPlan::default()))
        }
        ("writers", "POST") => match WriterSpec::from_json(request.body)
            .and_then(|spec| controls.writers.start(spec, backend.appender()))
        {
            Ok(status) => AdminResponse::json(201, &to_json(&status)),
            Err(message) => AdminResponse::error(400, message),
        },
        ("writers", "GET") => AdminResponse::ok(&json!({ "writers": controls.writers.list() })),
        ("throttle", "GET") => AdminResponse::ok(&to_json(&controls.throttler.rates())),
        ("throttle", "PUT") => match parse_rates(request.body) {
            Ok(rates) => {
                controls.throttler.set_rates(rates.clone());
                AdminResponse::ok(&to_json(&rates))
            }
            Err(message) => AdminResponse::error(400, message),
        },
        (
            "health" | "events" | "reset" | "stats" | "metrics" | "faults" | "writers" | "throttle",
            method,
        ) => AdminResponse::error(405, format!("{method} is not allowed on {}", request.path)),
        _ => AdminResponse::error(
            404,
            format!(
                "no admin endpoint {}; known: health, reset, stats, metrics, faults, writers, \
                 throttle, events (all under {PREFIX})",
                request.path
            ),
        ),
    };
    Some(response)
}

fn parse_rates(body: &[u8]) -> Result<ThrottleRates, String> {
    let rates: ThrottleRates =
        serde_json::from_slice(body).map_err(|e| format!("invalid throttle rates: {e}"))?;
    rates.validate()?;
    Ok(rates)
}

fn plan_json(plan: &FaultPlan) -> Value {
    to_json(plan)
}

fn to_json<T: serde::Serialize>(value: &T) -> Value {
    // Our own plain data types always serialise; Null is the harmless fallback.
    serde_json::to_value(value).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::throttle::ThrottlePreset;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[derive(Default)]
    struct Backend {
        cleared: AtomicUsize,
    }

    struct NoStreams;

    impl StreamAppender for NoStreams {
        fn stream_exists(&self, _: &str, _: &str) -> bool {
            false
        }
        fn append(&self, _: &str, _: &str, _: String) -> Result<(), String> {
            Err("no".into())
        }
    }

    impl AdminBackend for Backend {
        fn clear_store(&self) {
            self.cleared.fetch_add(1, Ordering::SeqCst);
        }
        fn appender(&self) -> Arc<dyn StreamAppender> {
            Arc::new(NoStreams)
        }
    }

    fn call(c: &Controls, b: &Backend, method: &str, path: &str, body: &str) -> AdminResponse {
        handle(
            c,
            b,
            &AdminRequest {
                method,
                path,
                body: body.as_bytes(),
            },
        )
        .unwrap()
    }

    fn controls() -> Controls {
        Controls::new(
            ThrottleRates::preset(ThrottlePreset::Aws),
            FaultPlan::default(),
            false,
        )
    }

    #[test]
    fn health_and_events_are_left_to_the_core() {
        let (c, b) = (controls(), Backend::default());
        for path in ["/_mock/health", "/_mock/events"] {
            let req = AdminRequest {
                method: "GET",
                path,
                body: b"",
            };
            assert!(handle(&c, &b, &req).is_none());
        }
    }

    #[test]
    fn faults_round_trip_and_bad_plans_get_400_with_the_reason() {
        let (c, b) = (controls(), Backend::default());
        let plan = r#"{"seed":5,"rules":[{"name":"x","fault":{"kind":"throttle"}}]}"#;
        let put = call(&c, &b, "PUT", "/_mock/faults", plan);
        assert_eq!(put.status, 200);
        let got = call(&c, &b, "GET", "/_mock/faults", "");
        let v: Value = serde_json::from_str(&got.body).unwrap();
        assert_eq!(v["seed"], 5);
        assert_eq!(v["rules"][0]["name"], "x");
        let bad = call(
            &c,
            &b,
            "PUT",
            "/_mock/faults",
            r#"{"rules":[{"fault":{"kind":"boom"}}]}"#,
        );
        assert_eq!(bad.status, 400);
        assert!(bad.body.contains("boom"), "{}", bad.body);
        // A refused plan leaves the old one in force.
        assert_eq!(c.faults.plan().seed, 5);
        let cleared = call(&c, &b, "DELETE", "/_mock/faults", "");
        // Compared as JSON values: key order follows serde_json's map, which another
        // crate in the build can switch to insertion order (`preserve_order`).
        let cleared: Value = serde_json::from_str(&cleared.body).unwrap();
        assert_eq!(cleared, json!({"rules": [], "seed": 0}));
    }

    #[test]
    fn reset_clears_store_and_controls() {
        let (c, b) = (controls(), Backend::default());
        c.stats.record_request("PutLogEvents", None);
        let r = call(&c, &b, "POST", "/_mock/reset", "");
        assert_eq!(r.status, 200);
        assert_eq!(b.cleared.load(Ordering::SeqCst), 1);
        assert!(c.stats.snapshot().operations.is_empty());
    }

    #[tokio::test]
    async fn writers_refuse_bad_specs_and_missing_streams() {
        let (c, b) = (controls(), Backend::default());
        let bad = call(&c, &b, "POST", "/_mock/writers", r#"{"logGroupName":"g"}"#);
        assert_eq!(bad.status, 400);
        assert!(bad.body.contains("logStreamName"), "{}", bad.body);
        let missing = call(
            &c,
            &b,
            "POST",
            "/_mock/writers",
            r#"{"logGroupName":"g","logStreamName":"s","ratePerSec":1,"durationMs":10}"#,
        );
        assert_eq!(missing.status, 400);
        assert!(missing.body.contains("does not exist"), "{}", missing.body);
        let list = call(&c, &b, "GET", "/_mock/writers", "");
        assert_eq!(list.body, r#"{"writers":[]}"#);
    }

    #[test]
    fn stats_metrics_and_throttle_endpoints() {
        let (c, b) = (controls(), Backend::default());
        c.stats
            .record_request("GetLogEvents", Some("ThrottlingException"));
        let stats: Value =
            serde_json::from_str(&call(&c, &b, "GET", "/_mock/stats", "").body).unwrap();
        assert_eq!(stats["operations"]["GetLogEvents"]["throttled"], 1);
        let metrics = call(&c, &b, "GET", "/_mock/metrics", "");
        assert_eq!(metrics.content_type, PROMETHEUS_CONTENT_TYPE);
        assert!(metrics
            .body
            .contains("cwlogs_mock_throttled_total{operation=\"GetLogEvents\"} 1"));
        let put = call(
            &c,
            &b,
            "PUT",
            "/_mock/throttle",
            r#"{"per_account":{"GetLogEvents":2}}"#,
        );
        assert_eq!(put.status, 200, "{}", put.body);
        assert_eq!(c.throttler.rates().per_account.len(), 1);
        let bad = call(
            &c,
            &b,
            "PUT",
            "/_mock/throttle",
            r#"{"per_account":{"GetLogEvents":-2}}"#,
        );
        assert_eq!(bad.status, 400);
        assert!(bad.body.contains(">= 0"), "{}", bad.body);
    }

    #[test]
    fn unknown_paths_and_methods_say_what_exists() {
        let (c, b) = (controls(), Backend::default());
        let nf = call(&c, &b, "GET", "/_mock/nope", "");
        assert_eq!(nf.status, 404);
        assert!(nf.body.contains("known:"), "{}", nf.body);
        let na = call(&c, &b, "POST", "/_mock/stats", "");
        assert_eq!(na.status, 405);
        assert!(na.body.contains("POST is not allowed"), "{}", na.body);
        let core = call(&c, &b, "POST", "/_mock/health", "");
        assert_eq!(core.status, 405);
        assert!(core.body.contains("POST is not allowed"), "{}", core.body);
    }
}
