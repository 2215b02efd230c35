//! Throttles, server errors, lost answers and failures before sending: capped exponential backoff
//! with full seeded jitter, and a retry budget so a failing service is not hammered.

use crate::support::*;
use token_core::*;

fn one_put(w: &mut StreamWriter) -> Request {
    let d = drain(w);
    assert_eq!(d.puts().len(), 1, "{:?}", d.requests);
    d.puts()[0].clone()
}

#[test]
fn a_throttle_waits_for_a_cool_down_within_the_throttle_base() {
    let mut w = writer(config());
    w.push(Event::new(T0, "a"), T0).unwrap();
    let put = one_put(&mut w);
    w.handle_response(put.id, Outcome::Throttled, T0);
    assert!(drain(&mut w).requests.is_empty(), "no immediate resend");
    let deadline = w.poll_timeout().unwrap();
    assert_eq!(deadline.reason, DeadlineReason::ThrottleCooldown);
    assert!(deadline.at.since(T0) <= 500);
    w.handle_timeout(deadline.at);
    let resend = one_put(&mut w);
    assert_eq!(put_of(&resend).0, put_of(&put).0);
    assert_eq!(w.counters().retries.throttled, 1);
}

#[test]
fn consecutive_server_errors_grow_the_bound_up_to_the_cap() {
    let mut w = writer(WriterConfig {
        retry: RetryPolicy {
            base_ms: 100,
            cap_ms: 1_000,
            budget: RetryBudget {
                max_retries: 100,
                ..RetryBudget::default()
            },
            ..RetryPolicy::default()
        },
        ..config()
    });
    w.push(Event::new(T0, "a"), T0).unwrap();
    let mut now = T0;
    let mut put = one_put(&mut w);
    for failure in 1..=8u32 {
        w.handle_response(put.id, Outcome::ServiceUnavailable, now);
        drain(&mut w);
        let d = w.poll_timeout().unwrap();
        assert_eq!(d.reason, DeadlineReason::Backoff);
        let bound = (100i64 << (failure - 1)).min(1_000);
        assert!(
            d.at.since(now) <= bound,
            "failure {failure}: waited {}",
            d.at.since(now)
        );
        now = d.at;
        w.handle_timeout(now);
        put = one_put(&mut w);
    }
    w.handle_response(put.id, Outcome::accepted(None), now);
    assert_eq!(drain(&mut w).delivered(), ids([0]));
    assert_eq!(w.counters().retries.server_error, 8);
}

#[test]
fn an_empty_budget_waits_for_its_refill_and_says_why() {
    let mut w = writer(WriterConfig {
        retry: RetryPolicy {
            base_ms: 0,
            throttle_base_ms: 0,
            budget: RetryBudget {
                max_retries: 2,
                refund_per_success_milli: 0,
                refill_interval_ms: 10_000,
            },
            ..RetryPolicy::default()
        },
        ..config()
    });
    w.push(Event::new(T0, "a"), T0).unwrap();
    let mut put = one_put(&mut w);
    for _ in 0..2 {
        w.handle_response(put.id, Outcome::ServerError { status: 500 }, T0);
        put = one_put(&mut w);
    }
    w.handle_response(put.id, Outcome::ServerError { status: 500 }, T0);
    assert!(drain(&mut w).requests.is_empty());
    let d = w.poll_timeout().unwrap();
    assert_eq!(d.reason, DeadlineReason::RetryBudget);
    assert_eq!(d.at, T0.plus_ms(10_000));
    w.handle_timeout(d.at);
    one_put(&mut w);
    assert_eq!(w.counters().retries.budgeted(), 3);
}

#[test]
fn a_budget_that_never_refills_drops_the_batch_when_spent() {
    let mut w = writer(WriterConfig {
        retry: RetryPolicy {
            base_ms: 0,
            budget: RetryBudget {
                max_retries: 1,
                refund_per_success_milli: 0,
                refill_interval_ms: 0,
            },
            ..RetryPolicy::default()
        },
        ..config()
    });
    let got = w.push(Event::new(T0, "a"), T0).unwrap();
    let put = one_put(&mut w);
    w.handle_response(put.id, Outcome::NotSent, T0);
    let put = one_put(&mut w);
    w.handle_response(put.id, Outcome::NotSent, T0);
    let d = drain(&mut w);
    assert!(d.requests.is_empty());
    assert_eq!(
        d.reports,
        [Report::Dropped {
            ids: vec![got.first()],
            reason: DropReason::RetriesExhausted
        }]
    );
}

#[test]
fn a_per_batch_retry_cap_drops_the_batch() {
    let mut w = writer(WriterConfig {
        retry: RetryPolicy {
            base_ms: 0,
            max_retries_per_batch: Some(1),
            ..RetryPolicy::default()
        },
        ..config()
    });
    w.push(Event::new(T0, "a"), T0).unwrap();
    let put = one_put(&mut w);
    w.handle_response(put.id, Outcome::ServiceUnavailable, T0);
    let put = one_put(&mut w);
    w.handle_response(put.id, Outcome::ServiceUnavailable, T0);
    assert!(matches!(
        drain(&mut w).reports[..],
        [Report::Dropped {
            reason: DropReason::RetriesExhausted,
            ..
        }]
    ));
}

