//! Creating a missing log group (with its retention) and log stream, then replaying the batches
//! that found them missing.

use super::*;

impl StreamWriter {
    pub(super) fn on_not_found(&mut self, mut batch: Batch, what: Missing) {
        batch.setups += 1;
        if batch.setups > MAX_SETUPS_PER_BATCH {
            self.drop_batch(batch, DropReason::ResourceNotFound { what });
            return;
        }
        if matches!(self.gate, Gate::Provisioning(_) | Gate::Stopped) {
            // Another batch already started creating (or the writer stopped): wait with it.
            batch.awaiting_replay = true;
            self.requeue(batch);
            return;
        }
        let auto = self.config.auto_create;
        let first = match what {
            Missing::LogGroup if auto.log_group => SetupStep::CreateGroup,
            Missing::LogStream if auto.log_stream => SetupStep::CreateStream,
            Missing::Unknown if auto.log_stream => SetupStep::CreateStream,
            Missing::Unknown if auto.log_group => SetupStep::CreateGroup,
            _ => {
                self.drop_batch(batch, DropReason::ResourceNotFound { what });
                return;
            }
        };
        batch.awaiting_replay = true;
        self.requeue(batch);
        self.gate = Gate::Provisioning(Provisioning {
            step: first,
            state: StepState::RetryAt {
                at: self.now,
                reason: DeadlineReason::Backoff,
            },
            group_tried: false,
        });
        self.issue_setup(first);
    }

    pub(super) fn issue_setup(&mut self, step: SetupStep) {
        let id = self.next_request_id();
        let group = self.config.log_group.clone();
        let kind = match step {
            SetupStep::CreateGroup => {
                self.counters.requests.create_log_group += 1;
                RequestKind::CreateLogGroup { log_group: group }
            }
            SetupStep::PutRetention => {
                self.counters.requests.put_retention_policy += 1;
                RequestKind::PutRetentionPolicy {
                    log_group: group,
                    retention_days: self.config.retention_days.unwrap_or(1),
                }
            }
            SetupStep::CreateStream => {
                self.counters.requests.create_log_stream += 1;
                RequestKind::CreateLogStream {
                    log_group: group,
                    log_stream: self.config.log_stream.clone(),
                }
            }
        };
        self.requests.push_back(Request { id, kind });
        self.in_flight.insert(id, InFlight::Setup(step));
        if let Gate::Provisioning(p) = &mut self.gate {
            p.step = step;
            p.state = StepState::AwaitingResponse(id);
            if step == SetupStep::CreateGroup {
                p.group_tried = true;
            }
        }
    }

    /// A backoff of a creation step ended: pay for the retry, then send it.
    pub(super) fn retry_setup(&mut self, step: SetupStep) {
        match self.budget.withdraw(self.now) {
            Ok(()) => self.issue_setup(step),
            Err(Empty::Until(at)) => {
                if let Gate::Provisioning(p) = &mut self.gate {
                    p.state = StepState::RetryAt {
                        at,
                        reason: DeadlineReason::RetryBudget,
                    };
                }
            }
            Err(Empty::Forever) => self.fail_setup(DropReason::RetriesExhausted),
        }
    }

    /// The step after `done` succeeded, or `None` when the stream should now exist.
    pub(super) fn step_after(&self, done: SetupStep, created_group: bool) -> Option<SetupStep> {
        let auto = self.config.auto_create;
        match done {
            SetupStep::CreateGroup if created_group && self.config.retention_days.is_some() => {
                Some(SetupStep::PutRetention)
            }
            // A new group has no streams, but the stream is created only if that is enabled too.
            SetupStep::CreateGroup | SetupStep::PutRetention => {
                auto.log_stream.then_some(SetupStep::CreateStream)
            }
            SetupStep::CreateStream => None,
        }
    }

    pub(super) fn on_setup_outcome(&mut self, id: RequestId, step: SetupStep, class: Class) {
        let Gate::Provisioning(p) = &self.gate else {
            return; // stopped or abandoned meanwhile: nothing waits for this answer
        };
        if !matches!(p.state, StepState::AwaitingResponse(waiting) if waiting == id) {
            self.counters.stale_responses += 1;
            return;
        }
        let group_tried = p.group_tried;
        let next = match (step, class) {
            (_, Class::Retry(cause)) => {
                self.count_retry(cause);
                self.consecutive_failures += 1;
                let failures = self.consecutive_failures;
                let (delay, reason) = self.delay_for(cause, failures);
                if let Gate::Provisioning(p) = &mut self.gate {
                    p.state = StepState::RetryAt {
                        at: self.now.plus_ms(delay),
                        reason,
                    };
                }
                self.drive_setup_now();
                return;
            }
            (_, Class::Fatal { code, message }) => {
                self.stop(code, message);
                return;
            }
            (SetupStep::CreateGroup, Class::Success { .. }) => {
                self.on_success();
                self.reports.push_back(Report::ResourceCreated {
                    what: Missing::LogGroup,
                });
                self.step_after(step, true)
            }
            (SetupStep::CreateStream, Class::Success { .. }) => {
                self.on_success();
                // A new, empty stream expects no token: a token from its predecessor would only
                // earn an InvalidSequenceToken round trip.
                self.token = None;
                self.reports.push_back(Report::ResourceCreated {
                    what: Missing::LogStream,
                });
                None
            }
            (SetupStep::CreateGroup | SetupStep::CreateStream, Class::AlreadyExists) => {
                self.on_success();
                self.step_after(step, false)
            }
            // A retention policy is a nicety: whatever it answers, carry on to the stream.
            (SetupStep::PutRetention, _) => self.step_after(step, false),
            (SetupStep::CreateStream, Class::NotFound(_)) => {
                if self.config.auto_create.log_group && !group_tried {
                    Some(SetupStep::CreateGroup)
                } else {
                    self.fail_setup(DropReason::ResourceNotFound {
                        what: Missing::LogGroup,
                    });
                    return;
                }
            }
            (_, Class::Invalid { message }) => {
                self.fail_setup(DropReason::CreateFailed { message });
                return;
            }
            (_, other) => {
                self.fail_setup(DropReason::CreateFailed {
                    message: format!("unexpected answer to {step:?}: {other:?}"),
                });
                return;
            }
        };
        match next {
            Some(step) => self.issue_setup(step),
            None => self.gate = Gate::Open, // the waiting batches replay from the resend queue
        }
    }

    /// A zero backoff should not wait for a timeout call.
    pub(super) fn drive_setup_now(&mut self) {
        if let Gate::Provisioning(Provisioning {
            step,
            state: StepState::RetryAt { at, .. },
            ..
        }) = &self.gate
        {
            if *at <= self.now {
                let step = *step;
                self.retry_setup(step);
            }
        }
    }

    /// Creation failed: the batches waiting for it are dropped; later batches try again.
    pub(super) fn fail_setup(&mut self, reason: DropReason) {
        self.gate = Gate::Open;
        let waiting: Vec<(u64, usize)> = self
            .resend
            .iter()
            .filter(|(_, b)| b.awaiting_replay)
            .map(|(k, _)| *k)
            .collect();
        let mut ids = Vec::new();
        for key in waiting {
            if let Some(mut b) = self.resend.remove(&key) {
                self.report_if_maybe_stored(&mut b);
                ids.extend_from_slice(b.ids());
            }
        }
        self.drop_events(ids, reason);
    }
}
