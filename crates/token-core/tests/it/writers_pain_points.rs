//! The pain points users report with existing CloudWatch Logs writers (WRITERS.md §2), one test
//! each, numbered as there.

use crate::support::*;
use std::collections::BTreeSet;
use token_core::limits::EVENT_OVERHEAD_BYTES;
use token_core::*;

fn ship(sim: &mut Sim, w: usize, n: usize, every_ms: i64) {
    for i in 0..n {
        sim.push(w, sim.now, format!("w{w}-e{i:04}")).unwrap();
        sim.advance(every_ms);
    }
}

#[test]
fn p1_several_writers_on_one_strict_stream_converge_instead_of_storming() {
    let mut sim = Sim::new(
        FakeService::new(TokenSemantics::Strict, Faults::none(), 1).with_stream("group", "stream"),
    );
    let ws: Vec<usize> = (0..4)
        .map(|i| {
            sim.add_writer(WriterConfig {
                linger_ms: 100,
                seed: i,
                ..config()
            })
        })
        .collect();
    for round in 0..50 {
        for &w in &ws {
            sim.push(w, sim.now, format!("w{w}-{round}")).unwrap();
        }
        sim.advance(25);
    }
    sim.finish(100_000);
    assert_eq!(sim.service.stored("group", "stream").len(), 200);
    let puts = sim.service.calls["PutLogEvents"];
    // A storm would resend without bound; backoff keeps attempts within a small multiple.
    assert!(puts < 200 * 3, "{puts} PutLogEvents for 200 events");
}

#[test]
fn p2_describe_log_streams_is_never_called() {
    let mut sim = Sim::new(FakeService::new(TokenSemantics::Strict, Faults::chaos(), 2));
    let w = sim.add_writer(WriterConfig {
        linger_ms: 50,
        ..config()
    });
    ship(&mut sim, w, 200, 10);
    sim.finish(1_000_000);
    let ops: BTreeSet<&str> = sim.service.calls.keys().copied().collect();
    let allowed: BTreeSet<&str> = [
        "PutLogEvents",
        "CreateLogGroup",
        "CreateLogStream",
        "PutRetentionPolicy",
    ]
    .into();
    assert!(ops.is_subset(&allowed), "{ops:?}");
}

#[test]
fn p3_throttled_create_log_stream_at_start_is_retried_not_fatal() {
    let service = FakeService::new(TokenSemantics::Current, Faults::none(), 3)
        .with_stream("group", "other")
        .script("CreateLogStream", Outcome::Throttled, 5);
    let mut sim = Sim::new(service);
    let w = sim.add_writer(config());
    ship(&mut sim, w, 10, 10);
    sim.finish(10_000);
    assert_eq!(sim.service.stored("group", "stream").len(), 10);
    assert_eq!(sim.writers[w].writer.counters().retries.throttled, 5);
}

#[test]
fn p4_close_sends_the_last_partial_batch_at_once_and_accounts_for_everything() {
    let mut sim = Sim::new(
        FakeService::new(TokenSemantics::Current, Faults::none(), 4).with_stream("group", "stream"),
    );
    let w = sim.add_writer(WriterConfig {
        linger_ms: 60_000,
        ..config()
    });
    for i in 0..7 {
        sim.push(w, sim.now, format!("last-words-{i}")).unwrap();
    }
    let before = sim.now;
    sim.finish(100);
    assert_eq!(sim.service.stored("group", "stream").len(), 7);
    assert!(sim.now.since(before) < 1_000, "did not wait for linger");
}

#[test]
fn p4_a_flush_deadline_gives_back_what_was_not_delivered() {
    let service = FakeService::new(
        TokenSemantics::Current,
        Faults {
            unavailable: 100,
            ..Faults::none()
        },
        4,
    )
    .with_stream("group", "stream");
    let mut sim = Sim::new(service);
    let w = sim.add_writer(config());
    ship(&mut sim, w, 5, 10);
    sim.advance(2_000); // the caller's flush deadline passes
    let back = sim.writers[w].writer.take_unsent();
    sim.pump();
    let in_flight = sim.writers[w].writer.in_flight_events();
    assert_eq!(back.len() + in_flight, 5);
    let ledger = &sim.writers[w].ledger;
    assert_eq!(
        ledger.count(|f| *f == Fate::Dropped(DropReason::TakenBack)),
        back.len()
    );
}

