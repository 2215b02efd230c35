//! proptest strategies for [`Scenario`]s: workload shape, modes, quotas, fault rules and seeds.
//!
//! Shapes stay small (at most 3 shippers x 3 streams x 120 events) because every case runs real
//! sockets; the breadth comes from the number of cases. Each part shrinks towards the simplest
//! case: fewer shippers, streams and events, no faults, no quotas.

use super::scenario::{FaultKind, FaultSpec, Mode, Overflow, Quotas, Scenario, Service};
use proptest::prelude::*;

fn mode() -> impl Strategy<Value = Mode> {
    prop_oneof![
        3 => Just(Mode::StrictSequential),
        1 => Just(Mode::CurrentSequential),
        2 => (1usize..=4).prop_map(|max_in_flight| Mode::CurrentConcurrent { max_in_flight }),
    ]
}

fn quotas() -> impl Strategy<Value = Quotas> {
    prop_oneof![2 => Just(Quotas::Off), 2 => Just(Quotas::Aws), 1 => Just(Quotas::Legacy)]
}

/// The kinds that fail a put outright (latency only slows it down).
fn failing_kind() -> impl Strategy<Value = FaultKind> {
    prop_oneof![
        Just(FaultKind::Throttle),
        Just(FaultKind::ServiceUnavailable),
        Just(FaultKind::InternalError),
        Just(FaultKind::ResetBeforeCommit),
        Just(FaultKind::LostResponse),
    ]
}

fn fault_kind() -> impl Strategy<Value = FaultKind> {
    prop_oneof![
        5 => failing_kind(),
        // Up to 450 ms against a 250 ms request timeout: some puts time out and land anyway.
        1 => (0u64..=50, 0u64..=400).prop_map(|(min_ms, spread)| FaultKind::Latency {
            min_ms,
            max_ms: min_ms + spread,
        }),
    ]
}

fn fault_spec() -> impl Strategy<Value = FaultSpec> {
    (fault_kind(), 1u8..=20, proptest::option::of(1u64..=8))
        .prop_map(|(kind, percent, nth)| FaultSpec { kind, percent, nth })
}

fn service() -> impl Strategy<Value = Service> {
    prop_oneof![
        4 => proptest::collection::vec(fault_spec(), 0..=3).prop_map(Service::Recovering),
        1 => (failing_kind(), proptest::option::of(1u32..=3))
            .prop_map(|(kind, give_up_after)| Service::FailsEveryPut { kind, give_up_after }),
    ]
}

fn overflow() -> impl Strategy<Value = Overflow> {
    prop_oneof![
        3 => (1usize..=200).prop_map(|max_events| Overflow::Block { max_events }),
        1 => (5usize..=200).prop_map(|max_events| Overflow::DropOldest { max_events }),
    ]
}

/// A whole case.
pub fn scenario() -> impl Strategy<Value = Scenario> {
    let setting = (mode(), quotas(), service(), overflow(), any::<bool>());
    let shape = (
        1usize..=3,
        1usize..=3,
        1usize..=120,
        1usize..=200,
        0usize..=64,
        0i64..=3,
        proptest::option::of(1usize..=10),
    );
    let seeds = (any::<u64>(), any::<u64>());
    (setting, shape, seeds).prop_map(
        |(
            (mode, quotas, service, overflow, precreate),
            (shippers, streams, events, batch_events, pad, step_ms, ancient_every),
            (fault_seed, writer_seed),
        )| {
            fit(Scenario {
                mode,
                quotas,
                service,
                overflow,
                precreate,
                shippers,
                streams,
                events,
                batch_events,
                pad,
                step_ms,
                ancient_every,
                fault_seed,
                writer_seed,
            })
        },
    )
}

/// Adjusts combinations that would only make a case slow or wait forever by construction.
fn fit(mut s: Scenario) -> Scenario {
    // A blocking send on a service that never accepts a put waits for room that only giving up a
    // batch can make; without a per-batch limit, the events are dropped from the buffer instead.
    if let (
        Service::FailsEveryPut {
            give_up_after: None,
            ..
        },
        Overflow::Block { max_events },
    ) = (&s.service, s.overflow)
    {
        s.overflow = Overflow::DropOldest {
            max_events: max_events.max(5),
        };
    }
    // The legacy quota allows 5 puts per second per strict stream, shared by every shipper: one
    // batch per shipper and stream keeps a case to a few seconds.
    if s.quotas == Quotas::Legacy {
        s.batch_events = s.batch_events.max(s.events);
        if let Overflow::Block { max_events } = s.overflow {
            s.overflow = Overflow::Block {
                max_events: max_events.max(s.events),
            };
        }
    }
    s
}
