//! What became of the events: per-stream tallies built from token-core's reports and counters.
//!
//! token-core ends every event id in exactly one terminal report (delivered, rejected or dropped).
//! The adapter only adds them up by reason, so that `delivered + rejected + dropped + undelivered`
//! always equals the events accepted, whether or not a flush or shutdown met its deadline.

use serde::Serialize;
use std::collections::BTreeMap;
use token_core::{Counters, DropReason, Missing, RejectReason, Rejector, Report};

/// How the events of one stream (or of all streams, in [`Report::total`](DeliveryReport::total))
/// ended, at the moment the tally was taken.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Tally {
    /// Events given an id by token-core (parts of a split event and "dropped" markers count one
    /// each); events handed back by a refused push are not counted.
    pub accepted: u64,
    /// Events the service stored.
    pub delivered: u64,
    /// Events refused by AWS's rules (locally pre-validated, or by the service), by reason:
    /// `too_new`, `too_old`, `expired`, `invalid_parameter`.
    pub rejected: BTreeMap<String, u64>,
    /// Of the rejected events, those the service itself refused (the rest were refused locally,
    /// by the same rules, without spending a request).
    pub rejected_by_service: u64,
    /// Events given up by policy or failure, by reason: `buffer_full`, `oversize`,
    /// `log_group_not_found`, `log_stream_not_found`, `resource_not_found`, `create_failed`,
    /// `retries_exhausted`, `stopped`, `taken_back`.
    pub dropped: BTreeMap<String, u64>,
    /// Events resent (or given up) after an outcome that may have stored them already: each may
    /// be stored twice. Both token modes count them: Concurrent mode whenever it resends after
    /// such an outcome, Sequential mode only when no DataAlreadyAccepted proves the first attempt
    /// landed (see [`Report::PossibleDuplicate`]).
    pub possible_duplicates: u64,
    /// Events accepted but not in a terminal state yet: still buffered, backing off or in flight.
    pub undelivered: u64,
    /// Requests issued (all operations, resends included).
    pub requests: u64,
    /// Resends, whatever their cause.
    pub retries: u64,
    /// The error that stopped the writer, if one did (`code: message`).
    pub fatal: Option<String>,
}

impl Tally {
    /// All rejected events.
    pub fn rejected_total(&self) -> u64 {
        self.rejected.values().sum()
    }

    /// All dropped events.
    pub fn dropped_total(&self) -> u64 {
        self.dropped.values().sum()
    }

    /// Whether every accepted event was delivered or rejected by AWS's rules, and nothing stopped
    /// the writer: the condition `cwlogs-ship` exits 0 on.
    pub fn is_complete(&self) -> bool {
        self.undelivered == 0 && self.dropped_total() == 0 && self.fatal.is_none()
    }

    /// Adds another tally into this one (for totals over streams).
    pub(crate) fn add(&mut self, other: &Tally) {
        self.accepted += other.accepted;
        self.delivered += other.delivered;
        for (k, v) in &other.rejected {
            *self.rejected.entry(k.clone()).or_default() += v;
        }
        self.rejected_by_service += other.rejected_by_service;
        for (k, v) in &other.dropped {
            *self.dropped.entry(k.clone()).or_default() += v;
        }
        self.possible_duplicates += other.possible_duplicates;
        self.undelivered += other.undelivered;
        self.requests += other.requests;
        self.retries += other.retries;
        if self.fatal.is_none() {
            self.fatal.clone_from(&other.fatal);
        }
    }

    /// Folds one token-core report into the tally.
    pub(crate) fn record(&mut self, report: &Report) {
        match report {
            Report::Delivered { ids } => self.delivered += len(ids),
            Report::Rejected { ids, reason, by } => {
                *self.rejected.entry(reject_key(reason).into()).or_default() += len(ids);
                if *by == Rejector::Service {
                    self.rejected_by_service += len(ids);
                }
            }
            Report::Dropped { ids, reason } => {
                *self.dropped.entry(drop_key(reason).into()).or_default() += len(ids);
            }
            Report::PossibleDuplicate { ids } => self.possible_duplicates += len(ids),
            Report::Fatal { code, message } => self.fatal = Some(format!("{code}: {message}")),
            // Annotations (splits, truncations, markers, created resources) change no totals:
            // their events end in terminal reports like any other.
            _ => {}
        }
    }

    /// Takes the request and accounting figures from token-core's counters, which are exact
    /// even for reports this version of the adapter does not know.
    pub(crate) fn sync_counters(&mut self, c: &Counters) {
        self.accepted = c.events_accepted;
        self.requests = c.requests.total();
        let r = &c.retries;
        self.retries = r.budgeted() + r.token_conflict + r.bisect + r.after_create;
        let terminal = c.events_delivered + c.events_rejected + c.events_dropped;
        self.undelivered = c.events_accepted.saturating_sub(terminal);
    }
}

fn len(ids: &[token_core::EventId]) -> u64 {
    ids.len() as u64
}

fn reject_key(reason: &RejectReason) -> &'static str {
    match reason {
        RejectReason::TooNew => "too_new",
        RejectReason::TooOld => "too_old",
        RejectReason::Expired => "expired",
        RejectReason::InvalidParameter { .. } => "invalid_parameter",
        _ => "other",
    }
}

fn drop_key(reason: &DropReason) -> &'static str {
    match reason {
        DropReason::BufferFull => "buffer_full",
        DropReason::Oversize => "oversize",
        DropReason::ResourceNotFound { what } => match what {
            Missing::LogGroup => "log_group_not_found",
            Missing::LogStream => "log_stream_not_found",
            Missing::Unknown => "resource_not_found",
        },
        DropReason::CreateFailed { .. } => "create_failed",
        DropReason::RetriesExhausted => "retries_exhausted",
        DropReason::Stopped => "stopped",
        DropReason::TakenBack => "taken_back",
        _ => "other",
    }
}

/// The answer of [`Shipper::flush`](crate::Shipper::flush) and
/// [`Shipper::shutdown`](crate::Shipper::shutdown): every stream's tally and their total.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct DeliveryReport {
    /// The log group written to.
    pub log_group: String,
    /// Whether every stream reached its goal (nothing left undelivered) before the deadline.
    pub finished_in_time: bool,
    /// The sum over all streams.
    pub total: Tally,
    /// One tally per log stream, by name.
    pub streams: BTreeMap<String, Tally>,
}

impl DeliveryReport {
    pub(crate) fn new(log_group: String, streams: BTreeMap<String, Tally>) -> Self {
        let mut total = Tally::default();
        for t in streams.values() {
            total.add(t);
        }
        Self {
            log_group,
            finished_in_time: total.undelivered == 0,
            total,
            streams,
        }
    }
}
