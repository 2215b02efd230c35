//! The invariants every case must keep, checked against the oracle and the shippers' reports.
//!
//! The shippers' reports are per-stream counts (`DeliveryReport` does not name event ids), so
//! statements about "the events reported X" are checked as counts against what each stream holds,
//! per shipper and stream. Where a count is the best the public API allows, the comment says which
//! direction is sound and why. Every violation is collected, so one failure shows them all.

use super::oracle::Stored;
use super::run::Observed;
use super::scenario::{Mode, Scenario, Service, GROUP};
use sdk_adapter::Tally;
use std::collections::BTreeMap;

/// The error types the mock may answer these shippers with: faults, quotas, token conflicts,
/// creating what exists, a first put before the stream exists, and closed connections. Anything
/// else (InvalidParameterException, SerializationException, ...) means a shipper sent a request
/// the mock's validation refused.
const EXPECTED_ERRORS: &[&str] = &[
    "ThrottlingException",
    "ServiceUnavailableException",
    "InternalServerException",
    "InvalidSequenceTokenException",
    "DataAlreadyAcceptedException",
    "ResourceNotFoundException",
    "ResourceAlreadyExistsException",
    "ConnectionClosed",
];

/// How one shipper's events ended up in one stream.
#[derive(Debug, Default)]
struct Held {
    /// Copies stored, by event index.
    copies: BTreeMap<usize, u64>,
    /// Event indexes in storage order, first copies only.
    first_copies: Vec<usize>,
}

impl Held {
    fn distinct(&self) -> u64 {
        self.copies.len() as u64
    }

    /// Events stored more than once.
    fn duplicated(&self) -> u64 {
        self.copies.values().filter(|&&c| c > 1).count() as u64
    }
}

/// Checks every invariant; the error lists every violation found.
pub fn check(scenario: &Scenario, observed: &Observed) -> Result<(), String> {
    let mut violations = Vec::new();
    for (k, run) in observed.shippers.iter().enumerate() {
        for e in &run.send_errors {
            violations.push(format!("shipper {k}: send failed: {e}"));
        }
    }
    for j in 0..scenario.streams {
        let held = read_stream(scenario, observed, j, &mut violations);
        for (k, held) in held.iter().enumerate() {
            let name = Scenario::stream_name(j);
            match observed.shippers[k].report.streams.get(&name) {
                Some(tally) => check_tally(scenario, k, j, tally, held, &mut violations),
                None => violations.push(format!("shipper {k}'s report has no {name}")),
            }
        }
    }
    if scenario.service.recovers() {
        for (k, run) in observed.shippers.iter().enumerate() {
            if !run.report.finished_in_time {
                violations.push(format!(
                    "shipper {k} did not finish by its deadline though the service recovers"
                ));
            }
        }
    }
    check_stats(scenario, observed, &mut violations);
    if violations.is_empty() {
        Ok(())
    } else {
        Err(violations.join("\n"))
    }
}

/// Sorts stream `j`'s stored events by shipper, checking that each is one that shipper sent to
/// this stream, intact, with its timestamp, and not one token-core had to reject.
fn read_stream(
    scenario: &Scenario,
    observed: &Observed,
    j: usize,
    violations: &mut Vec<String>,
) -> Vec<Held> {
    let mut held: Vec<Held> = (0..scenario.shippers).map(|_| Held::default()).collect();
    for (position, Stored { timestamp, message }) in observed.stored[j].iter().enumerate() {
        let at = format!("stream-{j}[{position}]");
        let Some((k, sent_to, i)) = Scenario::identify(message) else {
            violations.push(format!("{at} holds {message:?}, which no shipper sent"));
            continue;
        };
        if k >= scenario.shippers || i >= scenario.events || sent_to >= scenario.streams {
            violations.push(format!("{at} holds {message:?}, which no shipper sent"));
            continue;
        }
        if sent_to != j {
            violations.push(format!("{at} holds {message:?}, sent to stream-{sent_to}"));
        }
        if *message != scenario.message(k, sent_to, i) {
            violations.push(format!("{at} holds a corrupted message {message:?}"));
        }
        if scenario.is_ancient(i) {
            violations.push(format!(
                "{at} holds {message:?}, which is too old and must be rejected locally"
            ));
        }
        let sent_at = scenario.timestamp(i, observed.base).as_millis();
        if *timestamp != sent_at {
            violations.push(format!(
                "{at} holds {message:?} at {timestamp}, sent with {sent_at}"
            ));
        }
        let copies = held[k].copies.entry(i).or_default();
        *copies += 1;
        if *copies == 1 {
            held[k].first_copies.push(i);
        }
    }
    held
}

