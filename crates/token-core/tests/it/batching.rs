//! Batching under every PutLogEvents limit, at AWS's exact boundaries, and the send triggers.

use crate::support::*;
use token_core::limits::{DAY_MS, EVENT_OVERHEAD_BYTES};
use token_core::*;

/// Pushes `messages` at T0 with timestamps T0, flushes, and returns the first batch's messages.
fn first_batch_after_flush(cfg: WriterConfig, msgs: Vec<String>) -> (StreamWriter, Drained) {
    let mut w = writer(WriterConfig {
        linger_ms: 60_000,
        ..cfg
    });
    for m in msgs {
        w.push(Event::new(T0, m), T0).unwrap();
    }
    w.flush(T0);
    let d = drain(&mut w);
    (w, d)
}

#[test]
fn a_batch_of_exactly_1_048_576_bytes_counting_26_per_event_is_one_request() {
    // Arrange: 4 events whose message bytes + 4×26 add up to exactly 1,048,576.
    let per_event = 1_048_576 / 4 - EVENT_OVERHEAD_BYTES;
    let msgs = vec!["x".repeat(per_event); 4];
    // Act
    let (_, d) = first_batch_after_flush(config(), msgs);
    // Assert
    let (events, _) = put_of(d.puts()[0]);
    assert_eq!(events.len(), 4);
    assert_eq!(events.batch_bytes(), 1_048_576);
}

#[test]
fn one_byte_more_than_1_048_576_moves_the_last_event_to_the_next_batch() {
    let per_event = 1_048_576 / 4 - EVENT_OVERHEAD_BYTES;
    let mut msgs = vec!["x".repeat(per_event); 4];
    msgs[3].push('y');
    let cfg = WriterConfig {
        token_mode: TokenMode::Concurrent { max_in_flight: 4 },
        ..config()
    };
    let (_, d) = first_batch_after_flush(cfg, msgs);
    let puts = d.puts();
    assert_eq!(puts.len(), 2);
    assert_eq!(put_of(puts[0]).0.len(), 3);
    assert_eq!(put_of(puts[1]).0.len(), 1);
}

#[test]
fn the_26_byte_overhead_is_what_decides_the_boundary() {
    // 1,048,576 / (10 + 26) = 29,127.1: without the overhead all 30,000 would fit in 1 MB by bytes.
    let cfg = WriterConfig {
        limits: Limits {
            max_batch_events: 100_000,
            ..Limits::default()
        },
        token_mode: TokenMode::Concurrent { max_in_flight: 8 },
        buffer: BufferConfig {
            max_events: 100_000,
            ..BufferConfig::default()
        },
        ..config()
    };
    let (_, d) = first_batch_after_flush(cfg, vec!["0123456789".to_owned(); 30_000]);
    let first = put_of(d.puts()[0]).0;
    assert_eq!(first.len(), 1_048_576 / 36);
    assert!(first.batch_bytes() <= 1_048_576);
    assert!(first.batch_bytes() + 36 > 1_048_576);
}

#[test]
fn exactly_10_000_events_fit_one_batch_and_the_10_001st_starts_the_next() {
    let cfg = WriterConfig {
        token_mode: TokenMode::Concurrent { max_in_flight: 2 },
        ..config()
    };
    let (_, d) = first_batch_after_flush(cfg, vec!["e".to_owned(); 10_001]);
    let puts = d.puts();
    assert_eq!(put_of(puts[0]).0.len(), 10_000);
    assert_eq!(put_of(puts[1]).0.len(), 1);
}

#[test]
fn ten_thousand_buffered_events_send_a_batch_without_waiting_for_linger() {
    let mut w = writer(WriterConfig {
        linger_ms: 60_000,
        ..config()
    });
    for i in 0..9_999 {
        w.push(Event::new(T0, format!("{i}")), T0).unwrap();
    }
    assert!(drain(&mut w).puts().is_empty());
    w.push(Event::new(T0, "last"), T0).unwrap();
    let d = drain(&mut w);
    assert_eq!(put_of(d.puts()[0]).0.len(), 10_000);
}

#[test]
fn a_span_of_exactly_24_hours_is_one_batch_and_one_millisecond_more_is_two() {
    let now = ts(0);
    let mut w = writer(WriterConfig {
        linger_ms: 60_000,
        token_mode: TokenMode::Concurrent { max_in_flight: 4 },
        ..config()
    });
    w.push(Event::new(now.minus_ms(D), "a"), now).unwrap();
    w.push(Event::new(now, "b"), now).unwrap();
    w.push(Event::new(now.minus_ms(D + 1), "c"), now).unwrap();
    w.flush(now);
    let d = drain(&mut w);
    let puts = d.puts();
    assert_eq!(puts.len(), 2);
    assert_eq!(messages(put_of(puts[0]).0), ["a", "b"]);
    assert_eq!(messages(put_of(puts[1]).0), ["c"]);
}

#[test]
fn events_are_sorted_by_timestamp_and_ties_keep_push_order() {
    let mut w = writer(WriterConfig {
        linger_ms: 60_000,
        ..config()
    });
    for (offset, m) in [
        (5, "t5-first"),
        (1, "t1"),
        (5, "t5-second"),
        (3, "t3"),
        (5, "t5-third"),
    ] {
        w.push(Event::new(ts(offset), m), T0).unwrap();
    }
    w.flush(T0);
    let d = drain(&mut w);
    let (events, _) = put_of(d.puts()[0]);
    assert_eq!(
        messages(events),
        ["t1", "t3", "t5-first", "t5-second", "t5-third"]
    );
    let stamps: Vec<i64> = events.iter().map(|e| e.timestamp.since(T0)).collect();
    assert_eq!(stamps, [1, 3, 5, 5, 5]);
}

