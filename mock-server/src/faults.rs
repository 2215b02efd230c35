//! Seeded, reproducible fault injection.
//!
//! A [`FaultPlan`] is a seed plus rules. Each rule matches requests by operation, log group and log
//! stream (each optional), decides whether to fire by probability and/or on the nth matching call,
//! fires at most `times` times, and applies one [`Fault`]. Rules are tried in priority order (lower
//! number first, as in wiremock); the first one that fires wins, but every matching rule counts the
//! call, so a rule's "nth matching call" does not depend on the other rules.
//!
//! Reproducibility: the random draw for a rule's k-th matching call is a pure function of
//! (seed, rule position, k). There is no shared random stream that concurrent requests could consume
//! in a different order, so the same seed and the same request sequence give the same faults, and a
//! rule's decisions do not shift when another rule is added.
//!
//! Where each fault acts in the request pipeline:
//! - before the decision: `throttle`, `service_unavailable`, `internal_error`, `error` (answered
//!   without touching the store), `latency` (a delay, then normal processing),
//!   `reset_before_commit` (connection closed, nothing stored);
//! - after the commit: `lost_response` (stored, then the connection closes without an answer) and
//!   `slow_response` (stored, then answered only after a long delay).

use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Default delay of `slow_response`: 90 s, longer than common client read timeouts (botocore and
/// the AWS CLI wait 60 s for a read), so that such a client gives up before the answer comes.
pub const DEFAULT_SLOW_RESPONSE_MS: u64 = 90_000;

/// The HTTP statuses an `error` fault may answer with: client and server errors only.
pub const ERROR_STATUSES: std::ops::RangeInclusive<u16> = 400..=599;

/// Longest accepted `type` of an `error` fault.
pub const MAX_ERROR_TYPE_LEN: usize = 128;

/// Default rule priority when none is given (lower is tried first).
pub const DEFAULT_PRIORITY: i64 = 5;

/// A fault plan: a seed and the rules. This is exactly the JSON body of `PUT /_mock/faults`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FaultPlan {
    /// Seed of every random decision (probabilities and latency ranges).
    #[serde(default)]
    pub seed: u64,
    /// The rules, tried in priority order, then in list order.
    #[serde(default)]
    pub rules: Vec<FaultRule>,
}

/// One rule of a fault plan. Every field but `fault` is optional.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FaultRule {
    /// Name shown in stats (`faults fired by rule name`); defaults to `rule-<index>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Operation to match, e.g. `PutLogEvents`; any operation when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
    /// Log group to match; any (including requests without a group) when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_group_name: Option<String>,
    /// Log stream to match; any (including requests without a stream) when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_stream_name: Option<String>,
    /// Chance in [0, 1] that an eligible call fires; always when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
    /// Calls before the nth matching call (1-based) never fire. With `nth` and no `times`, the rule
    /// fires once: on exactly the nth matching call, or with a `probability`, on the first call from
    /// the nth on that the draw lets through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nth: Option<u64>,
    /// The most times this rule fires; unlimited when absent (1 when `nth` is given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u64>,
    /// Lower values are tried first; default 5.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<i64>,
    /// What happens when the rule fires.
    pub fault: Fault,
}

