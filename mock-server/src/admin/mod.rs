//! The admin API: JSON over HTTP on the mock's own port, under `/_mock/` (and two drop-in
//! endpoints of the other mocks, below).
//!
//! | Method and path | What it does |
//! |---|---|
//! | `POST /_mock/reset` | empties groups, streams, stats and the fault plan; stops background writers |
//! | `GET /_mock/stats` | counters per operation and per stream ([`crate::chaos::stats::StatsSnapshot`]) |
//! | `GET /_mock/metrics` | the same counters in the Prometheus text format |
//! | `GET`, `PUT`, `DELETE /_mock/faults` | read, replace, clear the fault plan ([`crate::config::faults::FaultPlan`]) |
//! | `POST /_mock/writers` | start a background writer ([`crate::chaos::writers::WriterSpec`]) |
//! | `GET /_mock/writers` | every background writer and how far it got |
//! | `GET`, `PUT /_mock/throttle` | read or replace the quotas ([`crate::config::throttle::ThrottleRates`]) |
//! | `GET /_mock/health` | `{"status":"ok"}` |
//! | `GET /_mock/events?logGroupName=G&logStreamName=S` | every stored event of the stream, in order, unpaginated (404 when the group or stream does not exist) |
//!
//! Two drop-in endpoints of the other mocks, so that suites written for them run unchanged:
//!
//! | Method and path | What it does |
//! |---|---|
//! | `POST /moto-api/reset` | what `POST /_mock/reset` does (moto's server-mode fixtures call it before every test) |
//! | `GET /_localstack/health` | `{"services":{"logs":"running"},...}`, as readiness checks written for LocalStack expect |
//!
//! Any other path under `/moto-api/` or `/_localstack/` is a 404 that says which ones exist,
//! never an empty success.
//!
//! One router ([`handle`]) answers every path with one answer type ([`AdminResponse`]). Admin
//! requests are never throttled or faulted, and bad input gets a 400 (a wrong method 405, an
//! unknown path 404) whose `error` member says what is wrong.

mod guard;

use std::sync::Arc;

use serde_json::{json, Value};

pub(crate) use guard::Headers;

use crate::chaos::controls::Controls;
use crate::chaos::writers::{StoreAppender, StreamAppender, WriterRefusal, WriterSpec};
use crate::clock::Clock;
use crate::config::faults::FaultPlan;
use crate::config::throttle::ThrottleRates;
use crate::service::State;

/// The path prefix of every admin endpoint.
pub(crate) const PREFIX: &str = "/_mock/";

/// The prefix of moto's own API (`/moto-api/reset` is answered).
const MOTO_PREFIX: &str = "/moto-api/";

/// The prefix of LocalStack's internal endpoints (`/_localstack/health` is answered).
const LOCALSTACK_PREFIX: &str = "/_localstack/";

/// Whether `path` belongs to the admin API (the mock's own or a drop-in one); every other path is
/// a CloudWatch Logs API request, as the service's endpoint treats it.
pub(crate) fn is_admin_path(path: &str) -> bool {
    path.starts_with(PREFIX) || path.starts_with(MOTO_PREFIX) || path.starts_with(LOCALSTACK_PREFIX)
}

/// The content type of the Prometheus text format.
pub(crate) const PROMETHEUS_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// What the admin API reads and changes: the decision state, the clock background writers stamp
/// their events with, and the controls.
#[derive(Clone)]
pub(crate) struct Admin {
    /// The store and configuration.
    pub(crate) state: Arc<State>,
    /// The server's wall clock.
    pub(crate) clock: Arc<dyn Clock>,
    /// Quotas, faults, counters and background writers.
    pub(crate) controls: Arc<Controls>,
}

impl Admin {
    /// How background writers reach the store.
    fn appender(&self) -> Arc<dyn StreamAppender> {
        Arc::new(StoreAppender {
            state: Arc::clone(&self.state),
            clock: Arc::clone(&self.clock),
            stats: Arc::clone(&self.controls.stats),
        })
    }
}

/// One admin request, independent of HTTP.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AdminRequest<'a> {
    /// The HTTP method, upper case.
    pub method: &'a str,
    /// The path, starting with `/_mock/`, without the query.
    pub path: &'a str,
    /// The raw query string (empty when there is none).
    pub query: &'a str,
    /// The body.
    pub body: &'a [u8],
    /// The headers the guard checks (`Host`, `Origin`, `Content-Type`).
    pub headers: Headers<'a>,
}

