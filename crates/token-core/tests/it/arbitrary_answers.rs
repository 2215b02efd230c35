//! Robustness: whatever a driver answers (any outcome to any request, stale or unknown ids, time
//! jumping back and forth), the writer never panics, never breaks its in-flight limit, and every
//! event still ends exactly once once the service behaves.

use crate::support::*;
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use std::collections::VecDeque;
use token_core::*;

fn outcome() -> impl Strategy<Value = Outcome> {
    let token = prop_oneof![Just(None), "[0-9]{1,4}".prop_map(Some)];
    let index = prop_oneof![Just(None), (0usize..30).prop_map(Some)];
    prop_oneof![
        (token.clone(), index.clone(), index.clone(), index).prop_map(|(t, a, b, c)| {
            Outcome::Accepted {
                next_sequence_token: t,
                rejected: RejectedInfo {
                    too_new_start_index: a,
                    too_old_end_index: b,
                    expired_end_index: c,
                },
            }
        }),
        Just(Outcome::Created),
        Just(Outcome::AlreadyExists),
        token
            .clone()
            .prop_map(|expected| Outcome::InvalidSequenceToken { expected }),
        token.prop_map(|expected| Outcome::DataAlreadyAccepted { expected }),
        prop_oneof![
            Just(Missing::LogGroup),
            Just(Missing::LogStream),
            Just(Missing::Unknown)
        ]
        .prop_map(|what| Outcome::ResourceNotFound { what }),
        Just(Outcome::Throttled),
        Just(Outcome::ServiceUnavailable),
        (0u16..600).prop_map(|status| Outcome::ServerError { status }),
        Just(Outcome::InvalidParameter {
            message: "bad".into()
        }),
        Just(Outcome::Fatal {
            code: "AccessDeniedException".into(),
            message: "no".into()
        }),
        Just(Outcome::Unknown),
        Just(Outcome::NotSent),
    ]
}

#[derive(Debug, Clone)]
enum Step {
    Push(usize),
    Answer(Outcome),
    AnswerBogusId(Outcome),
    Time(i64),
    Flush,
    TakeUnsent,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (1usize..300).prop_map(Step::Push),
        6 => outcome().prop_map(Step::Answer),
        1 => outcome().prop_map(Step::AnswerBogusId),
        2 => (-5_000i64..60_000).prop_map(Step::Time),
        1 => Just(Step::Flush),
        1 => Just(Step::TakeUnsent),
    ]
}

fn success_for(kind: &RequestKind) -> Outcome {
    match kind {
        RequestKind::PutLogEvents { .. } => Outcome::accepted(Some("49".into())),
        _ => Outcome::Created,
    }
}

fn run(sequential: bool, steps: Vec<Step>) -> Result<(), TestCaseError> {
    let mut w = writer(WriterConfig {
        token_mode: if sequential {
            TokenMode::Sequential
        } else {
            TokenMode::Concurrent { max_in_flight: 3 }
        },
        linger_ms: 100,
        retention_days: Some(3),
        limits: Limits {
            max_batch_events: 7,
            max_event_bytes: 26 + 64,
            ..Limits::default()
        },
        buffer: BufferConfig {
            max_events: 40,
            max_bytes: 1 << 16,
            overflow: OverflowPolicy::DropOldest,
        },
        dropped_marker: Some("{n} dropped".into()),
        ..config()
    });
    let mut ledger = Ledger::default();
    let mut outstanding: VecDeque<Request> = VecDeque::new();
    let mut now = T0;
    let limit = if sequential { 1 } else { 3 };
    let pump = |w: &mut StreamWriter,
                outstanding: &mut VecDeque<Request>,
                ledger: &mut Ledger|
     -> Result<(), TestCaseError> {
        while let Some(r) = w.poll_request() {
            outstanding.push_back(r);
        }
        while let Some(r) = w.poll_report() {
            ledger.record(&r);
        }
        let puts = outstanding
            .iter()
            .filter(|r| matches!(r.kind, RequestKind::PutLogEvents { .. }))
            .count();
        prop_assert!(puts <= limit, "{} puts in flight", puts);
        prop_assert!(ledger.errors.is_empty(), "{:?}", ledger.errors);
        Ok(())
    };
    for (i, s) in steps.into_iter().enumerate() {
        match s {
            Step::Push(len) => {
                if let Ok(ids) = w.push(Event::new(now, "x".repeat(len) + &i.to_string()), now) {
                    ledger.accept(ids);
                }
            }
            Step::Answer(o) => {
                if let Some(r) = outstanding.pop_front() {
                    w.handle_response(r.id, o, now);
                }
            }
            Step::AnswerBogusId(o) => w.handle_response(RequestId(u64::MAX - i as u64), o, now),
            // Time may be passed backwards; the writer must cope.
            Step::Time(ms) => {
                now = now.plus_ms(ms);
                w.handle_timeout(now);
            }
            Step::Flush => w.flush(now),
            Step::TakeUnsent => {
                let _ = w.take_unsent();
            }
        }
        pump(&mut w, &mut outstanding, &mut ledger)?;
    }
    // The service now behaves: answer everything with success until the writer is closed.
    w.close(now);
    pump(&mut w, &mut outstanding, &mut ledger)?;
    let mut rounds = 0;
    while !w.is_closed() {
        rounds += 1;
        prop_assert!(rounds < 10_000, "never closes");
        if let Some(r) = outstanding.pop_front() {
            w.handle_response(r.id, success_for(&r.kind), now);
        } else if let Some(d) = w.poll_timeout() {
            now = now.max(d.at);
            w.handle_timeout(now);
        } else {
            prop_assert!(false, "stuck: not closed, nothing outstanding, no deadline");
        }
        pump(&mut w, &mut outstanding, &mut ledger)?;
    }
    prop_assert!(ledger.open().is_empty(), "unfinished {:?}", ledger.open());
    let c = w.counters();
    prop_assert_eq!(
        c.events_delivered + c.events_rejected + c.events_dropped,
        c.events_accepted
    );
    Ok(())
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(),
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "proptest-regressions/arbitrary_answers.txt",
        ))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn any_answers_in_any_order_never_break_the_writer(
        sequential in any::<bool>(),
        steps in prop::collection::vec(step(), 1..150),
    ) {
        run(sequential, steps)?;
    }
}
