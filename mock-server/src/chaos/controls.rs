//! The controls of one server: quotas, the fault plan, counters and background writers, and the
//! pipeline hook through which they act, answering in the pipeline's own vocabulary.
//!
//! Before the decision ([`Controls::before`]): the fault plan first (it is what the test asked
//! for), then the quotas, give a [`Before`] (go on, wait, answer an error without storing, or close
//! the connection) and the [`After`] a post-commit fault asks for (lose or delay the answer), which
//! the hook keeps by request id until the pipeline reaches step 3. After the decision the hook
//! counts what the decision says it stored ([`Decision::stored`]); when the request ends it counts
//! the request once, per operation.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::catalogue::Operation;
use crate::chaos::faults::{FaultAction, FaultInjector, FaultTarget};
use crate::chaos::lock;
use crate::chaos::stats::{Stats, CONNECTION_CLOSED};
use crate::chaos::throttle::{ThrottleRequest, Throttled, Throttler};
use crate::chaos::writers::BackgroundWriters;
use crate::clock::Monotonic;
use crate::config::faults::FaultPlan;
use crate::config::throttle::ThrottleRates;
use crate::pipeline::{After, Before, Hook};
use crate::protocol::envelope::{ApiRequest, ApiResponse};
use crate::protocol::errors::ApiError;
use crate::service::Decision;

/// Everything the admin API changes and the pipeline hook reads.
pub(crate) struct Controls {
    /// Request-rate quotas.
    pub(crate) throttler: Throttler,
    /// The fault plan and its counters.
    pub(crate) faults: FaultInjector,
    /// Per-operation and per-stream counters (shared with the background writers, which count
    /// their own puts).
    pub(crate) stats: Arc<Stats>,
    /// Background writers started through the admin API.
    pub(crate) writers: BackgroundWriters,
    strict_tokens: bool,
    /// The clock the quotas refill on.
    monotonic: Arc<dyn Monotonic>,
    /// Post-commit faults decided before the decision, by request id, until the pipeline asks.
    pending: Mutex<HashMap<String, After>>,
    /// How many entries `pending` has (changed under its lock), so that the requests of a mock
    /// without post-commit faults, nearly all of them, never take that lock.
    pending_count: AtomicUsize,
    /// Whether a stream exists, so that a fault on a request naming a stream that does not is
    /// counted only in the totals: per-stream counters for client-invented names would grow
    /// without bound (issue 20 saw 18.8 MB of `/_mock/stats` after 20,000 such puts).
    known_stream: KnownStream,
}

/// The question [`Controls`] asks the store before counting under a stream.
type KnownStream = Box<dyn Fn(&str, &str) -> bool + Send + Sync>;

impl std::fmt::Debug for Controls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Controls")
            .field("throttler", &self.throttler)
            .field("faults", &self.faults)
            .field("strict_tokens", &self.strict_tokens)
            .finish_non_exhaustive()
    }
}

/// What the controls know about a request before deciding it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RequestFacts<'a> {
    /// The operation name as the request sent it.
    pub(crate) operation: &'a str,
    /// Whose quota the request uses (the SigV4 access key id, or the configured account).
    pub(crate) account: &'a str,
    /// The request's log group, when it names one.
    pub(crate) log_group_name: Option<&'a str>,
    /// The request's log stream, when it names one.
    pub(crate) log_stream_name: Option<&'a str>,
}

impl RequestFacts<'_> {
    fn stream(&self) -> Option<(&str, &str)> {
        self.log_group_name.zip(self.log_stream_name)
    }
}

/// The caller identity whose quotas a request uses: the SigV4 access key id, standing in for the
/// account (the mock has one account; separate keys get separate quotas, which lets parallel tests
/// keep out of each other's way).
fn facts_of(request: &ApiRequest) -> RequestFacts<'_> {
    RequestFacts {
        operation: &request.operation,
        account: request.access_key_id.as_deref().unwrap_or("anonymous"),
        log_group_name: request.log_group_name(),
        log_stream_name: request.log_stream_name(),
    }
}