/// What a rule does to a request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Fault {
    /// Answer 400 `ThrottlingException` / `Rate exceeded` without storing.
    Throttle,
    /// Answer 503 `ServiceUnavailableException` without storing.
    ServiceUnavailable,
    /// Answer 500 `InternalServerException` without storing.
    InternalError,
    /// Answer any error without storing.
    Error {
        /// The `__type` of the error body.
        #[serde(rename = "type")]
        error_type: String,
        /// The HTTP status, an error status (400-599); 400 when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<u16>,
        /// The error message; empty when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message: Option<String>,
    },
    /// Wait before processing the request normally: `ms`, or uniformly in `minMs..=maxMs`.
    Latency {
        /// A fixed delay in milliseconds.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ms: Option<u64>,
        /// Lower bound of a uniform delay.
        #[serde(default, rename = "minMs", skip_serializing_if = "Option::is_none")]
        min_ms: Option<u64>,
        /// Upper bound (inclusive) of a uniform delay.
        #[serde(default, rename = "maxMs", skip_serializing_if = "Option::is_none")]
        max_ms: Option<u64>,
    },
    /// Close the connection before anything is stored.
    ResetBeforeCommit,
    /// Store (and advance the token), then close the connection without an answer.
    LostResponse,
    /// Store, then answer only after `ms` milliseconds (default [`DEFAULT_SLOW_RESPONSE_MS`],
    /// 90,000).
    SlowResponse {
        /// The delay before the answer.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ms: Option<u64>,
    },
}

impl FaultPlan {
    /// Parses a plan from JSON and validates it; the error says what is wrong and where.
    pub fn from_json(body: &[u8]) -> Result<Self, String> {
        let plan: FaultPlan =
            serde_json::from_slice(body).map_err(|e| format!("invalid fault plan: {e}"))?;
        plan.validate()?;
        Ok(plan)
    }

    /// Checks every rule for values that cannot work; the message names the rule and the field.
    pub fn validate(&self) -> Result<(), String> {
        for (index, rule) in self.rules.iter().enumerate() {
            let at = format!("rules[{index}]");
            if let Some(p) = rule.probability {
                if !(0.0..=1.0).contains(&p) {
                    return Err(format!("{at}.probability must be between 0 and 1, got {p}"));
                }
            }
            if rule.nth == Some(0) {
                return Err(format!("{at}.nth is 1-based and must be at least 1"));
            }
            if rule.name.as_deref() == Some("") {
                return Err(format!("{at}.name must not be empty"));
            }
            match &rule.fault {
                Fault::Error {
                    error_type, status, ..
                } => {
                    if error_type.is_empty()
                        || error_type.len() > MAX_ERROR_TYPE_LEN
                        || !error_type
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b"_.#:".contains(&b))
                    {
                        return Err(format!(
                            "{at}.fault.type must be 1 to {MAX_ERROR_TYPE_LEN} characters of \
                             A-Z, a-z, 0-9, '_', '.', '#', ':' (an AWS error code), got {error_type:?}"
                        ));
                    }
                    // A 1xx-3xx status would carry an error body in an answer every client
                    // reads as a success (or a redirect), which no service does.
                    if let Some(s) = status {
                        if !ERROR_STATUSES.contains(s) {
                            return Err(format!(
                                "{at}.fault.status must be an HTTP error status (400-599), got {s}"
                            ));
                        }
                    }
                }
                Fault::Latency { ms, min_ms, max_ms } => match (ms, min_ms, max_ms) {
                    (Some(_), None, None) => {}
                    (None, Some(lo), Some(hi)) if lo <= hi => {}
                    (None, Some(lo), Some(hi)) => {
                        return Err(format!(
                            "{at}.fault.minMs ({lo}) must not exceed maxMs ({hi})"
                        ))
                    }
                    _ => {
                        return Err(format!(
                            "{at}.fault of kind latency needs either ms, or both minMs and maxMs"
                        ))
                    }
                },
                _ => {}
            }
        }
        Ok(())
    }

    /// A named preset, or `None` for an unknown name. Presets model common conditions (str0m's netem
    /// does the same for networks) and all take a seed, so a failing run can be replayed.
    ///
    /// - `flaky`: occasional throttles (5%) and 503s (2%), and small latency (10%, 5-50 ms).
    /// - `chaos`: everything at once: throttles 10%, 503 5%, 500 2%, PutLogEvents connection resets 3%
    ///   and lost responses 3%, latency 20% (10-200 ms).
    pub fn preset(name: &str, seed: u64) -> Option<Self> {
        let rule =
            |name: &str, operation: Option<&str>, probability: f64, fault: Fault| FaultRule {
                name: Some(name.to_owned()),
                operation: operation.map(str::to_owned),
                log_group_name: None,
                log_stream_name: None,
                probability: Some(probability),
                nth: None,
                times: None,
                priority: None,
                fault,
            };
        let latency = |lo, hi| Fault::Latency {
            ms: None,
            min_ms: Some(lo),
            max_ms: Some(hi),
        };
        let rules = match name {
            "flaky" => vec![
                rule("flaky-throttle", None, 0.05, Fault::Throttle),
                rule("flaky-503", None, 0.02, Fault::ServiceUnavailable),
                rule("flaky-latency", None, 0.10, latency(5, 50)),
            ],
            "chaos" => vec![
                rule("chaos-throttle", None, 0.10, Fault::Throttle),
                rule("chaos-503", None, 0.05, Fault::ServiceUnavailable),
                rule("chaos-500", None, 0.02, Fault::InternalError),
                rule(
                    "chaos-reset",
                    Some("PutLogEvents"),
                    0.03,
                    Fault::ResetBeforeCommit,
                ),
                rule(
                    "chaos-lost",
                    Some("PutLogEvents"),
                    0.03,
                    Fault::LostResponse,
                ),
                rule("chaos-latency", None, 0.20, latency(10, 200)),
            ],
            _ => return None,
        };
        Some(Self { seed, rules })
    }

    /// The names [`FaultPlan::preset`] knows.
    pub const PRESETS: &'static [&'static str] = &["flaky", "chaos"];
}