/// The invariants of shipper `k` on stream `j`.
fn check_tally(
    scenario: &Scenario,
    k: usize,
    j: usize,
    t: &Tally,
    held: &Held,
    violations: &mut Vec<String>,
) {
    let mut fail = |what: String| violations.push(format!("shipper {k}, stream-{j}: {what}"));
    let sent = scenario.events as u64;
    let ancient = scenario.ancient_count();
    let buffer_full = t.dropped.get("buffer_full").copied().unwrap_or(0);

    // Every event sent is in exactly one bucket: accepted counts each send once (messages are
    // far below the event limit, so nothing is split), and the buckets partition it.
    if t.accepted != sent {
        fail(format!("{sent} sent, {} accepted: {t:?}", t.accepted));
    }
    let buckets = t.delivered + t.rejected_total() + t.dropped_total() + t.undelivered;
    if buckets != t.accepted {
        fail(format!(
            "buckets add up to {buckets}, not {}: {t:?}",
            t.accepted
        ));
    }
    // The only rejections are the ancient events, all refused locally.
    let expected_rejected: BTreeMap<String, u64> = if ancient > 0 {
        BTreeMap::from([("too_old".to_owned(), ancient)])
    } else {
        BTreeMap::new()
    };
    if t.rejected != expected_rejected || t.rejected_by_service != 0 {
        fail(format!(
            "rejections {:?}, expected {expected_rejected:?} (all local)",
            t.rejected
        ));
    }
    if let Some(fatal) = &t.fatal {
        fail(format!("a fatal error stopped the writer: {fatal}"));
    }

    // Delivered means stored: at least `delivered` distinct events are in the stream. At most the
    // events that may have been sent are: not rejected, and not dropped from the buffer before
    // they were ever sent.
    let distinct = held.distinct();
    if distinct < t.delivered {
        fail(format!(
            "{} reported delivered, {distinct} stored",
            t.delivered
        ));
    }
    let may_have_been_sent = t
        .accepted
        .saturating_sub(t.rejected_total())
        .saturating_sub(buffer_full);
    if distinct > may_have_been_sent {
        fail(format!(
            "{distinct} stored, but only {may_have_been_sent} can have been sent: {t:?}"
        ));
    }

    match &scenario.service {
        // Nothing lost: every event not rejected and not dropped by the overflow policy is
        // delivered, and the stream holds exactly those.
        Service::Recovering(_) => {
            let expected = sent.saturating_sub(ancient).saturating_sub(buffer_full);
            if t.delivered != expected || t.undelivered != 0 || t.dropped_total() != buffer_full {
                fail(format!(
                    "the service recovers, yet {} of {expected} delivered: {t:?}",
                    t.delivered
                ));
            }
            if distinct != t.delivered {
                fail(format!("{} delivered, {distinct} stored", t.delivered));
            }
        }
        // Nothing can be delivered; only a lost response (stored, unanswered) or a latency past
        // the request timeout can have stored anything.
        Service::FailsEveryPut { kind, .. } => {
            if t.delivered != 0 {
                fail(format!(
                    "{} delivered by a service that fails every put",
                    t.delivered
                ));
            }
            if !kind.may_store() && distinct != 0 {
                fail(format!(
                    "{distinct} stored by a service whose every put fails unstored"
                ));
            }
        }
    }

    check_duplicates(scenario, t, held, &mut fail);
    if scenario.mode.sequential() {
        // One put in flight per stream, batches cut from a stably sorted buffer and sent in
        // order: the first copy of each event is stored in send order. Only first copies are
        // compared, because a second copy (a possible duplicate, see above) is stored when its
        // resend lands, after the first. Timestamps grow with the index, so this also means
        // non-decreasing timestamps. Concurrent mode promises no order between batches
        // (token-core's `TokenMode::Concurrent`: several in flight, retried batches may land out
        // of order), so it is not checked there.
        if let Some(w) = held.first_copies.windows(2).find(|w| w[0] >= w[1]) {
            fail(format!(
                "stored out of send order: event {} before event {}",
                w[0], w[1]
            ));
        }
    }
}

