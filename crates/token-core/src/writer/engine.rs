//! The engine: when a batch is due, cutting it, and sending it as capacity and the gate allow.

use super::*;

impl StreamWriter {
    pub(super) fn has_capacity(&self) -> bool {
        self.puts_in_flight < self.max_in_flight
    }

    pub(super) fn can_send(&self) -> bool {
        matches!(self.gate, Gate::Open) && self.has_capacity()
    }

    /// Whether the front of the buffer must be sent now: a full batch is waiting, the oldest event
    /// lingered long enough, a flush covers it, or the writer is closing.
    #[inline]
    pub(super) fn batch_due(&self) -> bool {
        let Some(front) = self.buffer.front() else {
            return false;
        };
        let limits = &self.config.limits;
        self.closing
            || front.id.0 < self.flush_until
            || self.buffer.len() >= limits.max_batch_events
            || self.buffer.bytes() >= limits.max_batch_bytes
            || self.now >= front.arrival.plus_ms(self.config.linger_ms)
    }

    /// Does everything that can be done at `self.now`: opens expired gates, retries creation steps,
    /// and sends batches while capacity allows.
    pub(super) fn drive(&mut self) {
        loop {
            match &mut self.gate {
                Gate::Waiting { until, .. } if *until <= self.now => self.gate = Gate::Open,
                Gate::Provisioning(p) => {
                    if let StepState::RetryAt { at, .. } = p.state {
                        if at <= self.now {
                            let step = p.step;
                            self.retry_setup(step);
                        }
                    }
                }
                Gate::Stopped if self.closing => self.drop_unsent(DropReason::Stopped),
                _ => {}
            }
            if !self.can_send() {
                return;
            }
            let mut batch = if let Some((_, b)) = self.resend.pop_first() {
                b
            } else if self.batch_due() {
                match self.cut() {
                    Some(b) => b,
                    None => continue,
                }
            } else {
                return;
            };
            if batch.needs_budget {
                match self.budget.withdraw(self.now) {
                    Ok(()) => batch.needs_budget = false,
                    Err(Empty::Until(at)) => {
                        self.resend.insert(batch.key(), batch);
                        self.gate = Gate::Waiting {
                            until: at,
                            reason: DeadlineReason::RetryBudget,
                        };
                        continue;
                    }
                    Err(Empty::Forever) => {
                        self.drop_batch(batch, DropReason::RetriesExhausted);
                        continue;
                    }
                }
            }
            self.send_put(batch);
        }
    }

    /// Cuts the next batch, queueing a dropped-events marker first when one is due.
    pub(super) fn cut(&mut self) -> Option<Batch> {
        if self.dropped_since_marker > 0 {
            self.queue_marker();
        }
        let seq = self.next_batch;
        self.next_batch += 1;
        let batch = batch::cut(
            &mut self.buffer,
            &self.config.limits,
            &self.window,
            self.now,
            seq,
            &mut self.stale,
        );
        if !self.stale.is_empty() {
            let stale = std::mem::take(&mut self.stale);
            for reason in [
                RejectReason::TooOld,
                RejectReason::Expired,
                RejectReason::TooNew,
            ] {
                let ids: Vec<EventId> = stale
                    .iter()
                    .filter(|(_, r)| *r == reason)
                    .map(|(id, _)| *id)
                    .collect();
                self.reject(ids, reason, Rejector::Local);
            }
        }
        batch
    }

    pub(super) fn queue_marker(&mut self) {
        let Some(template) = &self.config.dropped_marker else {
            self.dropped_since_marker = 0;
            return;
        };
        let dropped = self.dropped_since_marker;
        self.dropped_since_marker = 0;
        let mut message = template.replace("{n}", &dropped.to_string());
        message.truncate(oversize::floor_char_boundary(
            &message,
            self.max_message_bytes,
        ));
        if message.is_empty() {
            return;
        }
        let id = EventId(self.alloc_ids(1));
        self.counters.markers_queued += 1;
        self.markers.insert(id);
        self.reports.push_back(Report::MarkerQueued { id, dropped });
        // At the front, so that it goes out with the next batch: "delivery resumes here".
        self.buffer.push_front(Pending {
            id,
            timestamp: self.now,
            arrival: self.now,
            message,
        });
    }

    pub(super) fn send_put(&mut self, mut batch: Batch) {
        if batch.awaiting_replay {
            batch.awaiting_replay = false;
            self.counters.retries.after_create += 1;
        }
        // Concurrent mode is for the token-ignoring service: it never sends a token.
        let sequence_token = if self.sequential {
            self.token.clone()
        } else {
            None
        };
        let id = self.next_request_id();
        self.requests.push_back(Request {
            id,
            kind: RequestKind::PutLogEvents {
                log_group: self.config.log_group.clone(),
                log_stream: self.config.log_stream.clone(),
                events: batch.log_events(),
                sequence_token,
            },
        });
        self.counters.requests.put_log_events += 1;
        self.puts_in_flight += 1;
        self.in_flight.insert(id, InFlight::Put(batch));
    }

    pub(super) fn next_request_id(&mut self) -> RequestId {
        let id = RequestId(self.next_request);
        self.next_request += 1;
        id
    }

    pub(super) fn requeue(&mut self, batch: Batch) {
        self.resend.insert(batch.key(), batch);
    }

    /// Waits before the next send; a longer wait already in place is kept.
    pub(super) fn wait(&mut self, delay: i64, reason: DeadlineReason) {
        let until = self.now.plus_ms(delay);
        match &self.gate {
            Gate::Open => self.gate = Gate::Waiting { until, reason },
            Gate::Waiting { until: current, .. } if *current < until => {
                self.gate = Gate::Waiting { until, reason }
            }
            _ => {}
        }
    }
}