/// The `[faults]` section of the config file: an optional preset, a seed, and rules (in the same
/// format as `PUT /_mock/faults`), appended after the preset's.
///
/// ```toml
/// [faults]
/// preset = "flaky"
/// seed = 42
/// [[faults.rules]]
/// name = "lose-third-put"
/// operation = "PutLogEvents"
/// nth = 3
/// fault = { kind = "lost_response" }
/// ```
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FaultsConfig {
    /// A named preset (`flaky`, `chaos`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preset: Option<String>,
    /// The seed of every random decision.
    pub seed: u64,
    /// Rules tried along with the preset's.
    pub rules: Vec<FaultRule>,
}

impl FaultsConfig {
    /// The plan in force at start; the error names an unknown preset or a bad rule.
    pub fn plan(&self) -> Result<FaultPlan, String> {
        let mut plan = match &self.preset {
            None => FaultPlan {
                seed: self.seed,
                rules: Vec::new(),
            },
            Some(name) => FaultPlan::preset(name, self.seed).ok_or_else(|| {
                format!(
                    "unknown fault preset {name:?}: expected one of {}",
                    FaultPlan::PRESETS.join(", ")
                )
            })?,
        };
        plan.rules.extend(self.rules.iter().cloned());
        plan.validate()?;
        Ok(plan)
    }
}

/// What a request looks like to the fault rules.
#[derive(Debug, Clone, Copy)]
pub struct FaultTarget<'a> {
    /// The operation name.
    pub operation: &'a str,
    /// The request's log group, if it names one.
    pub log_group_name: Option<&'a str>,
    /// The request's log stream, if it names one.
    pub log_stream_name: Option<&'a str>,
}

/// A fault chosen for one request, with everything random already decided.
#[derive(Debug, Clone, PartialEq)]
pub struct FiredFault {
    /// The rule's name (or `rule-<index>`), for stats.
    pub rule_name: String,
    /// What to do.
    pub action: FaultAction,
}

/// A fault with its randomness resolved.
#[derive(Debug, Clone, PartialEq)]
pub enum FaultAction {
    /// Answer this error without storing.
    Error {
        /// HTTP status.
        status: u16,
        /// The `__type` (interned: see [`intern_error_type`]).
        error_type: &'static str,
        /// The message.
        message: String,
    },
    /// Wait this long, then process normally.
    Latency(Duration),
    /// Close the connection without storing.
    ResetBeforeCommit,
    /// Store, then close the connection without answering.
    LostResponse,
    /// Store, then answer after this delay.
    SlowResponse(Duration),
}

