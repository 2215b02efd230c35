//! Events AWS would reject are reported rejected locally, with the reason, and never sent.

use crate::support::*;
use token_core::*;

fn rejected_locally(d: &Drained) -> Vec<(Vec<EventId>, RejectReason)> {
    d.reports
        .iter()
        .filter_map(|r| match r {
            Report::Rejected {
                ids,
                reason,
                by: Rejector::Local,
            } => Some((ids.clone(), reason.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn too_new_too_old_and_expired_events_are_rejected_at_push_and_never_sent() {
    let mut w = writer(WriterConfig {
        retention_days: Some(7),
        ..config()
    });
    let new = w.push(Event::new(ts(2 * H + 1), "new"), T0).unwrap();
    let old = w.push(Event::new(ts(-14 * D - 1), "old"), T0).unwrap();
    let expired = w.push(Event::new(ts(-7 * D - 1), "expired"), T0).unwrap();
    let ok = w.push(Event::new(ts(2 * H), "edge-new"), T0).unwrap();
    let d = drain(&mut w);
    assert_eq!(
        rejected_locally(&d),
        [
            (vec![new.first()], RejectReason::TooNew),
            (vec![old.first()], RejectReason::TooOld),
            (vec![expired.first()], RejectReason::Expired),
        ]
    );
    let sent: Vec<String> = d
        .puts()
        .iter()
        .flat_map(|r| messages(put_of(r).0))
        .collect();
    assert_eq!(sent, ["edge-new"]);
    assert_eq!(ok.len(), 1);
}

#[test]
fn exactly_fourteen_days_old_is_sent() {
    let mut w = writer(config());
    w.push(Event::new(ts(-14 * D), "edge-old"), T0).unwrap();
    let d = drain(&mut w);
    assert_eq!(messages(put_of(d.puts()[0]).0), ["edge-old"]);
}

#[test]
fn an_event_that_ages_out_while_buffered_is_rejected_when_the_batch_is_cut() {
    let mut w = writer(WriterConfig {
        linger_ms: 60_000,
        ..config()
    });
    let aging = w.push(Event::new(ts(-14 * D + 10), "aging"), T0).unwrap();
    w.push(Event::new(T0, "fresh"), T0).unwrap();
    w.flush(T0.plus_ms(11));
    let d = drain(&mut w);
    assert_eq!(
        rejected_locally(&d),
        [(vec![aging.first()], RejectReason::TooOld)]
    );
    assert_eq!(messages(put_of(d.puts()[0]).0), ["fresh"]);
}

#[test]
fn an_empty_message_is_a_typed_error_that_hands_the_event_back() {
    let mut w = writer(config());
    let err = w.push(Event::new(T0, ""), T0).unwrap_err();
    assert!(matches!(err, Error::EmptyMessage { .. }));
    assert_eq!(err.into_event(), Some(Event::new(T0, "")));
    assert_eq!(w.counters().pushes_refused, 1);
    assert!(drain(&mut w).requests.is_empty());
}

#[test]
fn bad_configurations_are_refused_with_the_field_named() {
    let cases = [
        WriterConfig {
            log_group: String::new(),
            ..config()
        },
        WriterConfig {
            token_mode: TokenMode::Concurrent { max_in_flight: 0 },
            ..config()
        },
        WriterConfig {
            linger_ms: -1,
            ..config()
        },
        WriterConfig {
            limits: Limits {
                max_event_bytes: 29,
                ..Limits::default()
            },
            ..config()
        },
    ];
    for cfg in cases {
        assert!(matches!(
            StreamWriter::new(cfg),
            Err(Error::InvalidConfig { .. })
        ));
    }
}
