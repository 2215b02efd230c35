//! The invariants every case must keep, checked after the run with the mock's store as the oracle.
//!
//! The simulation saw every request leave and every commit the mock made; the store read back must
//! be exactly those commits (ordered by timestamp, ties in commit order, as the mock keeps a
//! stream). Everything else is judged against that: how often each event was stored, in which
//! order, and whether what the writer reported about it is true.

use super::record::{Fate, Owner};
use super::scenario::{MockTokens, Mode, Scenario, DAY_MS, HOUR_MS, T0};
use super::world::World;
use std::collections::BTreeMap;
use token_core::{DropReason, EventId, OverflowPolicy, OversizePolicy, RejectReason, Rejector};

/// How many times each writer's event was stored, and the commit index of its first copy.
type Copies = BTreeMap<(usize, EventId), (usize, usize)>;

/// Every invariant broken by the finished `world`, described for a person; empty when all hold.
pub fn check(world: &World) -> Vec<String> {
    let mut v = world.violations.clone();
    let copies = store_matches_commits(world, &mut v);
    tokens_raced_only_in_the_window(world, &mut v);
    for w in 0..world.writers.len() {
        every_event_ends_once(world, w, &mut v);
        reasons_are_right(world, w, &mut v);
        sent_what_was_pushed(world, w, &mut v);
        stored_as_reported(world, w, &copies, &mut v);
        push_order_kept(world, w, &copies, &mut v);
        retries_within_budget(world, w, &mut v);
    }
    v
}

/// The store read back equals the commits the simulation saw, per stream; returns the copies.
fn store_matches_commits(world: &World, v: &mut Vec<String>) -> Copies {
    let mut copies = Copies::new();
    for (s, commits) in world.commits.iter().enumerate() {
        let group = Scenario::group_name(world.scenario.streams[s].group);
        let stream = Scenario::stream_name(s);
        let mut expected: Vec<(i64, &str)> = commits
            .iter()
            .map(|c| (c.timestamp, c.message.as_str()))
            .collect();
        // Stable: the mock keeps a stream ordered by timestamp, ties in the order accepted.
        expected.sort_by_key(|e| e.0);
        let stored = world.service.stored(&group, &stream);
        let actual: Vec<(i64, &str)> = stored.iter().map(|(t, m)| (*t, m.as_str())).collect();
        if actual != expected {
            let at = actual
                .iter()
                .zip(&expected)
                .position(|(a, e)| a != e)
                .unwrap_or(actual.len().min(expected.len()));
            v.push(format!(
                "stream {stream}: the store holds {} events, the commits seen were {}; first \
                 difference at {at}: stored {:?}, committed {:?}",
                actual.len(),
                expected.len(),
                actual.get(at),
                expected.get(at)
            ));
        }
        for (i, c) in commits.iter().enumerate() {
            if let Owner::Writer(w, id) = c.owner {
                copies.entry((w, id)).or_insert((0, i)).0 += 1;
            }
        }
    }
    copies
}

/// The mock moved each stream's token on exactly as often as the simulation saw puts accepted,
/// and a strict stream let two puts with the same token through only when the scenario opened a
/// legacy race window (without one, the token is a compare-and-set: `Config::legacy_race_window_ms`).
fn tokens_raced_only_in_the_window(world: &World, v: &mut Vec<String>) {
    for (s, stream) in world.scenario.streams.iter().enumerate() {
        let group = Scenario::group_name(stream.group);
        let name = Scenario::stream_name(s);
        let counted = world.service.accepted_puts(&group, &name);
        if counted != world.token_advances[s] {
            v.push(format!(
                "stream {name}: the mock counts {counted} accepted puts, the simulation saw {}",
                world.token_advances[s]
            ));
        }
        if world.scenario.race_window_ms == 0 && world.raced_puts[s] > 0 {
            v.push(format!(
                "stream {name}: {} put(s) won with a token another put had already used, without a race window",
                world.raced_puts[s]
            ));
        }
    }
}