impl FaultAction {
    /// Whether the action happens after the request is committed (the pipeline must run it then).
    pub fn is_post_commit(&self) -> bool {
        matches!(self, Self::LostResponse | Self::SlowResponse(_))
    }
}

#[derive(Debug, Default, Clone)]
struct RuleState {
    matched: u64,
    fired: u64,
}

#[derive(Debug, Default)]
struct Inner {
    plan: FaultPlan,
    /// Rule indices in the order they are tried.
    order: Vec<usize>,
    state: Vec<RuleState>,
}

/// The fault plan of a running mock and the per-rule counters it needs to be reproducible.
#[derive(Debug, Default)]
pub struct FaultInjector {
    inner: Mutex<Inner>,
}

impl FaultInjector {
    /// An injector running `plan` from a fresh start.
    pub fn new(plan: FaultPlan) -> Self {
        let injector = Self::default();
        injector.set_plan(plan);
        injector
    }

    /// The plan in force.
    pub fn plan(&self) -> FaultPlan {
        lock(&self.inner).plan.clone()
    }

    /// Replaces the plan and restarts every rule's counters, so the same plan replays the same faults.
    pub fn set_plan(&self, plan: FaultPlan) {
        let mut order: Vec<usize> = (0..plan.rules.len()).collect();
        // Stable sort: equal priorities keep list order.
        order.sort_by_key(|&i| plan.rules[i].priority.unwrap_or(DEFAULT_PRIORITY));
        let state = vec![RuleState::default(); plan.rules.len()];
        *lock(&self.inner) = Inner { plan, order, state };
    }

    /// Removes every rule.
    pub fn clear(&self) {
        self.set_plan(FaultPlan::default());
    }

    /// Counts one request against the rules and returns the fault to apply, if any.
    pub fn decide(&self, target: &FaultTarget<'_>) -> Option<FiredFault> {
        let mut inner = lock(&self.inner);
        let Inner { plan, order, state } = &mut *inner;
        let mut chosen = None;
        for &index in order.iter() {
            let rule = &plan.rules[index];
            if !rule_matches(rule, target) {
                continue;
            }
            let st = &mut state[index];
            st.matched += 1;
            if chosen.is_some() {
                continue;
            }
            let call = st.matched;
            let limit = rule.times.or(rule.nth.map(|_| 1));
            if limit.is_some_and(|limit| st.fired >= limit) {
                continue;
            }
            if rule.nth.is_some_and(|nth| call < nth) {
                continue;
            }
            let mut draws = Draws::new(plan.seed, index as u64, call);
            if let Some(p) = rule.probability {
                if draws.unit() >= p {
                    continue;
                }
            }
            st.fired += 1;
            chosen = Some(FiredFault {
                rule_name: rule.name.clone().unwrap_or_else(|| format!("rule-{index}")),
                action: resolve(&rule.fault, &mut draws),
            });
        }
        chosen
    }
}

fn rule_matches(rule: &FaultRule, target: &FaultTarget<'_>) -> bool {
    fn field(want: &Option<String>, got: Option<&str>) -> bool {
        want.as_deref().is_none_or(|w| got == Some(w))
    }
    field(&rule.operation, Some(target.operation))
        && field(&rule.log_group_name, target.log_group_name)
        && field(&rule.log_stream_name, target.log_stream_name)
}

