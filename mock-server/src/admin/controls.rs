//! The control plane: quotas, the fault plan, counters and background writers of one server, and
//! the two hooks through which the request pipeline consults them.
//!
//! The server calls [`Controls::before_decision`] once per API request, before the store is touched,
//! and gets back a [`Plan`]: an optional delay (to await outside every lock), then either an error
//! to answer without storing, a connection to reset, or "go ahead" together with what to do after
//! the commit ([`AfterCommit`]). When the answer is known (or the connection is closed) it calls
//! [`Controls::record`] exactly once, which keeps every counter in one place.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use crate::background_writer::BackgroundWriters;
use crate::faults::{FaultAction, FaultInjector, FaultPlan, FaultTarget};
use crate::pipeline::{After, Before, Hook};
use crate::stats::{Stats, CONNECTION_CLOSED};
use crate::throttle::{ThrottleRates, ThrottleRequest, Throttled, Throttler};
use crate::wire::{ApiRequest, ApiResponse};

/// Everything the admin API changes and the pipeline hooks read.
#[derive(Debug)]
pub struct Controls {
    /// Request-rate quotas.
    pub throttler: Throttler,
    /// The fault plan and its counters.
    pub faults: FaultInjector,
    /// Per-operation and per-stream counters.
    pub stats: Stats,
    /// Background writers started through the admin API.
    pub writers: BackgroundWriters,
    strict_tokens: bool,
    /// Post-commit faults decided before the decision, by request id, until the pipeline asks.
    pending: Mutex<HashMap<String, Pending>>,
}

/// What the hook remembers of a request between its pipeline steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pending {
    /// A post-commit fault to apply in `after_decision`.
    After(AfterCommit),
    /// The request was already counted (a lost response is counted with its decided answer).
    Counted,
}

/// What the pipeline knows about a request before deciding it.
#[derive(Debug, Clone, Copy)]
pub struct RequestFacts<'a> {
    /// The operation name.
    pub operation: &'a str,
    /// Whose quota the request uses (the SigV4 access key id, or the configured account).
    pub account: &'a str,
    /// The request's log group, when it names one.
    pub log_group_name: Option<&'a str>,
    /// The request's log stream, when it names one.
    pub log_stream_name: Option<&'a str>,
}

impl RequestFacts<'_> {
    fn stream(&self) -> Option<(&str, &str)> {
        self.log_group_name.zip(self.log_stream_name)
    }
}

/// An error answer decided by a quota or a fault, before the store was touched.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorAnswer {
    /// HTTP status.
    pub status: u16,
    /// The bare `__type`.
    pub error_type: &'static str,
    /// The message.
    pub message: String,
    /// For throttles by a quota: when the bucket has a token again (`x-amz-retry-after`, in ms).
    pub retry_after: Option<Duration>,
}

impl ErrorAnswer {
    /// The compact AWS error body: `__type`, then `message`.
    pub fn body(&self) -> String {
        crate::wire::error_body(self.error_type, &self.message)
    }
}

/// What to do with a request once it has been committed to the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterCommit {
    /// Answer normally.
    Answer,
    /// Close the connection without answering (`lost_response`).
    DropConnection,
    /// Answer after this delay (`slow_response`).
    DelayAnswer(Duration),
}

/// What to do with a request instead of, or around, the decision.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Decide it normally, then follow the [`AfterCommit`].
    Proceed(AfterCommit),
    /// Answer this error without deciding.
    Answer(ErrorAnswer),
    /// Close the connection without deciding (`reset_before_commit`).
    ResetConnection,
}

/// The pre-decision verdict for one request.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Wait this long first (a `latency` fault); await it outside every lock.
    pub delay: Option<Duration>,
    /// Then do this.
    pub action: Action,
}

/// How a request ended, for [`Controls::record`].
#[derive(Debug, Clone, Copy)]
pub enum Outcome<'a> {
    /// Answered; `error_type` is `None` for a success.
    Answered {
        /// The `__type` of an error answer.
        error_type: Option<&'a str>,
    },
    /// The connection was closed instead of answered (counted as `ConnectionClosed`).
    ConnectionClosed,
}

impl Controls {
    /// Controls with the given quotas and fault plan; `strict_tokens` says whether the per-stream
    /// PutLogEvents quota applies.
    pub fn new(rates: ThrottleRates, plan: FaultPlan, strict_tokens: bool) -> Self {
        Self {
            throttler: Throttler::new(rates),
            faults: FaultInjector::new(plan),
            stats: Stats::new(),
            writers: BackgroundWriters::new(),
            strict_tokens,
            pending: Mutex::new(HashMap::new()),
        }
    }

