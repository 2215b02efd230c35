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

use crate::chaos::lock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use crate::config::faults::{
    Fault, FaultPlan, FaultRule, DEFAULT_PRIORITY, DEFAULT_SLOW_RESPONSE_MS,
};

/// What a request looks like to the fault rules.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FaultTarget<'a> {
    /// The operation name.
    pub operation: &'a str,
    /// The request's log group, if it names one.
    pub log_group_name: Option<&'a str>,
    /// The request's log stream, if it names one.
    pub log_stream_name: Option<&'a str>,
}

/// A fault chosen for one request, with everything random already decided.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FiredFault {
    /// The rule's name (or `rule-<index>`), for stats.
    pub rule_name: String,
    /// What to do.
    pub action: FaultAction,
}

/// A fault with its randomness resolved.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum FaultAction {
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
///
/// With rules, every request is counted against them under one lock: a seeded plan replays the
/// same faults only if the requests are numbered in one order. Without rules (what a benchmark or
/// a plain test runs) a request reads one atomic flag and takes no lock.
#[derive(Debug, Default)]
pub(crate) struct FaultInjector {
    inner: Mutex<Inner>,
    /// Whether the plan has any rule; written under `inner`'s lock.
    armed: AtomicBool,
}

impl FaultInjector {
    /// An injector running `plan` from a fresh start.
    pub(crate) fn new(plan: FaultPlan) -> Self {
        let injector = Self::default();
        injector.set_plan(plan);
        injector
    }

    /// The plan in force.
    pub(crate) fn plan(&self) -> FaultPlan {
        lock(&self.inner).plan.clone()
    }

    /// Replaces the plan and restarts every rule's counters, so the same plan replays the same faults.
    pub(crate) fn set_plan(&self, plan: FaultPlan) {
        let mut order: Vec<usize> = (0..plan.rules.len()).collect();
        // Stable sort: equal priorities keep list order.
        order.sort_by_key(|&i| plan.rules[i].priority.unwrap_or(DEFAULT_PRIORITY));
        let state = vec![RuleState::default(); plan.rules.len()];
        let armed = !plan.rules.is_empty();
        let mut inner = lock(&self.inner);
        *inner = Inner { plan, order, state };
        self.armed.store(armed, Ordering::Release);
    }

    /// Removes every rule.
    pub(crate) fn clear(&self) {
        self.set_plan(FaultPlan::default());
    }

    /// Counts one request against the rules and returns the fault to apply, if any.
    pub(crate) fn decide(&self, target: &FaultTarget<'_>) -> Option<FiredFault> {
        // A request that races a plan being installed may miss it, as it would had it arrived a
        // moment earlier.
        if !self.armed.load(Ordering::Acquire) {
            return None;
        }
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
        Fault::Throttle => error(
            400,
            "ThrottlingException",
            crate::config::throttle::RATE_EXCEEDED,
        ),
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
pub(crate) fn intern_error_type(code: &str) -> &'static str {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::faults::FaultsConfig;

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
        assert!(matches!(
            fired.action,
            FaultAction::LostResponse | FaultAction::SlowResponse(_)
        ));
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
