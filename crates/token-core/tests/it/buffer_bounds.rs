//! Buffer caps and overflow policies: every drop counted and reported, an optional marker.

use crate::support::*;
use token_core::*;

fn capped(overflow: OverflowPolicy, max_events: usize) -> StreamWriter {
    writer(WriterConfig {
        linger_ms: 60_000,
        buffer: BufferConfig {
            max_events,
            max_bytes: 1 << 20,
            overflow,
        },
        dropped_marker: Some("{n} events dropped".to_owned()),
        ..config()
    })
}

#[test]
fn reject_hands_the_event_back_and_keeps_the_buffer() {
    let mut w = capped(OverflowPolicy::Reject, 2);
    w.push(Event::new(T0, "a"), T0).unwrap();
    w.push(Event::new(T0, "b"), T0).unwrap();
    let err = w.push(Event::new(T0, "c"), T0).unwrap_err();
    assert!(matches!(err, Error::BufferFull { .. }));
    assert_eq!(err.into_event(), Some(Event::new(T0, "c")));
    assert_eq!(w.buffered_events(), 2);
    assert!(drain(&mut w).reports.is_empty());
}

#[test]
fn drop_newest_accepts_the_id_and_reports_it_dropped() {
    let mut w = capped(OverflowPolicy::DropNewest, 2);
    w.push(Event::new(T0, "a"), T0).unwrap();
    w.push(Event::new(T0, "b"), T0).unwrap();
    let c = w.push(Event::new(T0, "c"), T0).unwrap();
    assert_eq!(
        drain(&mut w).reports,
        [Report::Dropped {
            ids: vec![c.first()],
            reason: DropReason::BufferFull
        }]
    );
    assert_eq!(w.counters().events_dropped, 1);
}

#[test]
fn drop_oldest_makes_room_and_the_marker_leads_the_next_batch() {
    let mut w = capped(OverflowPolicy::DropOldest, 2);
    w.push(Event::new(T0, "a"), T0).unwrap();
    w.push(Event::new(T0, "b"), T0).unwrap();
    w.push(Event::new(T0, "c"), T0).unwrap();
    w.push(Event::new(T0, "d"), T0).unwrap();
    let d = drain(&mut w);
    assert_eq!(
        d.reports,
        [
            Report::Dropped {
                ids: ids([0]),
                reason: DropReason::BufferFull
            },
            Report::Dropped {
                ids: ids([1]),
                reason: DropReason::BufferFull
            },
        ]
    );
    w.flush(T0.plus_ms(5));
    let d = drain(&mut w);
    assert_eq!(
        messages(put_of(d.puts()[0]).0),
        ["c", "d", "2 events dropped"]
    );
    assert_eq!(
        d.reports,
        [Report::MarkerQueued {
            id: EventId(4),
            dropped: 2
        }]
    );
    assert_eq!(w.counters().markers_queued, 1);
}

#[test]
fn byte_cap_counts_the_26_byte_overhead() {
    let mut w = writer(WriterConfig {
        linger_ms: 60_000,
        buffer: BufferConfig {
            max_events: 100,
            max_bytes: 2 * (26 + 4),
            overflow: OverflowPolicy::Reject,
        },
        ..config()
    });
    w.push(Event::new(T0, "abcd"), T0).unwrap();
    w.push(Event::new(T0, "efgh"), T0).unwrap();
    assert!(matches!(
        w.push(Event::new(T0, "i"), T0),
        Err(Error::BufferFull { .. })
    ));
    assert!(matches!(
        w.push(Event::new(T0, "x".repeat(100)), T0),
        Err(Error::TooLargeForBuffer { .. })
    ));
}

#[test]
fn every_pushed_event_ends_exactly_once_under_overflow() {
    let mut sim = Sim::new(
        FakeService::new(TokenSemantics::Current, Faults::none(), 1).with_stream("group", "stream"),
    );
    let w = sim.add_writer(WriterConfig {
        linger_ms: 200,
        buffer: BufferConfig {
            max_events: 50,
            max_bytes: 1 << 20,
            overflow: OverflowPolicy::DropOldest,
        },
        dropped_marker: Some("{n} dropped".into()),
        ..config()
    });
    for i in 0..500 {
        sim.push(w, sim.now, format!("m{i}")).unwrap();
        if i % 100 == 99 {
            sim.advance(1_000);
        }
    }
    sim.finish(10_000);
    let ledger = &sim.writers[w].ledger;
    let dropped = ledger.count(|f| matches!(f, Fate::Dropped(DropReason::BufferFull)));
    let delivered = ledger.count(|f| *f == Fate::Delivered);
    assert!(dropped > 0);
    assert_eq!(dropped + delivered, ledger.accepted.len());
    assert!(!ledger.markers.is_empty());
}
