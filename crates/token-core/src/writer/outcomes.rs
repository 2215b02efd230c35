//! What each answer to a PutLogEvents means: delivery with rejections, token conflicts,
//! retries with backoff and budget, bisection, and the fatal stop; and the reports they produce.

use super::*;

/// The message of the fatal stop when a Concurrent-mode writer meets a token-enforcing service.
const CONCURRENT_ON_STRICT_SERVICE: &str = "the service enforces sequence tokens, which \
    TokenMode::Concurrent never sends (it is for today's token-ignoring service): use \
    TokenMode::Sequential for this stream";

impl StreamWriter {
    /// Forgets the markers among `ids`, which have ended; returns how many there were.
    fn forget_markers(&mut self, ids: &[EventId]) -> u64 {
        if self.markers.is_empty() {
            return 0;
        }
        ids.iter().filter(|id| self.markers.remove(id)).count() as u64
    }

    pub(super) fn reject(&mut self, ids: Vec<EventId>, reason: RejectReason, by: Rejector) {
        if ids.is_empty() {
            return;
        }
        self.forget_markers(&ids);
        self.counters.events_rejected += ids.len() as u64;
        self.reports.push_back(Report::Rejected { ids, reason, by });
    }

    pub(super) fn drop_events(&mut self, ids: Vec<EventId>, reason: DropReason) {
        if ids.is_empty() {
            return;
        }
        let n = ids.len() as u64;
        self.counters.events_dropped += n;
        let markers = self.forget_markers(&ids);
        if reason != DropReason::TakenBack {
            self.dropped_since_marker += n - markers;
        }
        self.reports.push_back(Report::Dropped { ids, reason });
    }

    pub(super) fn deliver(&mut self, batch: &Batch, rejected: RejectedInfo) {
        let n = batch.len();
        let ids = batch.ids();
        let events = batch.events();
        // AWS's semantics: too-new from its start index on (inclusive); too-old and expired up to
        // their end index (exclusive). Indexes beyond the batch are clamped, never trusted.
        let new_from = rejected.too_new_start_index.unwrap_or(n).min(n);
        let old_to = rejected.too_old_end_index.unwrap_or(0).min(n);
        let expired_to = rejected.expired_end_index.unwrap_or(0).min(n);
        let mut delivered = Vec::with_capacity(n);
        let (mut too_new, mut too_old, mut expired) = (Vec::new(), Vec::new(), Vec::new());
        let mut bytes = 0u64;
        for (i, (id, e)) in ids.iter().zip(events).enumerate() {
            if i >= new_from {
                too_new.push(*id);
            } else if i < old_to {
                too_old.push(*id);
            } else if i < expired_to {
                expired.push(*id);
            } else {
                bytes += e.message.len() as u64;
                delivered.push(*id);
            }
        }
        self.reject(too_old, RejectReason::TooOld, Rejector::Service);
        self.reject(expired, RejectReason::Expired, Rejector::Service);
        self.reject(too_new, RejectReason::TooNew, Rejector::Service);
        if !delivered.is_empty() {
            self.forget_markers(&delivered);
            self.counters.events_delivered += delivered.len() as u64;
            self.counters.bytes_delivered += bytes;
            self.reports.push_back(Report::Delivered { ids: delivered });
        }
    }

    pub(super) fn on_success(&mut self) {
        self.budget.deposit(self.now);
        self.consecutive_failures = 0;
    }

    pub(super) fn on_put_outcome(&mut self, mut batch: Batch, class: Class) {
        match class {
            Class::Success {
                next_sequence_token,
                rejected,
            } => {
                self.on_success();
                self.consecutive_conflicts = 0;
                if self.sequential && next_sequence_token.is_some() {
                    // Absent when every event was rejected: the stream's token did not move.
                    self.token = next_sequence_token;
                }
                if batch.maybe_stored {
                    // Sequential: a strict service would have answered DataAlreadyAccepted had the
                    // lost attempt landed, but today's service ignores the identical token and may
                    // have stored the batch twice. Say so rather than claim exactly-once.
                    self.report_possible_duplicate(&mut batch);
                }
                self.deliver(&batch, rejected);
            }
            Class::AlreadyExists => {
                self.on_success();
                self.deliver(&batch, RejectedInfo::NONE);
            }
            Class::AlreadyAccepted { expected } => {
                // A lost answer's batch was stored: it is delivered, and `expected` is what the
                // stream wants next.
                self.on_success();
                self.consecutive_conflicts = 0;
                self.counters.data_already_accepted += 1;
                if self.sequential {
                    self.token = expected;
                }
                self.deliver(&batch, RejectedInfo::NONE);
            }
            Class::TokenConflict { .. } if !self.sequential => {
                // Concurrent mode never sends a token, so a service that asks for one enforces
                // tokens (the legacy service): no resend without one can ever succeed. Stop and
                // keep the events rather than spin or quietly become a Sequential writer.
                self.counters.token_conflicts += 1;
                self.stop_keeping(
                    batch,
                    "InvalidSequenceTokenException".to_owned(),
                    CONCURRENT_ON_STRICT_SERVICE.to_owned(),
                );
            }
            Class::TokenConflict { expected } => {
                self.counters.token_conflicts += 1;
                self.counters.retries.token_conflict += 1;
                self.consecutive_conflicts += 1;
                self.token = expected;
                // An earlier attempt with an unknown outcome may have landed under the old token;
                // the stream has moved on since, so no DataAlreadyAccepted can prove it now, and
                // the resend under the new token may store a second copy.
                self.report_if_maybe_stored(&mut batch);
                self.requeue(batch);
                // The first conflict is a stale token: resend at once. Repeated conflicts mean
                // another writer on the stream: back off with jitter instead of racing it.
                if self.consecutive_conflicts >= 2 {
                    let delay = self
                        .backoff
                        .delay(self.consecutive_conflicts - 1, &mut self.rng);
                    self.wait(delay, DeadlineReason::TokenConflict);
                }
            }
            Class::NotFound(what) => self.on_not_found(batch, what),
            Class::Retry(cause) => self.on_retryable(batch, cause),
            Class::Invalid { message } => {
                if batch.len() <= 1 {
                    self.reject(
                        batch.ids().to_vec(),
                        RejectReason::InvalidParameter { message },
                        Rejector::Service,
                    );
                } else {
                    // Bisect: the halves that are fine get delivered, the bad event is isolated.
                    let (left, right) = batch.halves();
                    self.counters.retries.bisect += 2;
                    self.requeue(left);
                    self.requeue(right);
                }
            }
            Class::Fatal { code, message } => self.stop_keeping(batch, code, message),
        }
    }