impl Controls {
    /// Controls with the given quotas and fault plan; `strict_tokens` says whether the per-stream
    /// PutLogEvents quota applies; the quotas refill on `monotonic`.
    pub(crate) fn new(
        rates: ThrottleRates,
        plan: FaultPlan,
        strict_tokens: bool,
        monotonic: Arc<dyn Monotonic>,
    ) -> Self {
        Self {
            throttler: Throttler::new(rates),
            faults: FaultInjector::new(plan),
            stats: Arc::new(Stats::new()),
            writers: BackgroundWriters::new(),
            strict_tokens,
            monotonic,
            pending: Mutex::new(HashMap::new()),
            pending_count: AtomicUsize::new(0),
            known_stream: Box::new(|_, _| true),
        }
    }

    /// Counts faults under a stream only when `known(group, stream)` says it exists.
    pub(crate) fn counting_faults_for(
        mut self,
        known: impl Fn(&str, &str) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.known_stream = Box::new(known);
        self
    }

    /// Empties the counters and the fault plan, refills every bucket and stops every writer (the
    /// store is the admin API's to clear).
    pub(crate) fn reset(&self) {
        self.writers.stop_all();
        self.faults.clear();
        self.throttler.reset();
        self.stats.reset();
    }

    /// What to do with a request before the decision, at `now` on the quotas' clock, and what to
    /// do with its answer after the commit. A fault that fires is counted under its rule name.
    pub(crate) fn before(&self, facts: &RequestFacts<'_>, now: Duration) -> (Before, After) {
        let fired = self.faults.decide(&FaultTarget {
            operation: facts.operation,
            log_group_name: facts.log_group_name,
            log_stream_name: facts.log_stream_name,
        });
        let mut delay = Duration::ZERO;
        let mut after = After::Deliver;
        if let Some(fired) = fired {
            let stream = facts
                .stream()
                .filter(|(group, stream)| (self.known_stream)(group, stream));
            self.stats.record_fault(&fired.rule_name, stream);
            match fired.action {
                FaultAction::Error {
                    status,
                    error_type,
                    message,
                } => {
                    let error = ApiError {
                        error_type,
                        extra: Vec::new(),
                        message: Some(message),
                        status,
                    };
                    return (respond(Duration::ZERO, error, None), After::Deliver);
                }
                FaultAction::ResetBeforeCommit => {
                    return (
                        Before::Reset {
                            delay: Duration::ZERO,
                        },
                        After::Deliver,
                    )
                }
                FaultAction::Latency(d) => delay = d,
                FaultAction::LostResponse => after = After::Drop,
                FaultAction::SlowResponse(d) => after = After::Delay(d),
            }
        }
        let quota = self.throttler.check(
            &ThrottleRequest {
                account: facts.account,
                operation: facts.operation,
                stream: facts.stream(),
                strict_tokens: self.strict_tokens,
            },
            now,
        );
        match quota {
            Ok(()) if delay.is_zero() => (Before::Continue, after),
            Ok(()) => (Before::Delay(delay), after),
            Err(throttled) => {
                let error = ApiError::client(Throttled::ERROR_TYPE, throttled.message);
                (
                    respond(delay, error, Some(throttled.retry_after)),
                    After::Deliver,
                )
            }
        }
    }

    /// Counts what a decided PutLogEvents did to its stream: what it stored, or the token conflict
    /// it answered. Counted when decided, whether or not the answer then reaches the client.
    fn record_decision(&self, request: &ApiRequest, decision: &Decision) {
        if request.known_operation() != Some(Operation::PutLogEvents) {
            return;
        }
        let (Some(group), Some(stream)) = (request.log_group_name(), request.log_stream_name())
        else {
            return;
        };
        if let Some(stored) = decision.stored {
            self.stats
                .record_put(group, stream, stored.events, stored.bytes);
        }
        match decision.response.error_type {
            Some("InvalidSequenceTokenException") => {
                self.stats.record_token_conflict(group, stream)
            }
            Some("DataAlreadyAcceptedException") => {
                self.stats.record_data_already_accepted(group, stream)
            }
            _ => {}
        }
    }
}

/// An error answer decided before the decision, with a throttle's `x-amz-retry-after` hint.
fn respond(delay: Duration, error: ApiError, retry_after: Option<Duration>) -> Before {
    let mut response = error.into_response();
    if let Some(after) = retry_after {
        // Milliseconds, rounded up so that a retry at exactly that time succeeds.
        let ms = after.as_micros().div_ceil(1000).max(1);
        response
            .headers
            .push(("x-amz-retry-after".to_owned(), ms.to_string()));
    }
    Before::Respond { delay, response }
}