#[test]
fn linger_counts_from_the_oldest_buffered_event_and_says_so_in_the_deadline() {
    let mut w = writer(WriterConfig {
        linger_ms: 1_000,
        ..config()
    });
    w.push(Event::new(T0, "a"), T0).unwrap();
    w.push(Event::new(T0, "b"), T0.plus_ms(400)).unwrap();
    assert!(drain(&mut w).puts().is_empty());
    let deadline = w.poll_timeout().expect("a linger deadline");
    assert_eq!(deadline.at, T0.plus_ms(1_000));
    assert_eq!(deadline.reason, DeadlineReason::Linger);

    w.handle_timeout(T0.plus_ms(999));
    assert!(drain(&mut w).puts().is_empty());
    w.handle_timeout(T0.plus_ms(1_000));
    let d = drain(&mut w);
    assert_eq!(messages(put_of(d.puts()[0]).0), ["a", "b"]);
}

#[test]
fn flush_sends_at_once_and_close_sends_and_refuses_more() {
    let mut w = writer(WriterConfig {
        linger_ms: 60_000,
        ..config()
    });
    w.push(Event::new(T0, "a"), T0).unwrap();
    w.flush(T0);
    let d = drain(&mut w);
    assert_eq!(d.puts().len(), 1);
    w.handle_response(d.puts()[0].id, Outcome::accepted(Some("t1".into())), T0);
    drain(&mut w);

    w.push(Event::new(T0, "b"), T0).unwrap();
    w.close(T0);
    let d = drain(&mut w);
    assert_eq!(messages(put_of(d.puts()[0]).0), ["b"]);
    let refused = w.push(Event::new(T0, "late"), T0).unwrap_err();
    assert_eq!(refused.into_event(), Some(Event::new(T0, "late")));
    assert!(!w.is_closed(), "a batch is still in flight");
    w.handle_response(d.puts()[0].id, Outcome::accepted(Some("t2".into())), T0);
    assert!(w.is_closed());
    assert_eq!(drain(&mut w).delivered(), ids([1]));
}

#[test]
fn the_batch_size_trigger_fires_on_bytes_too() {
    let mut w = writer(WriterConfig {
        linger_ms: 60_000,
        ..config()
    });
    let big = "x".repeat(600_000);
    w.push(Event::new(T0, big.clone()), T0).unwrap();
    assert!(drain(&mut w).puts().is_empty());
    w.push(Event::new(T0, big), T0).unwrap();
    let d = drain(&mut w);
    // Over 1 MB buffered: the first event goes alone, the second waits for its own trigger.
    assert_eq!(put_of(d.puts()[0]).0.len(), 1);
}

#[test]
fn ties_keep_push_order_in_a_large_shuffled_batch() {
    let mut w = writer(WriterConfig {
        linger_ms: 60_000,
        ..config()
    });
    for i in 0..5_000u64 {
        let offset = ((i * 7_919) % 13) as i64;
        w.push(Event::new(ts(offset), format!("{i}")), T0).unwrap();
    }
    w.flush(T0);
    let d = drain(&mut w);
    let (events, _) = put_of(d.puts()[0]);
    assert_eq!(events.len(), 5_000);
    for pair in events.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        assert!(a.timestamp <= b.timestamp);
        if a.timestamp == b.timestamp {
            let (ia, ib): (u64, u64) = (a.message.parse().unwrap(), b.message.parse().unwrap());
            assert!(
                ia < ib,
                "tie at {} broke push order: {ia} before {ib}",
                a.timestamp
            );
        }
    }
}

/// Inputs that only move time on (a push refused by a full buffer, a push rejected as too old)
/// do not send; the batch whose linger they let expire must still be due by a deadline, or a
/// driver that waits for `poll_timeout` waits for ever (found by tests/tests/it/adapter_vs_mock.rs).
#[test]
fn a_linger_that_expires_during_a_push_that_sends_nothing_is_still_a_deadline() {
    for refused_by_full_buffer in [true, false] {
        let mut w = writer(WriterConfig {
            linger_ms: 20,
            buffer: BufferConfig {
                max_events: 1,
                overflow: OverflowPolicy::Reject,
                ..BufferConfig::default()
            },
            ..config()
        });
        w.push(Event::new(T0, "a"), T0).unwrap();
        assert!(drain(&mut w).puts().is_empty());

        let later = T0.plus_ms(50);
        if refused_by_full_buffer {
            let err = w.push(Event::new(T0, "refused"), later).unwrap_err();
            assert!(matches!(err, Error::BufferFull { .. }));
        } else {
            let old = Event::new(T0.minus_ms(15 * DAY_MS), "too old");
            assert_eq!(w.push(old, later).unwrap().len(), 1);
        }

        let deadline = w
            .poll_timeout()
            .expect("the expired linger is still a deadline");
        assert!(deadline.at <= later, "{deadline:?}");
        w.handle_timeout(later);
        assert_eq!(messages(put_of(drain(&mut w).puts()[0]).0), ["a"]);
    }
}