fn resolve(fault: &Fault, draws: &mut Draws) -> FaultAction {
    let error = |status: u16, error_type: &str, message: &str| FaultAction::Error {
        status,
        error_type: intern_error_type(error_type),
        message: message.to_owned(),
    };
    match fault {
        Fault::Throttle => error(400, "ThrottlingException", crate::throttle::RATE_EXCEEDED),
        Fault::ServiceUnavailable => error(
            503,
            "ServiceUnavailableException",
            "The service cannot complete the request.",
        ),
        Fault::InternalError => error(
            500,
            "InternalServerException",
            "An internal error occurred.",
        ),
        Fault::Error {
            error_type,
            status,
            message,
        } => error(
            status.unwrap_or(400),
            error_type,
            message.as_deref().unwrap_or(""),
        ),
        Fault::Latency { ms, min_ms, max_ms } => {
            let ms = match (ms, min_ms, max_ms) {
                (Some(ms), _, _) => *ms,
                (None, Some(lo), Some(hi)) if hi > lo => {
                    let span = hi - lo + 1;
                    lo + draws.next() % span
                }
                (None, Some(lo), _) => *lo,
                // Unreachable for validated plans; no delay is the harmless reading.
                (None, None, _) => 0,
            };
            FaultAction::Latency(Duration::from_millis(ms))
        }
        Fault::ResetBeforeCommit => FaultAction::ResetBeforeCommit,
        Fault::LostResponse => FaultAction::LostResponse,
        Fault::SlowResponse { ms } => FaultAction::SlowResponse(Duration::from_millis(
            ms.unwrap_or(DEFAULT_SLOW_RESPONSE_MS),
        )),
    }
}

/// A small deterministic random stream for one decision, keyed by (seed, rule, call). SplitMix64
/// finalisers are enough here: the draws only need to be well spread and reproducible.
struct Draws {
    state: u64,
}

impl Draws {
    fn new(seed: u64, rule: u64, call: u64) -> Self {
        let key = mix(seed ^ mix(rule.wrapping_add(0x5851_f42d_4c95_7f2d)) ^ mix(call));
        Self { state: key }
    }

    fn next(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix(self.state)
    }