/// Every id a push returned (and every marker) ends in exactly one terminal report, no report
/// names an id never accepted, and the counters agree with the reports.
fn every_event_ends_once(world: &World, w: usize, v: &mut Vec<String>) {
    let trace = &world.traces[w];
    let mut accepted: Vec<EventId> = trace.pushes.iter().flat_map(|p| p.ids.iter()).collect();
    accepted.extend(trace.markers.iter().copied());
    for id in &accepted {
        if !trace.fates.contains_key(id) {
            v.push(format!(
                "writer {w}: {id} was accepted but never reported as ended"
            ));
        }
    }
    for id in trace.fates.keys() {
        if !accepted.contains(id) {
            v.push(format!("writer {w}: {id} was reported but never accepted"));
        }
    }
    let count = |pred: fn(&Fate) -> bool| trace.fates.values().filter(|f| pred(f)).count() as u64;
    let c = world.writers[w].counters();
    let tallies = [
        ("accepted", c.events_accepted, accepted.len() as u64),
        (
            "delivered",
            c.events_delivered,
            count(|f| *f == Fate::Delivered),
        ),
        (
            "rejected",
            c.events_rejected,
            count(|f| matches!(f, Fate::Rejected { .. })),
        ),
        (
            "dropped",
            c.events_dropped,
            count(|f| matches!(f, Fate::Dropped(_))),
        ),
        ("refused", c.pushes_refused, trace.refused as u64),
    ];
    for (name, counter, seen) in tallies {
        if counter != seen {
            v.push(format!(
                "writer {w}: counter {name} = {counter}, reports say {seen}"
            ));
        }
    }
    for fatal in &trace.fatal {
        v.push(format!("writer {w} stopped on a fatal error: {fatal}"));
    }
}

/// Rejections happened for the reason given, at the instant they were decided; drops only by a
/// policy the writer was configured with.
fn reasons_are_right(world: &World, w: usize, v: &mut Vec<String>) {
    let trace = &world.traces[w];
    let spec = &world.scenario.writers[w];
    let group = Scenario::group_name(world.scenario.streams[spec.stream].group);
    let max_message = world.scenario.limits.max_message_bytes();
    let pushed = |id: EventId| trace.pushes.iter().find(|p| p.ids.contains(id));
    for (id, fate) in &trace.fates {
        let ts = pushed(*id)
            .map(|p| p.timestamp)
            .or_else(|| trace.sent.get(id).map(|s| s.0));
        let wrong = match fate {
            Fate::Delivered => None,
            Fate::Rejected {
                reason,
                by,
                decided_at,
            } => {
                let retention = match by {
                    Rejector::Local => world.scenario.groups
                        [world.scenario.streams[spec.stream].group]
                        .retention_days
                        .map(i64::from),
                    Rejector::Service => world.service.retention_days(&group),
                };
                let ok = ts.is_some_and(|ts| match reason {
                    RejectReason::TooOld => ts < decided_at - 14 * DAY_MS,
                    RejectReason::TooNew => ts > decided_at + 2 * HOUR_MS,
                    RejectReason::Expired => {
                        retention.is_some_and(|d| ts < decided_at - d * DAY_MS)
                    }
                    _ => false,
                });
                (!ok).then(|| {
                    format!(
                        "rejected {reason:?} by {by:?} at +{} ms with timestamp {ts:?}",
                        decided_at - T0
                    )
                })
            }
            Fate::Dropped(reason) => {
                let ok = match reason {
                    DropReason::BufferFull => spec
                        .buffer
                        .is_some_and(|b| b.overflow != OverflowPolicy::Reject),
                    DropReason::Oversize => {
                        spec.oversize == OversizePolicy::Drop
                            && pushed(*id).is_some_and(|p| p.message.len() > max_message)
                    }
                    DropReason::RetriesExhausted => {
                        spec.retry.per_batch.is_some() || spec.retry.refill_ms == 0
                    }
                    DropReason::ResourceNotFound { .. } => !spec.creates_missing,
                    _ => false,
                };
                (!ok).then(|| format!("dropped {reason:?}, which its configuration does not allow"))
            }
        };
        if let Some(wrong) = wrong {
            v.push(format!("writer {w}: {id} {wrong}"));
        }
    }
}