#[test]
fn an_unknown_outcome_in_sequential_mode_resends_the_identical_batch_with_the_identical_token() {
    let mut w = writer(WriterConfig {
        retry: RetryPolicy {
            base_ms: 0,
            ..RetryPolicy::default()
        },
        ..config()
    });
    w.push(Event::new(T0, "a"), T0).unwrap();
    let p = one_put(&mut w);
    w.handle_response(p.id, Outcome::accepted(Some("t1".into())), T0);
    w.push(Event::new(T0, "b"), T0).unwrap();
    let first = one_put(&mut w);
    w.handle_response(first.id, Outcome::Unknown, T0);
    let d = drain(&mut w);
    let resend = d.puts()[0];
    assert_eq!(put_of(resend), put_of(&first));
    assert_eq!(put_of(resend).1, Some("t1"));
    assert!(!d
        .reports
        .iter()
        .any(|r| matches!(r, Report::PossibleDuplicate { .. })));
    // On a strict service the first attempt had landed: DataAlreadyAccepted proves delivery.
    w.handle_response(
        resend.id,
        Outcome::DataAlreadyAccepted {
            expected: Some("t2".into()),
        },
        T0,
    );
    assert_eq!(drain(&mut w).delivered(), ids([1]));
}

#[test]
fn an_unknown_outcome_in_concurrent_mode_resends_and_reports_a_possible_duplicate() {
    let mut w = writer(WriterConfig {
        token_mode: TokenMode::Concurrent { max_in_flight: 2 },
        retry: RetryPolicy {
            base_ms: 0,
            ..RetryPolicy::default()
        },
        ..config()
    });
    let got = w.push(Event::new(T0, "a"), T0).unwrap();
    let first = one_put(&mut w);
    w.handle_response(first.id, Outcome::Unknown, T0);
    let d = drain(&mut w);
    assert_eq!(put_of(d.puts()[0]).0, put_of(&first).0);
    assert_eq!(
        d.reports,
        [Report::PossibleDuplicate {
            ids: vec![got.first()]
        }]
    );
    w.handle_response(d.puts()[0].id, Outcome::accepted(None), T0);
    assert_eq!(drain(&mut w).delivered(), vec![got.first()]);
    assert_eq!(w.counters().events_possible_duplicate, 1);
}

#[test]
fn a_late_answer_to_an_abandoned_attempt_is_ignored() {
    let mut w = writer(WriterConfig {
        retry: RetryPolicy {
            base_ms: 0,
            ..RetryPolicy::default()
        },
        ..config()
    });
    w.push(Event::new(T0, "a"), T0).unwrap();
    let first = one_put(&mut w);
    w.handle_response(first.id, Outcome::Unknown, T0);
    let resend = one_put(&mut w);
    w.handle_response(first.id, Outcome::accepted(None), T0);
    assert!(drain(&mut w).reports.is_empty());
    assert_eq!(w.counters().stale_responses, 1);
    w.handle_response(resend.id, Outcome::accepted(None), T0);
    assert_eq!(drain(&mut w).delivered(), ids([0]));
}

#[test]
fn identical_inputs_give_identical_outputs() {
    let run = || {
        let mut sim = Sim::new(
            FakeService::new(TokenSemantics::Current, Faults::chaos(), 9)
                .with_stream("group", "stream"),
        );
        let w = sim.add_writer(WriterConfig {
            token_mode: TokenMode::Concurrent { max_in_flight: 3 },
            linger_ms: 100,
            ..config()
        });
        for i in 0..300 {
            sim.push(w, sim.now, format!("m{i}")).unwrap();
            sim.advance(7);
        }
        sim.finish(100_000);
        (
            sim.now,
            sim.service.stored("group", "stream"),
            *sim.writers[w].writer.counters(),
        )
    };
    assert_eq!(run(), run());
}

#[test]
fn giving_up_after_an_unknown_outcome_reports_a_possible_duplicate_first() {
    // The lost attempt may have stored the batch: a caller reading only `Dropped` would count
    // events as lost that the service holds (found by tier 1 of the workspace simulation).
    let capped = WriterConfig {
        token_mode: TokenMode::Concurrent { max_in_flight: 2 },
        retry: RetryPolicy {
            max_retries_per_batch: Some(0),
            ..RetryPolicy::default()
        },
        ..config()
    };
    let never_refilled = WriterConfig {
        retry: RetryPolicy {
            base_ms: 0,
            budget: RetryBudget {
                max_retries: 0,
                refund_per_success_milli: 0,
                refill_interval_ms: 0,
            },
            ..RetryPolicy::default()
        },
        ..config()
    };
    for config in [capped, never_refilled] {
        let mut w = writer(config.clone());
        w.push(Event::new(T0, "a"), T0).unwrap();
        let put = one_put(&mut w);

        w.handle_response(put.id, Outcome::Unknown, T0);
        w.handle_timeout(T0);

        let reports = drain(&mut w).reports;
        assert_eq!(
            reports,
            vec![
                Report::PossibleDuplicate { ids: ids([0]) },
                Report::Dropped {
                    ids: ids([0]),
                    reason: DropReason::RetriesExhausted
                },
            ],
            "{:?}",
            config.token_mode
        );
    }
}