    /// A uniform number in [0, 1).
    fn unit(&mut self) -> f64 {
        // 53 high bits give every representable double in [0, 1) with equal spacing.
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Returns a `'static` copy of an error code, allocating each distinct code once.
///
/// Responses carry their error code as `&'static str` (almost every code is a literal); a fault
/// plan may name any code, so the few distinct ones a test uses are kept for the life of the
/// process. Plan validation bounds each code's length, and tests use a handful of codes.
pub fn intern_error_type(code: &str) -> &'static str {
    use std::collections::HashSet;
    use std::sync::OnceLock;
    static CODES: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut codes = lock(CODES.get_or_init(Default::default));
    if let Some(existing) = codes.get(code) {
        return existing;
    }
    let leaked: &'static str = Box::leak(code.to_owned().into_boxed_str());
    codes.insert(leaked);
    leaked
}

/// Locks a mutex, recovering from poisoning: the rule counters stay consistent after a panic
/// elsewhere, and refusing every later request would hide the original failure.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put<'a>(group: &'a str, stream: &'a str) -> FaultTarget<'a> {
        FaultTarget {
            operation: "PutLogEvents",
            log_group_name: Some(group),
            log_stream_name: Some(stream),
        }
    }

    fn plan(json: &str) -> FaultPlan {
        FaultPlan::from_json(json.as_bytes()).unwrap()
    }

    #[test]
    fn the_issue_example_parses_and_round_trips() {
        let json = r#"{"seed": 42, "rules": [{"name": "lose-one", "operation": "PutLogEvents",
            "logGroupName": "g", "logStreamName": "s", "probability": 0.2, "nth": 3, "times": 5,
            "priority": 1, "fault": {"kind": "lost_response"}}]}"#;
        let p = plan(json);
        assert_eq!(p.seed, 42);
        let rule = &p.rules[0];
        assert_eq!(rule.name.as_deref(), Some("lose-one"));
        assert_eq!(rule.log_group_name.as_deref(), Some("g"));
        assert_eq!(rule.nth, Some(3));
        assert_eq!(rule.times, Some(5));
        assert_eq!(rule.priority, Some(1));
        assert_eq!(rule.fault, Fault::LostResponse);
        let again: FaultPlan = serde_json::from_str(&serde_json::to_string(&p).unwrap()).unwrap();
        assert_eq!(again, p);
    }

    #[test]
    fn every_fault_kind_parses() {
        let kinds = [
            (r#"{"kind":"throttle"}"#, Fault::Throttle),
            (
                r#"{"kind":"service_unavailable"}"#,
                Fault::ServiceUnavailable,
            ),
            (r#"{"kind":"internal_error"}"#, Fault::InternalError),
            (
                r#"{"kind":"error","type":"LimitExceededException","status":400,"message":"m"}"#,
                Fault::Error {
                    error_type: "LimitExceededException".into(),
                    status: Some(400),
                    message: Some("m".into()),
                },
            ),
            (
                r#"{"kind":"latency","ms":5}"#,
                Fault::Latency {
                    ms: Some(5),
                    min_ms: None,
                    max_ms: None,
                },
            ),
            (
                r#"{"kind":"latency","minMs":1,"maxMs":9}"#,
                Fault::Latency {
                    ms: None,
                    min_ms: Some(1),
                    max_ms: Some(9),
                },
            ),
            (
                r#"{"kind":"reset_before_commit"}"#,
                Fault::ResetBeforeCommit,
            ),
            (r#"{"kind":"lost_response"}"#, Fault::LostResponse),
            (
                r#"{"kind":"slow_response","ms":100}"#,
                Fault::SlowResponse { ms: Some(100) },
            ),
        ];
        for (json, want) in kinds {
            let got: Fault = serde_json::from_str(json).unwrap_or_else(|e| panic!("{json}: {e}"));
            assert_eq!(got, want);
        }
    }

    #[test]
    fn bad_plans_say_what_is_wrong() {
        let cases = [
            (r#"{"rules":[{"fault":{"kind":"explode"}}]}"#, "explode"),
            (
                r#"{"rules":[{"probability":1.5,"fault":{"kind":"throttle"}}]}"#,
                "rules[0].probability",
            ),
            (
                r#"{"rules":[{"nth":0,"fault":{"kind":"throttle"}}]}"#,
                "rules[0].nth",
            ),
            (r#"{"rules":[{"fault":{"kind":"latency"}}]}"#, "minMs"),
            (
                r#"{"rules":[{"fault":{"kind":"latency","minMs":9,"maxMs":1}}]}"#,
                "must not exceed",
            ),
            (
                r#"{"rules":[{"fault":{"kind":"error","type":"X","status":99}}]}"#,
                "status",
            ),
            (
                r#"{"rules":[{"fault":{"kind":"error","type":"X","status":200}}]}"#,
                "rules[0].fault.status must be an HTTP error status (400-599), got 200",
            ),
            (
                r#"{"rules":[{"fault":{"kind":"error","type":""}}]}"#,
                "type",
            ),
            (
                r#"{"rules":[{"operaton":"PutLogEvents","fault":{"kind":"throttle"}}]}"#,
                "operaton",
            ),
            (r#"{"rules":[{"name":"x"}]}"#, "fault"),
            (r#"{"seed":-1}"#, "expected u64"),
            ("not json", "invalid fault plan"),
        ];
        for (json, needle) in cases {
            let err = FaultPlan::from_json(json.as_bytes()).unwrap_err();
            assert!(err.contains(needle), "{json}: {err}");
        }
    }

    #[test]
    fn rules_match_on_operation_group_and_stream() {
        let inj = FaultInjector::new(plan(
            r#"{"rules":[{"operation":"PutLogEvents","logGroupName":"g","logStreamName":"s",
                "fault":{"kind":"throttle"}}]}"#,
        ));
        assert!(inj.decide(&put("g", "s")).is_some());
        assert!(inj.decide(&put("g", "other")).is_none());
        assert!(inj.decide(&put("other", "s")).is_none());
        let get = FaultTarget {
            operation: "GetLogEvents",
            ..put("g", "s")
        };
        assert!(inj.decide(&get).is_none());
    }

    #[test]
    fn nth_alone_fires_exactly_once_on_that_call() {
        let inj = FaultInjector::new(plan(
            r#"{"rules":[{"nth":3,"fault":{"kind":"lost_response"}}]}"#,
        ));
        let fired: Vec<bool> = (0..6)
            .map(|_| inj.decide(&put("g", "s")).is_some())
            .collect();
        assert_eq!(fired, [false, false, true, false, false, false]);
    }

    #[test]
    fn nth_with_times_fires_from_that_call_on_up_to_times() {
        let inj = FaultInjector::new(plan(
            r#"{"rules":[{"nth":2,"times":2,"fault":{"kind":"internal_error"}}]}"#,
        ));
        let fired: Vec<bool> = (0..5)
            .map(|_| inj.decide(&put("g", "s")).is_some())
            .collect();
        assert_eq!(fired, [false, true, true, false, false]);
    }

    #[test]
    fn priority_orders_rules_and_names_reach_the_result() {
        let inj = FaultInjector::new(plan(
            r#"{"rules":[
                {"name":"late","priority":9,"fault":{"kind":"throttle"}},
                {"name":"early","priority":1,"times":1,"fault":{"kind":"service_unavailable"}}]}"#,
        ));
        let first = inj.decide(&put("g", "s")).unwrap();
        assert_eq!(first.rule_name, "early");
        assert_eq!(
            first.action,
            FaultAction::Error {
                status: 503,
                error_type: "ServiceUnavailableException",
                message: "The service cannot complete the request.".into()
            }
        );
        assert_eq!(inj.decide(&put("g", "s")).unwrap().rule_name, "late");
    }

    #[test]
    fn every_matching_rule_counts_the_call_even_when_another_fires() {
        let inj = FaultInjector::new(plan(
            r#"{"rules":[
                {"priority":1,"times":2,"fault":{"kind":"throttle"}},
                {"name":"third","nth":3,"fault":{"kind":"reset_before_commit"}}]}"#,
        ));
        inj.decide(&put("g", "s")).unwrap();
        inj.decide(&put("g", "s")).unwrap();
        let third = inj.decide(&put("g", "s")).unwrap();
        assert_eq!(third.rule_name, "third");
        assert_eq!(third.action, FaultAction::ResetBeforeCommit);
    }

    fn run(seed: u64, calls: usize) -> Vec<Option<FiredFault>> {
        let mut p = FaultPlan::preset("chaos", seed).unwrap();
        p.rules.push(FaultRule {
            name: Some("unnamed-ok".into()),
            operation: None,
            log_group_name: None,
            log_stream_name: None,
            probability: Some(0.5),
            nth: None,
            times: None,
            priority: Some(7),
            fault: Fault::Latency {
                ms: None,
                min_ms: Some(0),
                max_ms: Some(1000),
            },
        });
        let inj = FaultInjector::new(p);
        (0..calls)
            .map(|i| {
                let stream = format!("s{}", i % 3);
                inj.decide(&put("g", &stream))
            })
            .collect()
    }

    #[test]
    fn the_same_seed_gives_the_same_faults_and_another_seed_does_not() {
        let a = run(7, 500);
        assert_eq!(a, run(7, 500));
        assert_ne!(a, run(8, 500));
        assert!(a.iter().filter(|f| f.is_some()).count() > 100);
    }

    #[test]
    fn replacing_the_plan_restarts_the_sequence() {
        let inj = FaultInjector::new(FaultPlan::preset("flaky", 3).unwrap());
        let first: Vec<_> = (0..200).map(|_| inj.decide(&put("g", "s"))).collect();
        inj.set_plan(FaultPlan::preset("flaky", 3).unwrap());
        let second: Vec<_> = (0..200).map(|_| inj.decide(&put("g", "s"))).collect();
        assert_eq!(first, second);
        inj.clear();
        assert!(inj.decide(&put("g", "s")).is_none());
        assert_eq!(inj.plan(), FaultPlan::default());
    }

    #[test]
    fn probability_fires_about_as_often_as_asked() {
        let inj = FaultInjector::new(plan(
            r#"{"seed":1,"rules":[{"probability":0.25,"fault":{"kind":"throttle"}}]}"#,
        ));
        let fired = (0..4000)
            .filter(|_| inj.decide(&put("g", "s")).is_some())
            .count();
        assert!((800..1200).contains(&fired), "{fired}");
    }

    #[test]
    fn latency_ranges_stay_in_bounds_and_fixed_latency_is_exact() {
        let inj = FaultInjector::new(plan(
            r#"{"rules":[{"fault":{"kind":"latency","minMs":10,"maxMs":20}}]}"#,
        ));
        for _ in 0..200 {
            match inj.decide(&put("g", "s")).unwrap().action {
                FaultAction::Latency(d) => {
                    assert!(d >= Duration::from_millis(10) && d <= Duration::from_millis(20))
                }
                other => panic!("{other:?}"),
            }
        }
        let fixed = FaultInjector::new(plan(r#"{"rules":[{"fault":{"kind":"latency","ms":7}}]}"#));
        assert_eq!(
            fixed.decide(&put("g", "s")).unwrap().action,
            FaultAction::Latency(Duration::from_millis(7))
        );
    }

    #[test]
    fn unnamed_rules_get_positional_names_and_defaults_apply() {
        let inj = FaultInjector::new(plan(
            r#"{"rules":[{"operation":"GetLogEvents","fault":{"kind":"throttle"}},
                         {"fault":{"kind":"slow_response"}}]}"#,
        ));
        let fired = inj.decide(&put("g", "s")).unwrap();
        assert_eq!(fired.rule_name, "rule-1");
        assert_eq!(
            fired.action,
            FaultAction::SlowResponse(Duration::from_millis(DEFAULT_SLOW_RESPONSE_MS))
        );
        assert!(fired.action.is_post_commit());
    }

    #[test]
    fn the_default_slow_response_outlasts_common_client_read_timeouts() {
        // botocore and the AWS CLI read for 60 s; the default must make such a client give up.
        let inj = FaultInjector::new(plan(r#"{"rules":[{"fault":{"kind":"slow_response"}}]}"#));
        let Some(FiredFault {
            action: FaultAction::SlowResponse(delay),
            ..
        }) = inj.decide(&put("g", "s"))
        else {
            panic!("a slow_response rule fires as a slow response");
        };
        assert!(delay > Duration::from_secs(60), "{delay:?}");
    }

    #[test]
    fn the_config_section_combines_a_preset_and_rules() {
        let config: FaultsConfig = toml::from_str(
            "preset = \"flaky\"\nseed = 42\n[[rules]]\nname = \"lose\"\nnth = 3\nfault = { kind = \"lost_response\" }\n",
        )
        .unwrap();
        let plan = config.plan().unwrap();
        assert_eq!(plan.seed, 42);
        assert_eq!(plan.rules.len(), 4);
        assert_eq!(plan.rules[3].fault, Fault::LostResponse);
        let unknown = FaultsConfig {
            preset: Some("gentle".into()),
            ..FaultsConfig::default()
        };
        assert!(unknown.plan().unwrap_err().contains("flaky, chaos"));
        assert_eq!(
            FaultsConfig::default().plan().unwrap(),
            FaultPlan::default()
        );
    }

    #[test]
    fn presets_are_valid_and_unknown_names_are_none() {
        for name in FaultPlan::PRESETS {
            FaultPlan::preset(name, 0).unwrap().validate().unwrap();
        }
        assert!(FaultPlan::preset("gentle", 0).is_none());
    }
}