#[test]
fn p5_drops_are_counted_reported_and_marked_in_the_stream() {
    let service = FakeService::new(TokenSemantics::Current, Faults::none(), 5)
        .with_stream("group", "stream")
        .script("PutLogEvents", Outcome::ServiceUnavailable, 3);
    let mut sim = Sim::new(service);
    let w = sim.add_writer(WriterConfig {
        linger_ms: 10,
        buffer: BufferConfig {
            max_events: 10,
            max_bytes: 1 << 20,
            overflow: OverflowPolicy::DropOldest,
        },
        dropped_marker: Some("[writer] {n} events dropped".into()),
        retry: RetryPolicy {
            base_ms: 1_000,
            ..RetryPolicy::default()
        },
        ..config()
    });
    ship(&mut sim, w, 60, 20);
    sim.finish(100_000);
    let dropped = sim.writers[w].writer.counters().events_dropped;
    assert!(dropped > 0);
    let stored = sim.service.stored("group", "stream");
    let announced: u64 = stored
        .iter()
        .filter_map(|m| m.strip_prefix("[writer] "))
        .map(|m| m.split(' ').next().unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(announced, dropped, "every drop announced in the stream");
}

#[test]
fn p6_a_failed_batch_is_retried_alone_and_already_accepted_is_not_resent() {
    let mut w = writer(WriterConfig {
        token_mode: TokenMode::Concurrent { max_in_flight: 2 },
        limits: Limits {
            max_batch_events: 1,
            ..Limits::default()
        },
        retry: RetryPolicy {
            base_ms: 0,
            ..RetryPolicy::default()
        },
        ..config()
    });
    w.push(Event::new(T0, "a"), T0).unwrap();
    w.push(Event::new(T0, "b"), T0).unwrap();
    let d = drain(&mut w);
    w.handle_response(d.puts()[0].id, Outcome::accepted(None), T0);
    w.handle_response(d.puts()[1].id, Outcome::ServiceUnavailable, T0);
    let d = drain(&mut w);
    assert_eq!(d.puts().len(), 1);
    assert_eq!(
        messages(put_of(d.puts()[0]).0),
        ["b"],
        "only the failed batch is resent"
    );
}

#[test]
fn p7_the_largest_event_and_batch_pass_the_services_own_checks() {
    let mut sim = Sim::new(
        FakeService::new(TokenSemantics::Current, Faults::none(), 7).with_stream("group", "stream"),
    );
    let w = sim.add_writer(config());
    let max = 1_048_576 - EVENT_OVERHEAD_BYTES;
    sim.push(w, sim.now, "x".repeat(max)).unwrap();
    sim.push(w, sim.now, "y".repeat(max + 10)).unwrap(); // split
    for i in 0..30_000 {
        sim.push(w, sim.now, format!("{i:08}")).unwrap();
    }
    sim.finish(100_000);
    assert_eq!(
        sim.service.stored("group", "stream").len(),
        2 + 2 + 30_000 - 1
    );
}

#[test]
fn p8_out_of_order_pushes_never_make_a_non_chronological_batch() {
    let mut sim = Sim::new(
        FakeService::new(TokenSemantics::Current, Faults::none(), 8).with_stream("group", "stream"),
    );
    let w = sim.add_writer(WriterConfig {
        linger_ms: 100,
        ..config()
    });
    let mut rng = Rng::new(8);
    for i in 0..500 {
        let jitter = (rng.next() % 10_000) as i64;
        sim.push(w, sim.now.minus_ms(jitter), format!("e{i}"))
            .unwrap();
        sim.advance(3);
    }
    sim.finish(100_000); // the fake records "not chronological" as a violation
    assert_eq!(sim.service.stored("group", "stream").len(), 500);
}

#[test]
fn p9_too_old_too_new_and_expired_are_rejected_with_their_reason_not_sent() {
    let mut sim = Sim::new(
        FakeService::new(TokenSemantics::Current, Faults::none(), 9).with_stream("group", "stream"),
    );
    let w = sim.add_writer(WriterConfig {
        retention_days: Some(1),
        ..config()
    });
    sim.push(w, sim.now.minus_ms(2 * D), "expired").unwrap();
    sim.push(w, sim.now.minus_ms(15 * D), "old").unwrap();
    sim.push(w, sim.now.plus_ms(3 * H), "new").unwrap();
    sim.push(w, sim.now, "fine").unwrap();
    sim.finish(100);
    assert_eq!(sim.service.stored("group", "stream"), ["fine"]);
    assert_eq!(
        sim.writers[w]
            .ledger
            .count(|f| matches!(f, Fate::Rejected(_, Rejector::Local))),
        3
    );
}

#[test]
fn p10_memory_stays_bounded_while_the_service_is_down() {
    let service = FakeService::new(
        TokenSemantics::Current,
        Faults {
            not_sent: 100,
            ..Faults::none()
        },
        10,
    )
    .with_stream("group", "stream");
    let mut sim = Sim::new(service);
    let w = sim.add_writer(WriterConfig {
        buffer: BufferConfig {
            max_events: 100,
            max_bytes: 1 << 20,
            overflow: OverflowPolicy::DropOldest,
        },
        limits: Limits {
            max_batch_events: 10,
            ..Limits::default()
        },
        ..config()
    });
    for i in 0..5_000 {
        sim.push(w, sim.now, format!("e{i}")).unwrap();
        let held =
            sim.writers[w].writer.buffered_events() + sim.writers[w].writer.in_flight_events();
        // The cap, plus at most one batch cut before the outage was known.
        assert!(held <= 100 + 10, "{held} events held");
        sim.advance(10);
    }
}

#[test]
fn p11_pushing_never_fails_or_blocks_while_cloudwatch_is_unreachable_and_start_up_logs_survive() {
    let service = FakeService::new(
        TokenSemantics::Current,
        Faults {
            not_sent: 100,
            ..Faults::none()
        },
        11,
    );
    let mut sim = Sim::new(service);
    let w = sim.add_writer(config());
    for i in 0..100 {
        assert!(sim.push(w, sim.now, format!("boot-{i}")).is_ok());
        sim.advance(100);
    }
    sim.service.faults = Faults::none();
    sim.finish(100_000);
    assert_eq!(sim.service.stored("group", "stream").len(), 100);
}

#[test]
fn p12_todays_service_gets_no_tokens_and_parallel_batches() {
    let mut sim = Sim::new(
        FakeService::new(TokenSemantics::Current, Faults::none(), 12)
            .with_stream("group", "stream"),
    );
    sim.latency_ms = 200;
    let w = sim.add_writer(WriterConfig {
        token_mode: TokenMode::Concurrent { max_in_flight: 4 },
        limits: Limits {
            max_batch_events: 5,
            ..Limits::default()
        },
        ..config()
    });
    for i in 0..100 {
        sim.push(w, sim.now, format!("e{i}")).unwrap();
    }
    sim.finish(10_000);
    assert_eq!(sim.writers[w].max_puts_in_flight, 4);
    assert_eq!(sim.writers[w].writer.sequence_token(), None);
    assert_eq!(sim.service.stored("group", "stream").len(), 100);
}
