//! InvalidParameter bisects a batch down to the bad events; fatal errors stop sending without
//! losing anything.

use crate::support::*;
use token_core::*;

#[test]
fn bisection_isolates_the_bad_event_and_delivers_the_rest() {
    let mut service =
        FakeService::new(TokenSemantics::Strict, Faults::none(), 1).with_stream("group", "stream");
    service.poison = Some("BAD".into());
    let mut sim = Sim::new(service);
    let w = sim.add_writer(WriterConfig {
        linger_ms: 1_000,
        ..config()
    });
    let mut bad = Vec::new();
    for i in 0..16 {
        let msg = if i == 5 || i == 11 {
            format!("BAD{i}")
        } else {
            format!("ok{i}")
        };
        let got = sim.push(w, sim.now, msg).unwrap();
        if i == 5 || i == 11 {
            bad.push(got.first());
        }
    }
    sim.finish(1_000);
    let ledger = &sim.writers[w].ledger;
    for id in &bad {
        assert!(matches!(
            ledger.fate[id],
            Fate::Rejected(RejectReason::InvalidParameter { .. }, Rejector::Service)
        ));
    }
    assert_eq!(ledger.count(|f| *f == Fate::Delivered), 14);
    let stored = sim.service.stored("group", "stream");
    let expected: Vec<String> = (0..16)
        .filter(|i| *i != 5 && *i != 11)
        .map(|i| format!("ok{i}"))
        .collect();
    assert_eq!(stored, expected, "delivered in order");
    assert!(sim.writers[w].writer.counters().retries.bisect > 0);
}

#[test]
fn a_fatal_error_stops_sending_reports_once_and_keeps_events() {
    let mut w = writer(config());
    w.push(Event::new(T0, "a"), T0).unwrap();
    let d = drain(&mut w);
    w.push(Event::new(T0, "b"), T0).unwrap();
    w.handle_response(
        d.puts()[0].id,
        Outcome::Fatal {
            code: "AccessDeniedException".into(),
            message: "not allowed".into(),
        },
        T0,
    );
    let d = drain(&mut w);
    assert!(d.requests.is_empty());
    assert_eq!(
        d.reports,
        [Report::Fatal {
            code: "AccessDeniedException".into(),
            message: "not allowed".into()
        }]
    );
    assert!(w.is_stopped());
    w.push(Event::new(T0, "c"), T0).unwrap();
    w.flush(T0);
    assert!(
        drain(&mut w).requests.is_empty(),
        "stopped: nothing more is sent"
    );
    assert_eq!(w.buffered_events(), 3);
    assert_eq!(w.poll_timeout(), None, "nothing to wake up for");

    let back = w.take_unsent();
    let msgs: Vec<&str> = back.iter().map(|(_, e)| e.message.as_str()).collect();
    assert_eq!(msgs, ["a", "b", "c"]);
    assert_eq!(
        drain(&mut w).reports,
        [Report::Dropped {
            ids: ids(0..3),
            reason: DropReason::TakenBack
        }]
    );
}

#[test]
fn closing_a_stopped_writer_drops_what_it_cannot_send() {
    let mut w = writer(config());
    w.push(Event::new(T0, "a"), T0).unwrap();
    let d = drain(&mut w);
    w.handle_response(
        d.puts()[0].id,
        Outcome::Fatal {
            code: "UnrecognizedClientException".into(),
            message: "bad key".into(),
        },
        T0,
    );
    drain(&mut w);
    w.close(T0);
    assert_eq!(
        drain(&mut w).reports,
        [Report::Dropped {
            ids: ids([0]),
            reason: DropReason::Stopped
        }]
    );
    assert!(w.is_closed());
}
