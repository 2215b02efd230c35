//! Events over the per-event limit: split at UTF-8 boundaries, truncate, or drop, each reported.

use crate::support::*;
use token_core::limits::EVENT_OVERHEAD_BYTES;
use token_core::*;

fn small_events(policy: OversizePolicy) -> StreamWriter {
    writer(WriterConfig {
        linger_ms: 60_000,
        oversize: policy,
        limits: Limits {
            max_event_bytes: EVENT_OVERHEAD_BYTES + 10,
            ..Limits::default()
        },
        ..config()
    })
}

#[test]
fn an_event_of_exactly_the_limit_is_sent_whole() {
    let mut w = writer(WriterConfig {
        linger_ms: 60_000,
        ..config()
    });
    let exact = "x".repeat(1_048_576 - EVENT_OVERHEAD_BYTES);
    let got = w.push(Event::new(T0, exact.clone()), T0).unwrap();
    assert_eq!(got.len(), 1);
    w.flush(T0);
    let d = drain(&mut w);
    assert_eq!(messages(put_of(d.puts()[0]).0), [exact]);
    assert!(d.reports.is_empty());
}

#[test]
fn split_cuts_at_character_boundaries_into_same_timestamp_parts() {
    let mut w = small_events(OversizePolicy::Split);
    // 4 × "€" (3 bytes) + "ab" = 14 bytes; 10-byte parts cannot cut a "€" in half.
    let msg = "€€€€ab";
    let got = w.push(Event::new(ts(7), msg), T0).unwrap();
    assert_eq!(got.len(), 2);
    w.flush(T0);
    let d = drain(&mut w);
    let (events, _) = put_of(d.puts()[0]);
    assert_eq!(messages(events), ["€€€", "€ab"]);
    assert!(events.iter().all(|e| e.timestamp == ts(7)));
    assert_eq!(
        d.reports[0],
        Report::Split {
            ids: got.iter().collect()
        }
    );
    assert_eq!(w.counters().events_split, 1);
}

#[test]
fn one_byte_over_the_limit_splits_into_two() {
    let mut w = writer(WriterConfig {
        linger_ms: 60_000,
        ..config()
    });
    let msg = "y".repeat(1_048_576 - EVENT_OVERHEAD_BYTES + 1);
    let got = w.push(Event::new(T0, msg), T0).unwrap();
    assert_eq!(got.len(), 2);
}

#[test]
fn truncate_keeps_the_longest_prefix_on_a_boundary_and_reports_it() {
    let mut w = small_events(OversizePolicy::Truncate);
    let got = w.push(Event::new(T0, "abcdefghi€xyz"), T0).unwrap();
    w.flush(T0);
    let d = drain(&mut w);
    assert_eq!(messages(put_of(d.puts()[0]).0), ["abcdefghi"]);
    assert_eq!(
        d.reports[0],
        Report::Truncated {
            id: got.first(),
            original_bytes: 15
        }
    );
    assert_eq!(w.counters().events_truncated, 1);
}

#[test]
fn drop_reports_the_event_dropped_and_sends_nothing() {
    let mut w = small_events(OversizePolicy::Drop);
    let got = w.push(Event::new(T0, "much too long for ten"), T0).unwrap();
    w.flush(T0);
    let d = drain(&mut w);
    assert!(d.puts().is_empty());
    assert_eq!(
        d.reports,
        [Report::Dropped {
            ids: vec![got.first()],
            reason: DropReason::Oversize
        }]
    );
}

#[test]
fn the_legacy_256k_limit_is_honoured_when_configured() {
    let mut w = writer(WriterConfig {
        linger_ms: 60_000,
        limits: Limits::legacy_256k_events(),
        ..config()
    });
    let fits = "a".repeat(262_144 - EVENT_OVERHEAD_BYTES);
    assert_eq!(w.push(Event::new(T0, fits), T0).unwrap().len(), 1);
    let over = "a".repeat(262_144 - EVENT_OVERHEAD_BYTES + 1);
    assert_eq!(w.push(Event::new(T0, over), T0).unwrap().len(), 2);
}