/// Which stored duplicates the report must have owned up to.
fn check_duplicates(scenario: &Scenario, t: &Tally, held: &Held, fail: &mut impl FnMut(String)) {
    let duplicated = held.duplicated();
    match scenario.mode {
        Mode::StrictSequential if scenario.shippers == 1 => {
            // A single writer on a strict stream: a resend after an unknown outcome carries the
            // token of the lost attempt, so if that attempt landed the resend is the stream's
            // last batch repeated under its token and gets DataAlreadyAccepted (mock README,
            // "Token modes"). Nothing may ever be stored twice.
            if duplicated != 0 {
                fail(format!(
                    "{duplicated} event(s) stored twice by the only writer"
                ));
            }
        }
        Mode::StrictSequential | Mode::CurrentSequential => {
            // Sequential mode reports a possible duplicate when a batch that may have been
            // stored (unknown outcome) is delivered by a later attempt (token-core lib docs,
            // "Outcomes"; `outcomes.rs`). Another writer's put between the lost attempt and its
            // resend (strict), or today's service ignoring the token (current), defeats
            // DataAlreadyAccepted, so the resend is stored again: such a batch is a reported
            // possible duplicate. A batch that never got an answer again ends undelivered or
            // dropped and is not reported as anything but that. So: events stored twice <=
            // possible duplicates + events not reported delivered that may have been sent.
            let buffer_full = t.dropped.get("buffer_full").copied().unwrap_or(0);
            let unconfirmed = t.undelivered + t.dropped_total().saturating_sub(buffer_full);
            if duplicated > t.possible_duplicates + unconfirmed {
                fail(format!(
                    "{duplicated} event(s) stored twice, {} reported as possible duplicates, \
                     {unconfirmed} unconfirmed",
                    t.possible_duplicates
                ));
            }
        }
        Mode::CurrentConcurrent { .. } => {
            // Concurrent mode on today's service: an event is stored twice only if its batch was
            // put again after a put of it that may have landed, i.e. after an unknown outcome
            // (lost response, reset, request timeout); throttles and 5xx store nothing. token-core
            // reports the whole batch as a possible duplicate when it queues that resend, once
            // per batch however often it is lost, whatever the batch's final outcome. So the
            // events stored twice or more are a subset of the reported ones: as counts,
            // duplicated <= possible_duplicates. Not equality: a reset before commit, or a timed
            // out put that was never decided, is reported but stored once.
            if duplicated > t.possible_duplicates {
                fail(format!(
                    "{duplicated} event(s) stored twice, only {} reported as possible duplicates",
                    t.possible_duplicates
                ));
            }
        }
    }
}

/// The mock refused nothing for being invalid, and its own counters agree with the oracle.
fn check_stats(scenario: &Scenario, observed: &Observed, violations: &mut Vec<String>) {
    let stats = &observed.stats;
    match stats["operations"].as_object() {
        Some(operations) => {
            for (operation, counters) in operations {
                let errors = counters["errors"].as_object().cloned().unwrap_or_default();
                for (error, n) in errors {
                    if !EXPECTED_ERRORS.contains(&error.as_str()) {
                        violations.push(format!(
                            "the mock answered {operation} with {error} {n} time(s)"
                        ));
                    }
                }
            }
        }
        None => violations.push(format!("stats without operations: {stats}")),
    }
    for j in 0..scenario.streams {
        let name = Scenario::stream_name(j);
        let counted = stats["streams"][GROUP][&name]["eventsStored"]
            .as_u64()
            .unwrap_or(0);
        let held = observed.stored[j].len() as u64;
        if counted != held {
            violations.push(format!(
                "the mock counted {counted} events stored in {name}, its oracle shows {held}"
            ));
        }
    }
}