    pub(super) fn count_retry(&mut self, cause: RetryCause) {
        let r = &mut self.counters.retries;
        match cause {
            RetryCause::Throttled => r.throttled += 1,
            RetryCause::ServerError => r.server_error += 1,
            RetryCause::Unknown => r.unknown_outcome += 1,
            RetryCause::NotSent => r.not_sent += 1,
        }
    }

    pub(super) fn delay_for(&mut self, cause: RetryCause, failures: u32) -> (i64, DeadlineReason) {
        if cause == RetryCause::Throttled {
            (
                self.throttle_backoff.delay(failures, &mut self.rng),
                DeadlineReason::ThrottleCooldown,
            )
        } else {
            (
                self.backoff.delay(failures, &mut self.rng),
                DeadlineReason::Backoff,
            )
        }
    }

    pub(super) fn on_retryable(&mut self, mut batch: Batch, cause: RetryCause) {
        batch.retries += 1;
        if cause == RetryCause::Unknown {
            batch.maybe_stored = true;
        }
        if matches!(self.config.retry.max_retries_per_batch, Some(max) if batch.retries > max) {
            self.drop_batch(batch, DropReason::RetriesExhausted);
            return;
        }
        self.count_retry(cause);
        self.consecutive_failures += 1;
        if cause == RetryCause::Unknown && !self.sequential {
            // Today's service does not deduplicate: the resend may store the batch twice.
            self.report_possible_duplicate(&mut batch);
        }
        batch.needs_budget = true;
        self.requeue(batch);
        let (delay, reason) = self.delay_for(cause, self.consecutive_failures);
        self.wait(delay, reason);
    }

    /// Gives up on a batch. An attempt with an unknown outcome may have stored it, so that is
    /// reported first: a dropped event may be stored only if it was reported as a possible
    /// duplicate (see [`Report::Dropped`]).
    pub(super) fn drop_batch(&mut self, mut batch: Batch, reason: DropReason) {
        self.report_if_maybe_stored(&mut batch);
        self.drop_events(batch.ids().to_vec(), reason);
    }

    /// Reports the batch as a possible duplicate when an earlier attempt may have stored it.
    pub(super) fn report_if_maybe_stored(&mut self, batch: &mut Batch) {
        if batch.maybe_stored {
            self.report_possible_duplicate(batch);
        }
    }

    pub(super) fn report_possible_duplicate(&mut self, batch: &mut Batch) {
        if batch.duplicate_reported {
            return;
        }
        batch.duplicate_reported = true;
        self.counters.events_possible_duplicate += batch.len() as u64;
        self.reports.push_back(Report::PossibleDuplicate {
            ids: batch.ids().to_vec(),
        });
    }

    /// Stops the writer on an answer no retry can fix, keeping the batch's events with the
    /// buffered ones (for `take_unsent`, or `close` to drop them).
    fn stop_keeping(&mut self, batch: Batch, code: String, message: String) {
        self.requeue(batch);
        self.stop(code, message);
    }

    pub(super) fn stop(&mut self, code: String, message: String) {
        if matches!(self.gate, Gate::Stopped) {
            return;
        }
        self.gate = Gate::Stopped;
        self.reports.push_back(Report::Fatal { code, message });
    }

    pub(super) fn drop_unsent(&mut self, reason: DropReason) {
        let mut ids: Vec<EventId> = Vec::new();
        for (_, mut batch) in std::mem::take(&mut self.resend) {
            self.report_if_maybe_stored(&mut batch);
            ids.extend_from_slice(batch.ids());
        }
        ids.extend(self.buffer.drain_all().map(|p| p.id));
        self.drop_events(ids, reason);
    }
}