/// One admin answer, independent of HTTP.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AdminResponse {
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

    /// A 400 (or other) error whose `error` member says what is wrong.
    pub(crate) fn error(status: u16, message: impl Into<String>) -> Self {
        Self::json(status, &json!({ "error": message.into() }))
    }
}

/// Answers one admin request.
pub(crate) fn handle(admin: &Admin, request: &AdminRequest<'_>) -> AdminResponse {
    let config = &admin.state.config;
    let guard = guard::Guard {
        bind: config.bind,
        allowed_hosts: &config.admin.allowed_hosts,
    };
    if let Err(refusal) = guard.check(&request.headers, !request.body.is_empty()) {
        return AdminResponse::error(refusal.status, refusal.message);
    }
    if request.path.starts_with(MOTO_PREFIX) || request.path.starts_with(LOCALSTACK_PREFIX) {
        return drop_in(admin, request);
    }
    let controls = &admin.controls;
    let endpoint = request.path.strip_prefix(PREFIX).unwrap_or(request.path);
    let endpoint = endpoint.trim_end_matches('/');
    match (endpoint, request.method) {
        // A trailing slash is forgiven here as on every other endpoint (`/_mock/health/` was a
        // 404 while `/_mock/stats/` answered, issue 20).
        ("health", "GET") => AdminResponse::ok(&json!({ "status": "ok" })),
        ("events", "GET") => events(&admin.state, request.query),
        ("reset", "POST") => {
            reset(admin);
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
        ("writers", "POST") => match WriterSpec::from_json(request.body) {
            Ok(spec) => {
                match controls
                    .writers
                    .start(spec, admin.appender(), config.admin.max_writers)
                {
                    Ok(status) => AdminResponse::json(201, &to_json(&status)),
                    Err(WriterRefusal::Invalid(message)) => AdminResponse::error(400, message),
                    Err(WriterRefusal::TooMany(message)) => AdminResponse::error(429, message),
                }
            }
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
    }
}

/// Empties the store, the counters and the fault plan, and stops background writers.
fn reset(admin: &Admin) {
    admin.controls.reset();
    admin.state.store.clear();
}

/// The endpoints of moto's and LocalStack's own APIs that suites call around their tests.
fn drop_in(admin: &Admin, request: &AdminRequest<'_>) -> AdminResponse {
    // A trailing slash is forgiven, as under `/_mock/`.
    let path = match request.path.trim_end_matches('/') {
        "" => request.path,
        trimmed => trimmed,
    };
    match (path, request.method) {
        ("/moto-api/reset", "POST") => {
            reset(admin);
            AdminResponse::ok(&json!({ "status": "ok" }))
        }
        ("/_localstack/health", "GET" | "HEAD") => AdminResponse::ok(&json!({
            "services": { "logs": "running" },
            "edition": "cwlogs-mock",
            "version": env!("CARGO_PKG_VERSION"),
        })),
        ("/moto-api/reset" | "/_localstack/health", method) => {
            AdminResponse::error(405, format!("{method} is not allowed on {path}"))
        }
        _ => AdminResponse::error(
            404,
            format!(
                "cwlogs-mock answers only POST /moto-api/reset and GET /_localstack/health of the \
                 other mocks' APIs, not {} {}; its own admin API is under {PREFIX}",
                request.method, request.path
            ),
        ),
    }
}

fn events(state: &State, query: &str) -> AdminResponse {
    let params = parse_query(query);
    let get = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let (Some(group), Some(stream)) = (get("logGroupName"), get("logStreamName")) else {
        return AdminResponse::error(400, "logGroupName and logStreamName are required");
    };
    let Some(stream) = state.store.group(group).and_then(|g| g.stream(stream)) else {
        return AdminResponse::error(404, "no such log group or log stream");
    };
    let state = stream.lock();
    let events: Vec<Value> = state
        .events
        .iter()
        .map(|e| {
            json!({
                "timestamp": e.timestamp,
                "message": e.message,
                "ingestionTime": e.ingestion_time,
            })
        })
        .collect();
    AdminResponse::ok(&json!({ "events": events }))
}

/// Splits a query string into decoded `(name, value)` pairs.
pub(crate) fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

/// Decodes `%XX` escapes and `+` (as a space); invalid escapes are kept as they are.
pub(crate) fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
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
    use crate::clock::ManualClock;
    use crate::config::throttle::ThrottlePreset;
    use crate::config::Config;

    /// An admin API over an empty store, with the `aws` quotas and no faults.
    fn admin() -> Admin {
        Admin {
            state: Arc::new(State::new(Config::default())),
            clock: Arc::new(ManualClock::new(0)),
            controls: Arc::new(Controls::new(
                ThrottleRates::preset(ThrottlePreset::Aws),
                FaultPlan::default(),
                false,
                Arc::new(crate::clock::ManualMonotonic::default()),
            )),
        }
    }

    fn call(a: &Admin, method: &str, path: &str, body: &str) -> AdminResponse {
        let (path, query) = path.split_once('?').unwrap_or((path, ""));
        handle(
            a,
            &AdminRequest {
                method,
                path,
                query,
                body: body.as_bytes(),
                headers: Headers {
                    host: Some("127.0.0.1:4588"),
                    origin: None,
                    content_type: Some("application/json"),
                },
            },
        )
    }

    #[test]
    fn health_answers_ok_and_events_need_an_existing_stream() {
        let a = admin();
        let health = call(&a, "GET", "/_mock/health", "");
        assert_eq!(
            (health.status, health.body.as_str()),
            (200, r#"{"status":"ok"}"#)
        );
        let slash = call(&a, "GET", "/_mock/health/", "");
        assert_eq!(
            (slash.status, slash.body.as_str()),
            (200, r#"{"status":"ok"}"#)
        );
        let missing = call(
            &a,
            "GET",
            "/_mock/events?logGroupName=g&logStreamName=s",
            "",
        );
        assert_eq!(missing.status, 404);
        assert_eq!(call(&a, "GET", "/_mock/events", "").status, 400);
    }

    #[test]
    fn faults_round_trip_and_bad_plans_get_400_with_the_reason() {
        let a = admin();
        let c = &a.controls;
        let plan = r#"{"seed":5,"rules":[{"name":"x","fault":{"kind":"throttle"}}]}"#;
        let put = call(&a, "PUT", "/_mock/faults", plan);
        assert_eq!(put.status, 200);
        let got = call(&a, "GET", "/_mock/faults", "");
        let v: Value = serde_json::from_str(&got.body).unwrap();
        assert_eq!(v["seed"], 5);
        assert_eq!(v["rules"][0]["name"], "x");
        let bad = call(
            &a,
            "PUT",
            "/_mock/faults",
            r#"{"rules":[{"fault":{"kind":"boom"}}]}"#,
        );
        assert_eq!(bad.status, 400);
        assert!(bad.body.contains("boom"), "{}", bad.body);
        // A refused plan leaves the old one in force.
        assert_eq!(c.faults.plan().seed, 5);
        let cleared = call(&a, "DELETE", "/_mock/faults", "");
        // Compared as JSON values: key order follows serde_json's map, which another
        // crate in the build can switch to insertion order (`preserve_order`).
        let cleared: Value = serde_json::from_str(&cleared.body).unwrap();
        assert_eq!(cleared, json!({"rules": [], "seed": 0}));
    }

    #[test]
    fn reset_clears_store_and_controls() {
        let a = admin();
        let c = &a.controls;
        c.stats
            .record_request(Some(crate::catalogue::Operation::PutLogEvents), None);
        a.state
            .store
            .create_group("g", 0, Default::default())
            .unwrap();
        let r = call(&a, "POST", "/_mock/reset", "");
        assert_eq!(r.status, 200);
        assert!(a.state.store.groups().is_empty());
        assert!(c.stats.snapshot().operations.is_empty());
    }

    #[test]
    fn moto_reset_wipes_what_the_mocks_own_reset_wipes() {
        let a = admin();
        let c = &a.controls;
        c.stats
            .record_request(Some(crate::catalogue::Operation::PutLogEvents), None);
        c.faults.set_plan(
            FaultPlan::from_json(br#"{"rules":[{"fault":{"kind":"throttle"}}]}"#).unwrap(),
        );
        a.state
            .store
            .create_group("g", 0, Default::default())
            .unwrap();
        let r = call(&a, "POST", "/moto-api/reset", "");
        assert_eq!((r.status, r.body.as_str()), (200, r#"{"status":"ok"}"#));
        assert!(a.state.store.groups().is_empty());
        assert!(c.stats.snapshot().operations.is_empty());
        assert!(c.faults.plan().rules.is_empty());
        assert_eq!(call(&a, "GET", "/moto-api/reset", "").status, 405);
        assert_eq!(call(&a, "POST", "/moto-api/reset/", "").status, 200);
    }

    #[test]
    fn localstack_health_reports_logs_running() {
        let a = admin();
        let r = call(&a, "GET", "/_localstack/health", "");
        assert_eq!(r.status, 200);
        let v: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(v["services"], json!({"logs": "running"}));
        assert_eq!(call(&a, "POST", "/_localstack/health", "").status, 405);
    }

    #[test]
    fn other_drop_in_paths_are_refused_with_what_exists() {
        let a = admin();
        for path in ["/moto-api/", "/moto-api/data.json", "/_localstack/diagnose"] {
            let r = call(&a, "GET", path, "");
            assert_eq!(r.status, 404, "{path}");
            assert!(r.body.contains("/moto-api/reset"), "{path}: {}", r.body);
        }
        assert!(is_admin_path("/moto-api/reset"));
        assert!(is_admin_path("/_localstack/health"));
        assert!(!is_admin_path("/"));
        assert!(!is_admin_path("/moto-api"));
    }

    #[tokio::test]
    async fn writers_refuse_bad_specs_and_missing_streams() {
        let a = admin();
        let bad = call(&a, "POST", "/_mock/writers", r#"{"logGroupName":"g"}"#);
        assert_eq!(bad.status, 400);
        assert!(bad.body.contains("logStreamName"), "{}", bad.body);
        let missing = call(
            &a,
            "POST",
            "/_mock/writers",
            r#"{"logGroupName":"g","logStreamName":"s","ratePerSec":1,"durationMs":10}"#,
        );
        assert_eq!(missing.status, 400);
        assert!(missing.body.contains("does not exist"), "{}", missing.body);
        let list = call(&a, "GET", "/_mock/writers", "");
        assert_eq!(list.body, r#"{"writers":[]}"#);
    }

    #[test]
    fn stats_metrics_and_throttle_endpoints() {
        let a = admin();
        let c = &a.controls;
        c.stats.record_request(
            Some(crate::catalogue::Operation::GetLogEvents),
            Some("ThrottlingException"),
        );
        let stats: Value = serde_json::from_str(&call(&a, "GET", "/_mock/stats", "").body).unwrap();
        assert_eq!(stats["operations"]["GetLogEvents"]["throttled"], 1);
        let metrics = call(&a, "GET", "/_mock/metrics", "");
        assert_eq!(metrics.content_type, PROMETHEUS_CONTENT_TYPE);
        assert!(metrics
            .body
            .contains("cwlogs_mock_throttled_total{operation=\"GetLogEvents\"} 1"));
        let put = call(
            &a,
            "PUT",
            "/_mock/throttle",
            r#"{"per_account":{"GetLogEvents":2}}"#,
        );
        assert_eq!(put.status, 200, "{}", put.body);
        assert_eq!(c.throttler.rates().per_account.len(), 1);
        let bad = call(
            &a,
            "PUT",
            "/_mock/throttle",
            r#"{"per_account":{"GetLogEvents":-2}}"#,
        );
        assert_eq!(bad.status, 400);
        assert!(bad.body.contains(">= 0"), "{}", bad.body);
    }

    #[test]
    fn unknown_paths_and_methods_say_what_exists() {
        let a = admin();
        let nf = call(&a, "GET", "/_mock/nope", "");
        assert_eq!(nf.status, 404);
        assert!(nf.body.contains("known:"), "{}", nf.body);
        let na = call(&a, "POST", "/_mock/stats", "");
        assert_eq!(na.status, 405);
        assert!(na.body.contains("POST is not allowed"), "{}", na.body);
        let core = call(&a, "POST", "/_mock/health", "");
        assert_eq!(core.status, 405);
        assert!(core.body.contains("POST is not allowed"), "{}", core.body);
    }

    #[test]
    fn query_strings_are_decoded() {
        assert_eq!(
            parse_query("logGroupName=%2Fapp%2Fweb&logStreamName=a+b&x"),
            vec![
                ("logGroupName".into(), "/app/web".into()),
                ("logStreamName".into(), "a b".into()),
                ("x".into(), String::new()),
            ]
        );
        assert_eq!(percent_decode("%zz%"), "%zz%");
    }
}
