//! ResourceNotFound: create the group and/or stream when allowed (AlreadyExists is success), then
//! replay the batch; otherwise report it dropped.

use crate::support::*;
use token_core::*;

fn kinds(d: &Drained) -> Vec<&'static str> {
    d.requests.iter().map(|r| r.kind.operation()).collect()
}

#[test]
fn a_missing_stream_is_created_and_the_same_batch_replayed() {
    let mut w = writer(config());
    let got = w.push(Event::new(T0, "a"), T0).unwrap();
    let put = drain(&mut w).puts()[0].clone();
    w.handle_response(
        put.id,
        Outcome::ResourceNotFound {
            what: Missing::LogStream,
        },
        T0,
    );
    let d = drain(&mut w);
    assert_eq!(kinds(&d), ["CreateLogStream"]);
    w.handle_response(d.requests[0].id, Outcome::Created, T0);
    let d = drain(&mut w);
    assert_eq!(put_of(d.puts()[0]).0, put_of(&put).0);
    assert_eq!(
        d.reports,
        [Report::ResourceCreated {
            what: Missing::LogStream
        }]
    );
    w.handle_response(d.puts()[0].id, Outcome::accepted(None), T0);
    assert_eq!(drain(&mut w).delivered(), vec![got.first()]);
    assert_eq!(w.counters().retries.after_create, 1);
}

#[test]
fn a_missing_group_is_created_with_its_retention_then_the_stream() {
    let mut w = writer(WriterConfig {
        retention_days: Some(30),
        ..config()
    });
    w.push(Event::new(T0, "a"), T0).unwrap();
    let put = drain(&mut w).puts()[0].clone();
    w.handle_response(
        put.id,
        Outcome::ResourceNotFound {
            what: Missing::LogGroup,
        },
        T0,
    );
    let mut ops = Vec::new();
    for _ in 0..3 {
        let d = drain(&mut w);
        ops.extend(kinds(&d));
        w.handle_response(d.requests[0].id, Outcome::Created, T0);
    }
    assert_eq!(
        ops,
        ["CreateLogGroup", "PutRetentionPolicy", "CreateLogStream"]
    );
    assert_eq!(kinds(&drain(&mut w)), ["PutLogEvents"]);
}

#[test]
fn already_exists_counts_as_success() {
    let mut w = writer(config());
    w.push(Event::new(T0, "a"), T0).unwrap();
    let put = drain(&mut w).puts()[0].clone();
    w.handle_response(
        put.id,
        Outcome::ResourceNotFound {
            what: Missing::LogGroup,
        },
        T0,
    );
    let d = drain(&mut w);
    w.handle_response(d.requests[0].id, Outcome::AlreadyExists, T0);
    let d = drain(&mut w);
    assert_eq!(kinds(&d), ["CreateLogStream"]);
    w.handle_response(d.requests[0].id, Outcome::AlreadyExists, T0);
    assert_eq!(kinds(&drain(&mut w)), ["PutLogEvents"]);
}

#[test]
fn an_unknown_missing_resource_creates_the_stream_then_the_group_if_needed() {
    let mut sim = Sim::new(FakeService::new(TokenSemantics::Current, Faults::none(), 3));
    let w = sim.add_writer(config());
    sim.push(w, sim.now, "hello").unwrap();
    sim.finish(100);
    assert_eq!(sim.service.stored("group", "stream"), ["hello"]);
    let c = sim.writers[w].writer.counters().requests;
    assert_eq!((c.create_log_group, c.create_log_stream), (1, 1));
}

#[test]
fn without_auto_create_the_batch_is_reported_dropped() {
    let mut w = writer(WriterConfig {
        auto_create: AutoCreate {
            log_group: false,
            log_stream: false,
        },
        ..config()
    });
    let got = w.push(Event::new(T0, "a"), T0).unwrap();
    let put = drain(&mut w).puts()[0].clone();
    w.handle_response(
        put.id,
        Outcome::ResourceNotFound {
            what: Missing::LogStream,
        },
        T0,
    );
    let d = drain(&mut w);
    assert!(d.requests.is_empty());
    assert_eq!(
        d.reports,
        [Report::Dropped {
            ids: vec![got.first()],
            reason: DropReason::ResourceNotFound {
                what: Missing::LogStream
            }
        }]
    );
    assert!(w.is_idle());
}

#[test]
fn a_stream_that_stays_missing_does_not_loop_forever() {
    let mut w = writer(config());
    let got = w.push(Event::new(T0, "a"), T0).unwrap();
    let mut requests = 0;
    let mut reports = Vec::new();
    loop {
        let d = drain(&mut w);
        reports.extend(d.reports);
        let Some(r) = d.requests.first() else { break };
        requests += 1;
        let outcome = match r.kind {
            RequestKind::PutLogEvents { .. } => Outcome::ResourceNotFound {
                what: Missing::LogStream,
            },
            _ => Outcome::AlreadyExists,
        };
        w.handle_response(r.id, outcome, T0);
        assert!(requests < 50, "looping");
    }
    assert!(reports.contains(&Report::Dropped {
        ids: vec![got.first()],
        reason: DropReason::ResourceNotFound {
            what: Missing::LogStream
        }
    }));
}

#[test]
fn a_recreated_stream_is_written_without_the_old_token() {
    let mut w = writer(config());
    w.push(Event::new(T0, "a"), T0).unwrap();
    let put = drain(&mut w).puts()[0].clone();
    w.handle_response(put.id, Outcome::accepted(Some("4911".into())), T0);
    // The stream is deleted behind our back.
    w.push(Event::new(T0, "b"), T0).unwrap();
    let put = drain(&mut w).puts()[0].clone();
    assert_eq!(put_of(&put).1, Some("4911"));
    w.handle_response(
        put.id,
        Outcome::ResourceNotFound {
            what: Missing::LogStream,
        },
        T0,
    );
    let create = drain(&mut w).requests[0].clone();
    w.handle_response(create.id, Outcome::Created, T0);
    let d = drain(&mut w);
    assert_eq!(put_of(d.puts()[0]).1, None);
}

#[test]
fn a_dropped_marker_is_not_announced_by_another_marker() {
    // A stream the writer may not create drops every batch, the marker announcing a drop too. A
    // marker about that marker went out first with every later batch, was dropped in turn, and
    // the events behind it never left (found by tier 1 of the workspace simulation).
    let mut w = writer(WriterConfig {
        auto_create: AutoCreate {
            log_group: false,
            log_stream: false,
        },
        limits: Limits {
            max_batch_events: 1,
            ..Limits::default()
        },
        dropped_marker: Some("{n} events dropped".into()),
        ..config()
    });
    w.push(Event::new(T0, "a"), T0).unwrap();
    w.push(Event::new(T0, "b"), T0).unwrap();
    w.close(T0);
    let not_found = Outcome::ResourceNotFound {
        what: Missing::LogStream,
    };

    let mut sent = Vec::new();
    while let Some(put) = drain(&mut w).puts().first().map(|r| (*r).clone()) {
        sent.extend(messages(put_of(&put).0));
        assert!(
            sent.len() <= 3,
            "a marker announced a dropped marker: {sent:?}"
        );
        w.handle_response(put.id, not_found.clone(), T0);
    }

    assert!(w.is_closed());
    assert_eq!(sent, ["a", "1 events dropped", "b"]);
    assert_eq!(w.counters().markers_queued, 1);
    assert_eq!(w.counters().events_dropped, 3);
}
