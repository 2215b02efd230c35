//! `rejectedLogEventsInfo` mapped with AWS's exact index semantics into per-event reports.

use crate::support::*;
use token_core::*;

/// Sends events "e0".."e5" as one batch, answers with `info`, returns the reports.
fn answer_with(info: RejectedInfo) -> Vec<Report> {
    let mut w = writer(WriterConfig {
        linger_ms: 60_000,
        ..config()
    });
    for i in 0..6 {
        w.push(Event::new(T0, format!("e{i}")), T0).unwrap();
    }
    w.flush(T0);
    let d = drain(&mut w);
    w.handle_response(
        d.puts()[0].id,
        Outcome::Accepted {
            next_sequence_token: Some("t".into()),
            rejected: info,
        },
        T0,
    );
    drain(&mut w).reports
}

fn service_rejection(ids_: Vec<EventId>, reason: RejectReason) -> Report {
    Report::Rejected {
        ids: ids_,
        reason,
        by: Rejector::Service,
    }
}

#[test]
fn too_new_start_index_is_inclusive() {
    let reports = answer_with(RejectedInfo {
        too_new_start_index: Some(4),
        ..RejectedInfo::NONE
    });
    assert_eq!(
        reports,
        [
            service_rejection(ids([4, 5]), RejectReason::TooNew),
            Report::Delivered { ids: ids(0..4) },
        ]
    );
}

#[test]
fn too_old_end_index_is_exclusive() {
    // AWS: one event at index 0 too old gives tooOldLogEventEndIndex = 1.
    let reports = answer_with(RejectedInfo {
        too_old_end_index: Some(1),
        ..RejectedInfo::NONE
    });
    assert_eq!(
        reports,
        [
            service_rejection(ids([0]), RejectReason::TooOld),
            Report::Delivered { ids: ids(1..6) },
        ]
    );
}

#[test]
fn expired_end_index_is_exclusive_and_all_three_combine() {
    let reports = answer_with(RejectedInfo {
        too_new_start_index: Some(5),
        too_old_end_index: Some(1),
        expired_end_index: Some(3),
    });
    assert_eq!(
        reports,
        [
            service_rejection(ids([0]), RejectReason::TooOld),
            service_rejection(ids([1, 2]), RejectReason::Expired),
            service_rejection(ids([5]), RejectReason::TooNew),
            Report::Delivered { ids: ids([3, 4]) },
        ]
    );
}

#[test]
fn indexes_beyond_the_batch_are_clamped_not_trusted() {
    let reports = answer_with(RejectedInfo {
        too_new_start_index: Some(99),
        too_old_end_index: Some(99),
        expired_end_index: None,
    });
    assert_eq!(
        reports,
        [service_rejection(ids(0..6), RejectReason::TooOld)]
    );
}

#[test]
fn every_event_rejected_keeps_the_previous_token() {
    let mut w = writer(config());
    w.push(Event::new(T0, "a"), T0).unwrap();
    let d = drain(&mut w);
    w.handle_response(d.puts()[0].id, Outcome::accepted(Some("t1".into())), T0);
    w.push(Event::new(T0, "b"), T0).unwrap();
    let d = drain(&mut w);
    w.handle_response(
        d.puts()[0].id,
        Outcome::Accepted {
            next_sequence_token: None,
            rejected: RejectedInfo {
                too_old_end_index: Some(1),
                ..RejectedInfo::NONE
            },
        },
        T0,
    );
    assert_eq!(w.sequence_token(), Some("t1"));
}