/// What went out in requests is what was pushed: the same timestamp, and the message itself, its
/// parts in order (split) or a prefix of it (truncated); and nothing else was sent.
fn sent_what_was_pushed(world: &World, w: usize, v: &mut Vec<String>) {
    let trace = &world.traces[w];
    let max_message = world.scenario.limits.max_message_bytes();
    for p in &trace.pushes {
        let parts: Option<Vec<&(i64, String)>> =
            p.ids.iter().map(|id| trace.sent.get(&id)).collect();
        let Some(parts) = parts else {
            continue; // not every part was sent (rejected or dropped first)
        };
        let first = p.ids.first();
        let text: String = parts.iter().map(|(_, m)| m.as_str()).collect();
        let same_text = if p.ids.len() > 1 {
            text == p.message
        } else if trace.truncated.contains(&first) {
            p.message.starts_with(&text) && text.len() <= max_message
        } else {
            text == p.message
        };
        if !same_text || parts.iter().any(|(ts, _)| *ts != p.timestamp) {
            v.push(format!(
                "writer {w}: {first} (pushed at +{} ms) was sent as {parts:?}, not as pushed: {:?} at {}",
                p.at - T0,
                p.message,
                p.timestamp
            ));
        }
    }
    for id in trace.sent.keys() {
        let known = trace.markers.contains(id) || trace.pushes.iter().any(|p| p.ids.contains(*id));
        if !known {
            v.push(format!("writer {w} sent {id}, which was never pushed"));
        }
    }
}

/// What the reports say is what the store holds.
///
/// - Delivered means stored at least once, but for one case the protocol leaves open: an event a
///   committed put rejected in an answer that was lost, when DataAlreadyAccepted then proves that
///   put (it carries no `rejectedLogEventsInfo`; `Report::Delivered`); and a batch identical in
///   messages to the last one the strict stream accepted, sent with its token, which the service
///   takes for a replay (CLOUDWATCH.md §3.1; here only repeated "N dropped" marker texts, after
///   the batch they follow was given up with its answer lost, are such twins).
/// - A second copy of an event exists only for an event reported as a possible duplicate: a
///   copy beyond the first comes from an attempt whose outcome the writer could not know (a lost
///   or slow answer, a timeout) being resent. Concurrent mode reports that at the resend; in
///   Sequential mode the resend carries the same token, so a strict mock answers
///   DataAlreadyAccepted to a replay of its last accepted batch and stores nothing, and the writer
///   reports the duplicate only when its resend was accepted instead (`Report::PossibleDuplicate`).
///   On a strict stream that a single Sequential writer has to itself, that is the case for every
///   resend, so no event there is stored twice. With another party on the stream (a second
///   writer or the background writer) moving the token in between, the replay is no longer the
///   last batch; the mock then answers InvalidSequenceToken (mock README, "Token modes";
///   CLOUDWATCH.md §3.1), the writer adopts the new token and stores a second copy, which it
///   reports. So in Sequential mode against the strict mock, every event reported delivered and
///   not reported as a possible duplicate is stored exactly once.
/// - An event reported rejected or dropped was stored only if it was reported as a possible
///   duplicate first (`Report::Dropped`: "If they were reported as PossibleDuplicate before, an
///   attempt whose answer was lost may still have stored them").
fn stored_as_reported(world: &World, w: usize, copies: &Copies, v: &mut Vec<String>) {
    let trace = &world.traces[w];
    let spec = &world.scenario.writers[w];
    let alone_on_strict_stream = world.scenario.mock_tokens == MockTokens::Strict
        && spec.mode == Mode::Sequential
        && world.scenario.streams[spec.stream].background.is_none()
        && world
            .scenario
            .writers
            .iter()
            .filter(|o| o.stream == spec.stream)
            .count()
            == 1;
    for (id, fate) in &trace.fates {
        let n = copies.get(&(w, *id)).map_or(0, |c| c.0);
        let reported = trace.possible_duplicates.contains(id);
        let explained =
            world.rejected_unseen.contains(&(w, *id)) || world.twin_replays.contains(&(w, *id));
        if *fate == Fate::Delivered && n == 0 && !explained {
            v.push(format!(
                "writer {w}: {id} was reported delivered but is not stored"
            ));
        }
        if n >= 2 && !reported {
            v.push(format!(
                "writer {w}: {id} is stored {n} times but was never reported as a possible duplicate"
            ));
        }
        if n >= 2 && alone_on_strict_stream {
            v.push(format!(
                "writer {w}: {id} is stored {n} times on a strict stream it writes alone \
                 (DataAlreadyAccepted should have proved the first copy)"
            ));
        }
        if n >= 1 && *fate != Fate::Delivered && !reported {
            v.push(format!(
                "writer {w}: {id} is stored but was reported {fate:?} without a possible-duplicate report"
            ));
        }
    }
}