impl Controls {
    /// Keeps what a post-commit fault asks for until the pipeline reaches step 3.
    fn plan_after(&self, request: &ApiRequest, after: After) {
        let mut pending = lock(&self.pending);
        if pending.insert(request.request_id.clone(), after).is_none() {
            self.pending_count.fetch_add(1, Ordering::AcqRel);
        }
    }

    /// Takes back what a post-commit fault asked for this request, if anything. The count is
    /// changed under the lock after the insert, so a request that planned something always sees
    /// its own entry counted.
    fn take_planned(&self, request: &ApiRequest) -> Option<After> {
        if self.pending_count.load(Ordering::Acquire) == 0 {
            return None;
        }
        let mut pending = lock(&self.pending);
        let taken = pending.remove(&request.request_id);
        if taken.is_some() {
            self.pending_count.fetch_sub(1, Ordering::AcqRel);
        }
        taken
    }
}

impl Hook for Controls {
    fn before_decision(&self, request: &ApiRequest, _now_ms: i64) -> Before {
        let (before, after) = self.before(&facts_of(request), self.monotonic.elapsed());
        if after != After::Deliver {
            self.plan_after(request, after);
        }
        before
    }

    fn after_decision(&self, request: &ApiRequest, decision: &Decision) -> After {
        self.record_decision(request, decision);
        self.take_planned(request).unwrap_or(After::Deliver)
    }

    fn answered(&self, request: &ApiRequest, response: &ApiResponse) {
        self.take_planned(request);
        self.stats
            .record_request(request.known_operation(), response.error_type);
    }

    fn unanswered(&self, request: &ApiRequest) {
        self.take_planned(request);
        self.stats
            .record_request(request.known_operation(), Some(CONNECTION_CLOSED));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualMonotonic;
    use crate::config::throttle::ThrottlePreset;
    use crate::service::Stored;

    fn facts(operation: &str) -> RequestFacts<'_> {
        RequestFacts {
            operation,
            account: "acct",
            log_group_name: Some("g"),
            log_stream_name: Some("s"),
        }
    }

    fn controls(plan: &str) -> Controls {
        Controls::new(
            ThrottleRates::preset(ThrottlePreset::Aws),
            FaultPlan::from_json(plan.as_bytes()).unwrap(),
            true,
            Arc::new(ManualMonotonic::default()),
        )
    }

    fn put(group: &str) -> ApiRequest {
        ApiRequest::json(
            "PutLogEvents",
            serde_json::json!({"logGroupName": group, "logStreamName":"s",
                "logEvents":[{"timestamp":1,"message":"m"}]}),
        )
    }

    #[test]
    fn no_faults_and_quota_left_proceeds() {
        let c = controls("{}");
        assert_eq!(
            c.before(&facts("PutLogEvents"), Duration::ZERO),
            (Before::Continue, After::Deliver)
        );
    }