    /// Whether sequence tokens are strict (the per-stream quota applies).
    pub fn strict_tokens(&self) -> bool {
        self.strict_tokens
    }

    /// Empties the counters and the fault plan, refills every bucket and stops every writer (the
    /// store is the server's to clear).
    pub fn reset(&self) {
        self.writers.stop_all();
        self.faults.clear();
        self.throttler.reset();
        self.stats.reset();
    }

    /// The pre-decision hook: faults first (they are what the test asked for), then quotas.
    /// A fault that fires is counted under its rule name here.
    pub fn before_decision(&self, facts: &RequestFacts<'_>, now: Instant) -> Plan {
        let fired = self.faults.decide(&FaultTarget {
            operation: facts.operation,
            log_group_name: facts.log_group_name,
            log_stream_name: facts.log_stream_name,
        });
        let mut delay = None;
        let mut after = AfterCommit::Answer;
        if let Some(fired) = fired {
            self.stats.record_fault(&fired.rule_name, facts.stream());
            match fired.action {
                FaultAction::Error {
                    status,
                    error_type,
                    message,
                } => {
                    return Plan {
                        delay: None,
                        action: Action::Answer(ErrorAnswer {
                            status,
                            error_type,
                            message,
                            retry_after: None,
                        }),
                    }
                }
                FaultAction::ResetBeforeCommit => {
                    return Plan {
                        delay: None,
                        action: Action::ResetConnection,
                    }
                }
                FaultAction::Latency(d) => delay = Some(d),
                FaultAction::LostResponse => after = AfterCommit::DropConnection,
                FaultAction::SlowResponse(d) => after = AfterCommit::DelayAnswer(d),
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
        let action = match quota {
            Ok(()) => Action::Proceed(after),
            Err(throttled) => Action::Answer(ErrorAnswer {
                status: 400,
                error_type: Throttled::ERROR_TYPE,
                message: throttled.message,
                retry_after: Some(throttled.retry_after),
            }),
        };
        Plan { delay, action }
    }

    /// Counts one finished request: per operation, and for PutLogEvents per stream (events and
    /// bytes stored, token conflicts, DataAlreadyAccepted). `request` and `response_body` are the
    /// parsed request body and the JSON answer of a decided request, when there was one.
    pub fn record(
        &self,
        facts: &RequestFacts<'_>,
        outcome: Outcome<'_>,
        request: Option<&Map<String, Value>>,
        response_body: Option<&str>,
    ) {
        self.record_with(facts, outcome, response_body, |body| {
            request.map(|r| stored_by_put(r, body))
        });
    }

    /// [`Controls::record`] with the events and bytes a successful put stored computed by
    /// `stored` from the answer's body (`None`: not counted as a put).
    fn record_with(
        &self,
        facts: &RequestFacts<'_>,
        outcome: Outcome<'_>,
        response_body: Option<&str>,
        stored: impl FnOnce(&str) -> Option<(u64, u64)>,
    ) {
        let error_type = match outcome {
            Outcome::Answered { error_type } => error_type,
            Outcome::ConnectionClosed => Some(CONNECTION_CLOSED),
        };
        self.stats.record_request(facts.operation, error_type);
        if facts.operation != "PutLogEvents" {
            return;
        }
        let Some((group, stream)) = facts.stream() else {
            return;
        };
        match error_type {
            Some("InvalidSequenceTokenException") => {
                self.stats.record_token_conflict(group, stream)
            }
            Some("DataAlreadyAcceptedException") => {
                self.stats.record_data_already_accepted(group, stream)
            }
            // A lost response was still committed; count what it stored if it decided at all.
            None | Some(CONNECTION_CLOSED) => {
                if let Some((events, bytes)) = response_body.and_then(stored) {
                    self.stats.record_put(group, stream, events, bytes);
                }
            }
            Some(_) => {}
        }
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

/// What a decided put stored, read from the typed input so that a PutLogEvents body taken by the
/// fast path is never parsed into a `Value` just to be counted.
fn stored_by_request(request: &ApiRequest, response_body: &str) -> Option<(u64, u64)> {
    match request.put_input() {
        Ok(input) => {
            let lengths: Vec<Option<usize>> = input
                .log_events
                .iter()
                .flatten()
                .map(|e| e.message.map(str::len))
                .collect();
            Some(stored_of(&lengths, response_body))
        }
        // Not a valid put; counted the way the body reads, as for any other request.
        Err(_) => request
            .body
            .as_ref()
            .ok()
            .map(|body| stored_by_put(body, response_body)),
    }
}

/// The pipeline hook: faults and quotas before the decision, lost and slow responses after it,
/// and every counter when the request ends.
///
/// Quotas use the monotonic clock rather than the pipeline's `now_ms`: a test that pins the
/// service clock must still see buckets refill, or the SDK's retries could never succeed.
impl Hook for Controls {
    fn before_decision(&self, request: &ApiRequest, _now_ms: i64) -> Before {
        let plan = Controls::before_decision(self, &facts_of(request), Instant::now());
        let delay = plan.delay.unwrap_or(Duration::ZERO);
        match plan.action {
            Action::Answer(answer) => {
                let mut headers = Vec::new();
                if let Some(after) = answer.retry_after {
                    // Milliseconds, rounded up so that a retry at exactly that time succeeds.
                    let ms = after.as_micros().div_ceil(1000).max(1);
                    headers.push(("x-amz-retry-after".to_owned(), ms.to_string()));
                }
                Before::Respond {
                    delay,
                    response: ApiResponse {
                        status: answer.status,
                        error_type: Some(answer.error_type),
                        body: answer.body(),
                        headers,
                    },
                }
            }
            Action::ResetConnection => Before::Reset { delay },
            Action::Proceed(after) => {
                if after != AfterCommit::Answer {
                    lock(&self.pending).insert(request.request_id.clone(), Pending::After(after));
                }
                if delay.is_zero() {
                    Before::Continue
                } else {
                    Before::Delay(delay)
                }
            }
        }
    }

    fn after_decision(&self, request: &ApiRequest, response: &ApiResponse) -> After {
        let mut pending = lock(&self.pending);
        match pending.remove(&request.request_id) {
            Some(Pending::After(AfterCommit::DropConnection)) => {
                pending.insert(request.request_id.clone(), Pending::Counted);
                drop(pending);
                // Only a successful decision stored anything; an error answer lost on the way
                // (say InvalidSequenceToken) stored nothing and must not count as a put.
                let stored = (!response.is_error()).then_some(response.body.as_str());
                self.record_with(
                    &facts_of(request),
                    Outcome::ConnectionClosed,
                    stored,
                    |body| stored_by_request(request, body),
                );
                After::Drop
            }
            Some(Pending::After(AfterCommit::DelayAnswer(d))) => After::Delay(d),
            _ => After::Deliver,
        }
    }

    fn answered(&self, request: &ApiRequest, response: &ApiResponse) {
        lock(&self.pending).remove(&request.request_id);
        self.record_with(
            &facts_of(request),
            Outcome::Answered {
                error_type: response.error_type,
            },
            Some(&response.body),
            |body| stored_by_request(request, body),
        );
    }

    fn unanswered(&self, request: &ApiRequest) {
        if lock(&self.pending).remove(&request.request_id) != Some(Pending::Counted) {
            self.record(&facts_of(request), Outcome::ConnectionClosed, None, None);
        }
    }
}

/// Locks a mutex, recovering from poisoning: the map only holds plain values.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The events and message bytes a successful PutLogEvents stored: the batch minus the prefix
/// rejected as too old or expired and the suffix rejected as too new (`rejectedLogEventsInfo`,
/// whose end indices are exclusive and start index inclusive, CLOUDWATCH.md §4).
pub fn stored_by_put(request: &Map<String, Value>, response_body: &str) -> (u64, u64) {
    let Some(events) = request.get("logEvents").and_then(Value::as_array) else {
        return (0, 0);
    };
    let lengths: Vec<Option<usize>> = events
        .iter()
        .map(|e| e["message"].as_str().map(str::len))
        .collect();
    stored_of(&lengths, response_body)
}

/// Events and message bytes in the stored range of a put whose events' messages have `lengths`
/// (`None`: not a string), given the put's JSON answer.
fn stored_of(lengths: &[Option<usize>], response_body: &str) -> (u64, u64) {
    let response: Value = serde_json::from_str(response_body).unwrap_or(Value::Null);
    let info = &response["rejectedLogEventsInfo"];
    let index = |name: &str| info[name].as_u64().map(|i| i as usize);
    let start = index("tooOldLogEventEndIndex")
        .into_iter()
        .chain(index("expiredLogEventEndIndex"))
        .max()
        .unwrap_or(0)
        .min(lengths.len());
    let end = index("tooNewLogEventStartIndex")
        .unwrap_or(lengths.len())
        .clamp(start, lengths.len());
    let bytes = lengths[start..end]
        .iter()
        .flatten()
        .map(|&n| n as u64)
        .sum();
    ((end - start) as u64, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::throttle::ThrottlePreset;

    fn facts<'a>(operation: &'a str) -> RequestFacts<'a> {
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
        )
    }

    #[test]
    fn no_faults_and_quota_left_proceeds() {
        let c = controls("{}");
        let plan = c.before_decision(&facts("PutLogEvents"), Instant::now());
        assert_eq!(
            plan,
            Plan {
                delay: None,
                action: Action::Proceed(AfterCommit::Answer)
            }
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
        let now = Instant::now();
        let f = facts("PutLogEvents");
        let actions: Vec<Plan> = (0..5).map(|_| c.before_decision(&f, now)).collect();
        assert_eq!(
            actions[0].action,
            Action::Proceed(AfterCommit::DropConnection)
        );
        assert_eq!(
            actions[1].action,
            Action::Proceed(AfterCommit::DelayAnswer(Duration::from_millis(9)))
        );
        assert_eq!(actions[2].action, Action::ResetConnection);
        assert_eq!(actions[3].delay, Some(Duration::from_millis(3)));
        assert_eq!(actions[3].action, Action::Proceed(AfterCommit::Answer));
        match &actions[4].action {
            Action::Answer(answer) => {
                assert_eq!(answer.status, 400);
                assert_eq!(
                    answer.body(),
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
        let c = Controls::new(rates, FaultPlan::default(), false);
        let now = Instant::now();
        let f = facts("GetLogEvents");
        assert_eq!(
            c.before_decision(&f, now).action,
            Action::Proceed(AfterCommit::Answer)
        );
        match c.before_decision(&f, now).action {
            Action::Answer(answer) => {
                assert_eq!(
                    answer.body(),
                    r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#
                );
                assert!(answer.retry_after.is_some());
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn record_counts_puts_conflicts_and_closed_connections() {
        let c = controls("{}");
        let f = facts("PutLogEvents");
        let request: Map<String, Value> = serde_json::from_str(
            r#"{"logEvents":[{"timestamp":1,"message":"old"},{"timestamp":2,"message":"ok"},
                {"timestamp":3,"message":"fine"},{"timestamp":4,"message":"new"}]}"#,
        )
        .unwrap();
        let body = r#"{"nextSequenceToken":"1","rejectedLogEventsInfo":{"tooOldLogEventEndIndex":1,"tooNewLogEventStartIndex":3}}"#;
        c.record(
            &f,
            Outcome::Answered { error_type: None },
            Some(&request),
            Some(body),
        );
        c.record(&f, Outcome::ConnectionClosed, Some(&request), Some("{}"));
        c.record(
            &f,
            Outcome::Answered {
                error_type: Some("InvalidSequenceTokenException"),
            },
            None,
            None,
        );
        c.record(
            &f,
            Outcome::Answered {
                error_type: Some("DataAlreadyAcceptedException"),
            },
            None,
            None,
        );
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
        let request = ApiRequest::json(
            "PutLogEvents",
            serde_json::json!({"logGroupName":"g","logStreamName":"s",
                "logEvents":[{"timestamp":1,"message":"m"}]}),
        );
        assert_eq!(Hook::before_decision(&c, &request, 0), Before::Continue);
        let refused = ApiResponse {
            status: 400,
            error_type: Some("InvalidSequenceTokenException"),
            body: r#"{"__type":"InvalidSequenceTokenException","message":"x"}"#.into(),
            headers: Vec::new(),
        };
        assert_eq!(c.after_decision(&request, &refused), After::Drop);
        c.unanswered(&request);
        let snap = c.stats.snapshot();
        assert_eq!(snap.operations["PutLogEvents"].requests, 1);
        assert_eq!(snap.operations["PutLogEvents"].errors[CONNECTION_CLOSED], 1);
        assert_eq!(snap.streams["g"]["s"].puts, 0);
        assert_eq!(snap.streams["g"]["s"].events_stored, 0);

        // The same fault on a successful put counts what was stored, once.
        let request = ApiRequest::json(
            "PutLogEvents",
            serde_json::json!({"logGroupName":"g","logStreamName":"s",
                "logEvents":[{"timestamp":1,"message":"m"}]}),
        );
        assert_eq!(Hook::before_decision(&c, &request, 0), Before::Continue);
        let ok = ApiResponse::ok(serde_json::json!({"nextSequenceToken":"1"}));
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
        c.before_decision(&facts("PutLogEvents"), Instant::now());
        c.reset();
        assert_eq!(c.faults.plan(), FaultPlan::default());
        assert_eq!(c.stats.snapshot(), Default::default());
    }
}