/// Per writer, delivered events were first stored in push order, for every pair whose timestamps
/// are in push order too (a batch is sorted by timestamp, and batches go out in push order).
/// Concurrent mode with several puts in flight may land a retried batch after a later one
/// (`TokenMode::Concurrent`: "Batches retried after an error may land out of order"), so only
/// Sequential and single-flight Concurrent writers are held to it.
fn push_order_kept(world: &World, w: usize, copies: &Copies, v: &mut Vec<String>) {
    if matches!(world.scenario.writers[w].mode, Mode::Concurrent(n) if n > 1) {
        return;
    }
    let trace = &world.traces[w];
    let delivered: Vec<(EventId, i64, usize)> = trace
        .pushes
        .iter()
        .flat_map(|p| p.ids.iter().map(move |id| (id, p.timestamp)))
        .filter(|(id, _)| trace.fates.get(id) == Some(&Fate::Delivered))
        .filter_map(|(id, ts)| copies.get(&(w, id)).map(|c| (id, ts, c.1)))
        .collect();
    for (i, (a, ts_a, at_a)) in delivered.iter().enumerate() {
        for (b, ts_b, at_b) in &delivered[i + 1..] {
            if ts_a <= ts_b && at_a > at_b {
                v.push(format!(
                    "writer {w}: {a} (timestamp {ts_a}) was pushed before {b} (timestamp {ts_b}) but stored after it"
                ));
                return;
            }
        }
    }
}

/// Resends after throttles, server errors and unknown outcomes are paid from the retry budget, so
/// there are at most: the initial retries, plus what successes refunded, plus what time refilled
/// (setup retries draw from the same budget, which only makes the bound looser); no batch is
/// resent more often than its cap; and no writer has more puts in flight than its mode allows.
fn retries_within_budget(world: &World, w: usize, v: &mut Vec<String>) {
    let trace = &world.traces[w];
    let r = world.scenario.writers[w].retry;
    let refilled = if r.refill_ms > 0 {
        ((world.now - T0) / r.refill_ms).max(0) as u64
    } else {
        0
    };
    let bound =
        u64::from(r.max_retries) + trace.successes * u64::from(r.refund_milli) / 1_000 + refilled;
    if trace.budgeted_resends > bound {
        v.push(format!(
            "writer {w} resent {} batches after retryable failures; its budget allows {bound}",
            trace.budgeted_resends
        ));
    }
    if let Some(cap) = r.per_batch {
        for ((first, len), n) in &trace.resends_per_batch {
            if *n > cap {
                v.push(format!(
                    "writer {w} resent the batch of {len} from {first} {n} times; the cap is {cap}"
                ));
            }
        }
    }
    let most = match world.scenario.writers[w].mode {
        Mode::Sequential => 1,
        Mode::Concurrent(n) => n,
    };
    if trace.max_puts_in_flight > most {
        v.push(format!(
            "writer {w} had {} puts in flight; its mode allows {most}",
            trace.max_puts_in_flight
        ));
    }
}
