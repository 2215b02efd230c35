//! The `[faults]` section and the body of `PUT /_mock/faults`: a seeded [`FaultPlan`] of rules.
//!
//! Each rule matches requests by operation, log group and log stream (each optional), decides
//! whether to fire by probability and/or on the nth matching call, fires at most `times` times, and
//! applies one [`Fault`]. This module is the plan as data, with its presets and validation;
//! [`crate::chaos::faults`] decides, request by request, which rule fires.

use serde::{Deserialize, Serialize};

/// Default delay of `slow_response`: 90 s, longer than common client read timeouts (botocore and
/// the AWS CLI wait 60 s for a read), so that such a client gives up before the answer comes.
pub(crate) const DEFAULT_SLOW_RESPONSE_MS: u64 = 90_000;

/// The HTTP statuses an `error` fault may answer with: client and server errors only.
pub(crate) const ERROR_STATUSES: std::ops::RangeInclusive<u16> = 400..=599;

/// Longest accepted `type` of an `error` fault.
pub(crate) const MAX_ERROR_TYPE_LEN: usize = 128;

/// Default rule priority when none is given (lower is tried first).
pub(crate) const DEFAULT_PRIORITY: i64 = 5;

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
    /// Store, then answer only after `ms` milliseconds (default `DEFAULT_SLOW_RESPONSE_MS`,
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