    #[test]
    fn faults_map_to_actions_and_are_counted_by_rule() {
        let c = controls(
            r#"{"rules":[
              {"name":"a","nth":1,"fault":{"kind":"lost_response"}},
              {"name":"b","nth":2,"fault":{"kind":"slow_response","ms":9}},
              {"name":"c","nth":3,"fault":{"kind":"reset_before_commit"}},
              {"name":"d","nth":4,"fault":{"kind":"latency","ms":3}},
              {"name":"e","nth":5,"fault":{"kind":"error","type":"LimitExceededException","message":"m"}}]}"#,
        );
        let f = facts("PutLogEvents");
        let plans: Vec<(Before, After)> = (0..5).map(|_| c.before(&f, Duration::ZERO)).collect();
        assert_eq!(plans[0], (Before::Continue, After::Drop));
        assert_eq!(
            plans[1],
            (Before::Continue, After::Delay(Duration::from_millis(9)))
        );
        assert_eq!(
            plans[2].0,
            Before::Reset {
                delay: Duration::ZERO
            }
        );
        assert_eq!(
            plans[3],
            (Before::Delay(Duration::from_millis(3)), After::Deliver)
        );
        match &plans[4].0 {
            Before::Respond { response, .. } => {
                assert_eq!(response.status, 400);
                assert_eq!(
                    response.body,
                    r#"{"__type":"LimitExceededException","message":"m"}"#
                );
            }
            other => panic!("{other:?}"),
        }
        let snap = c.stats.snapshot();
        assert_eq!(snap.streams["g"]["s"].faults_fired.len(), 5);
        assert_eq!(snap.faults_fired["e"], 1);
    }

    #[test]
    fn quotas_answer_the_real_throttle_with_a_retry_hint() {
        let mut rates = ThrottleRates::default();
        rates.per_account.insert("GetLogEvents".into(), 1.0);
        let c = Controls::new(
            rates,
            FaultPlan::default(),
            false,
            Arc::new(ManualMonotonic::default()),
        );
        let f = facts("GetLogEvents");
        assert_eq!(c.before(&f, Duration::ZERO).0, Before::Continue);
        match c.before(&f, Duration::ZERO).0 {
            Before::Respond { response, .. } => {
                assert_eq!(
                    response.body,
                    r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#
                );
                assert!(response
                    .headers
                    .iter()
                    .any(|(name, _)| name == "x-amz-retry-after"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn puts_conflicts_and_closed_connections_are_counted() {
        let c = controls("{}");
        let ok = Decision {
            response: ApiResponse::ok(serde_json::json!({"nextSequenceToken":"1"})),
            stored: Some(Stored {
                events: 2,
                bytes: 6,
            }),
        };
        let request = put("g");
        assert_eq!(c.after_decision(&request, &ok), After::Deliver);
        c.answered(&request, &ok.response);
        let request = put("g");
        let lost = Decision {
            response: ApiResponse::ok(serde_json::json!({})),
            stored: Some(Stored {
                events: 4,
                bytes: 12,
            }),
        };
        c.after_decision(&request, &lost);
        c.unanswered(&request);
        for error in [
            "InvalidSequenceTokenException",
            "DataAlreadyAcceptedException",
        ] {
            let request = put("g");
            let refused = ApiError::client(error, "x").into_response();
            let decision = Decision {
                response: refused.clone(),
                stored: None,
            };
            c.after_decision(&request, &decision);
            c.answered(&request, &refused);
        }
        let snap = c.stats.snapshot();
        let s = &snap.streams["g"]["s"];
        assert_eq!(s.puts, 2);
        assert_eq!(s.events_stored, 2 + 4);
        assert_eq!(s.bytes_stored, 6 + 12);
        assert_eq!((s.token_conflicts, s.data_already_accepted), (1, 1));
        let op = &snap.operations["PutLogEvents"];
        assert_eq!((op.requests, op.successes), (4, 1));
        assert_eq!(op.errors[CONNECTION_CLOSED], 1);
    }

    #[test]
    fn a_lost_error_answer_is_not_counted_as_a_put() {
        let c = controls(r#"{"rules":[{"fault":{"kind":"lost_response"}}]}"#);
        let request = put("g");
        assert_eq!(Hook::before_decision(&c, &request, 0), Before::Continue);
        let refused = Decision {
            response: ApiError::invalid_sequence_token(Some("1")).into_response(),
            stored: None,
        };
        assert_eq!(c.after_decision(&request, &refused), After::Drop);
        c.unanswered(&request);
        let snap = c.stats.snapshot();
        assert_eq!(snap.operations["PutLogEvents"].requests, 1);
        assert_eq!(snap.operations["PutLogEvents"].errors[CONNECTION_CLOSED], 1);
        assert_eq!(snap.streams["g"]["s"].puts, 0);
        assert_eq!(snap.streams["g"]["s"].events_stored, 0);

        // The same fault on a successful put counts what was stored, once.
        let request = put("g");
        assert_eq!(Hook::before_decision(&c, &request, 0), Before::Continue);
        let ok = Decision {
            response: ApiResponse::ok(serde_json::json!({"nextSequenceToken":"1"})),
            stored: Some(Stored {
                events: 1,
                bytes: 1,
            }),
        };
        assert_eq!(c.after_decision(&request, &ok), After::Drop);
        c.unanswered(&request);
        let snap = c.stats.snapshot();
        assert_eq!(snap.operations["PutLogEvents"].requests, 2);
        assert_eq!(snap.streams["g"]["s"].puts, 1);
        assert_eq!(snap.streams["g"]["s"].events_stored, 1);
    }

    #[test]
    fn reset_clears_plan_and_counters() {
        let c = controls(r#"{"rules":[{"fault":{"kind":"throttle"}}]}"#);
        c.before(&facts("PutLogEvents"), Duration::ZERO);
        c.reset();
        assert_eq!(c.faults.plan(), FaultPlan::default());
        assert_eq!(c.stats.snapshot(), Default::default());
    }
}
