//! Tier 1: token-core's writers against the mock's decision, in process, on virtual time.
//!
//! Generated scenarios (several streams and writers, missing resources, every fault kind, both
//! token modes of the mock and of the writer, the strict mock's legacy race window) run as
//! deterministic simulations; after each, the mock's store is read back and every invariant of
//! `sim::invariants` is checked. A failing case prints its seed and the shrunk scenario.
//! `CWLOGS_TIER1_CASES` sets the number of cases (1,000 by default, about 10 s in a debug build);
//! `CWLOGS_SIM_TRACE=1` also prints, for a failing case, every push, request, answer and report
//! with its virtual time.
//!
//! The named tests below pin scenarios that must always hold.

use crate::sim;
use crate::sim::faults::{FaultKind, FaultPlan, FaultRule};
use crate::sim::record::{Fate, Owner};
use crate::sim::scenario::{
    Background, EventSpec, Existing, GroupSpec, MockTokens, Mode, Network, RetrySpec, Scenario,
    SimLimits, Size, StreamSpec, Text, When, WriterSpec,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence};
use token_core::{DropReason, OversizePolicy};

/// Cases when `CWLOGS_TIER1_CASES` is not set: about 10–20 s in a debug build on two cores.
const DEFAULT_CASES: u32 = 1_000;

fn cases() -> u32 {
    std::env::var("CWLOGS_TIER1_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_CASES)
}

proptest! {
    #![proptest_config(Config {
        cases: cases(),
        // Integration tests have no lib.rs beside them: keep failing seeds in one committed place.
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "proptest-regressions/sim_token_core_vs_mock.txt",
        ))),
        // A case runs in milliseconds: shrink all the way to a scenario a person can read.
        max_shrink_iters: 4_096,
        ..Config::default()
    })]

    #[test]
    fn every_invariant_holds_for_generated_scenarios(scenario in sim::strategy::scenario()) {
        let (world, violations) = sim::run(scenario.clone());
        if let (Some(log), false) = (&world.log, violations.is_empty()) {
            eprintln!("trace of the failing case:\n{}", log.join("\n"));
        }
        prop_assert!(
            violations.is_empty(),
            "seed {:#x}: {} invariant(s) broken:\n  {}\nscenario:\n{}",
            scenario.seed,
            violations.len(),
            violations.join("\n  "),
            scenario
        );
    }
}

// ----- named scenarios -----

fn events(n: usize, gap_ms: i64) -> Vec<EventSpec> {
    (0..n)
        .map(|i| EventSpec {
            gap_ms,
            when: When::Recent(0),
            size: Size::Bytes(20 + i % 30),
            text: if i % 2 == 0 { Text::Ascii } else { Text::Utf8 },
            flush: false,
        })
        .collect()
}

fn writer(stream: usize, mode: Mode, events: Vec<EventSpec>) -> WriterSpec {
    WriterSpec {
        stream,
        mode,
        linger_ms: 50,
        oversize: OversizePolicy::Split,
        buffer: None,
        retry: RetrySpec {
            base_ms: 50,
            throttle_base_ms: 100,
            max_retries: 10,
            refund_milli: 100,
            refill_ms: 1_000,
            per_batch: None,
        },
        creates_missing: true,
        marker: false,
        events,
        close_after_ms: 100,
    }
}

fn base(seed: u64, mock_tokens: MockTokens, writers: Vec<WriterSpec>) -> Scenario {
    Scenario {
        seed,
        mock_tokens,
        race_window_ms: 0,
        limits: SimLimits {
            max_event_bytes: 200,
            max_batch_bytes: 600,
            max_batch_events: 5,
        },
        groups: vec![GroupSpec {
            retention_days: None,
        }],
        streams: vec![StreamSpec {
            group: 0,
            existing: Existing::Both,
            background: None,
        }],
        writers,
        faults: FaultPlan::default(),
        network: Network {
            min_latency_ms: 5,
            max_latency_ms: 40,
            timeout_ms: 500,
            slow_extra_ms: 2_000,
            lockstep: false,
        },
    }
}

fn assert_clean(scenario: &Scenario, violations: &[String]) {
    assert!(
        violations.is_empty(),
        "{} invariant(s) broken:\n  {}\nscenario:\n{scenario}",
        violations.len(),
        violations.join("\n  ")
    );
}

#[test]
fn lost_response_on_a_strict_stream_is_delivered_once_via_data_already_accepted() {
    let mut scenario = base(
        7,
        MockTokens::Strict,
        vec![writer(0, Mode::Sequential, events(60, 20))],
    );
    scenario.faults.rules = vec![FaultRule {
        kind: FaultKind::LostResponse,
        permille: 300,
    }];

    let (world, violations) = sim::run(scenario.clone());

    assert_clean(&scenario, &violations);
    let counters = world.writers[0].counters();
    assert!(
        counters.data_already_accepted > 0,
        "no lost answer was resolved by DataAlreadyAccepted"
    );
    let stored: Vec<&Owner> = world.commits[0].iter().map(|c| &c.owner).collect();
    assert_eq!(stored.len(), 60, "every event stored exactly once");
    let delivered = world.traces[0]
        .fates
        .values()
        .filter(|f| **f == Fate::Delivered)
        .count();
    assert_eq!(delivered, 60);
}

#[test]
fn everything_throttled_ends_with_a_clean_report() {
    let mut writers = vec![
        writer(0, Mode::Sequential, events(30, 10)),
        writer(0, Mode::Concurrent(3), events(30, 10)),
    ];
    for w in &mut writers {
        w.retry.refill_ms = 0;
        w.retry.max_retries = 4;
    }
    let mut scenario = base(11, MockTokens::Current, writers);
    scenario.faults.outage = Some(FaultKind::Throttle);

    let (world, violations) = sim::run(scenario.clone());

    assert_clean(&scenario, &violations);
    assert!(
        world.commits[0].is_empty(),
        "a throttled call stores nothing"
    );
    for (w, trace) in world.traces.iter().enumerate() {
        assert!(world.writers[w].is_closed());
        assert_eq!(
            trace.fates.len(),
            30,
            "writer {w}: every event accounted for"
        );
        assert!(trace
            .fates
            .values()
            .all(|f| *f == Fate::Dropped(DropReason::RetriesExhausted)));
        assert!(
            trace.budgeted_resends <= 4,
            "writer {w}: resends beyond the budget"
        );
    }
}

#[test]
fn a_fresh_service_gets_every_group_and_stream_created_by_its_writers() {
    let mut scenario = base(
        3,
        MockTokens::Strict,
        vec![
            writer(0, Mode::Sequential, events(20, 15)),
            writer(1, Mode::Sequential, events(20, 15)),
            writer(1, Mode::Sequential, events(20, 15)),
        ],
    );
    scenario.groups = vec![
        GroupSpec {
            retention_days: Some(3),
        },
        GroupSpec {
            retention_days: None,
        },
    ];
    scenario.streams = vec![
        StreamSpec {
            group: 0,
            existing: Existing::Neither,
            background: None,
        },
        StreamSpec {
            group: 1,
            existing: Existing::Neither,
            background: None,
        },
    ];
    scenario.faults.rules = vec![FaultRule {
        kind: FaultKind::Unavailable,
        permille: 100,
    }];

    let (world, violations) = sim::run(scenario.clone());

    assert_clean(&scenario, &violations);
    assert_eq!(world.commits[0].len(), 20);
    assert!(world.commits[1].len() >= 40);
    assert_eq!(world.service.retention_days("/sim/g0"), Some(3));
}

#[test]
fn slow_responses_on_todays_service_store_duplicates_only_where_reported() {
    let mut scenario = base(
        5,
        MockTokens::Current,
        vec![writer(0, Mode::Concurrent(3), events(80, 5))],
    );
    scenario.faults.rules = vec![FaultRule {
        kind: FaultKind::SlowResponse,
        permille: 250,
    }];

    let (world, violations) = sim::run(scenario.clone());

    assert_clean(&scenario, &violations);
    assert!(
        world.commits[0].len() > 80,
        "some slow request should have landed after its resend"
    );
    assert!(!world.traces[0].possible_duplicates.is_empty());
}

#[test]
fn racing_sequential_writers_and_a_background_writer_on_one_strict_stream() {
    let mut scenario = base(
        9,
        MockTokens::Strict,
        vec![
            writer(0, Mode::Sequential, events(40, 100)),
            writer(0, Mode::Sequential, events(40, 100)),
        ],
    );
    scenario.network.lockstep = true;
    scenario.streams[0].background = Some(Background {
        every_ms: 250,
        puts: 12,
    });
    scenario.faults.rules = vec![FaultRule {
        kind: FaultKind::LostResponse,
        permille: 100,
    }];

    let (world, violations) = sim::run(scenario.clone());

    assert_clean(&scenario, &violations);
    let conflicts: u64 = world
        .writers
        .iter()
        .map(|w| w.counters().token_conflicts)
        .sum();
    assert!(
        conflicts > 0,
        "writers on one strict stream must have raced"
    );
    let background = world.commits[0]
        .iter()
        .filter(|c| c.owner == Owner::Background)
        .count();
    assert_eq!(background, 12);
}

/// Three Sequential writers of 40 events on one strict stream, their puts arriving in lockstep:
/// the race both window tests below run, with and without the window.
fn three_sequential_writers_racing_on_one_strict_stream() -> Scenario {
    let mut scenario = base(
        13,
        MockTokens::Strict,
        vec![
            writer(0, Mode::Sequential, events(40, 100)),
            writer(0, Mode::Sequential, events(40, 100)),
            writer(0, Mode::Sequential, events(40, 100)),
        ],
    );
    scenario.network.lockstep = true;
    scenario
}

#[test]
fn sequential_writers_in_the_legacy_race_window_both_win_and_nothing_is_lost() {
    // Lockstep puts every writer's send on the same 100 ms ticks with equal latencies, so the
    // writers that learned the same token (the winner from its answer, the losers from their
    // InvalidSequenceToken) send their next puts with it at the same instant: with a window, the
    // strict mock lets more than one of them through (CLOUDWATCH.md §3.1).
    let mut scenario = three_sequential_writers_racing_on_one_strict_stream();
    scenario.race_window_ms = 200;
    scenario.faults.rules = vec![FaultRule {
        kind: FaultKind::LostResponse,
        permille: 50,
    }];

    let (world, violations) = sim::run(scenario.clone());

    assert_clean(&scenario, &violations);
    assert!(
        world.raced_puts[0] > 0,
        "no two puts with the same token both succeeded: the window was never hit"
    );
    assert_eq!(
        world.service.accepted_puts("/sim/g0", "s0"),
        world.token_advances[0],
        "the mock's own count of accepted puts includes the raced ones"
    );
    let stored = world.commits[0].len();
    let delivered: usize = world
        .traces
        .iter()
        .map(|t| t.fates.values().filter(|f| **f == Fate::Delivered).count())
        .sum();
    assert_eq!(delivered, 120, "every event of every writer delivered");
    assert!(stored >= 120, "every delivered event stored");
}

#[test]
fn without_a_race_window_the_same_race_lets_exactly_one_put_win_per_token() {
    let scenario = three_sequential_writers_racing_on_one_strict_stream();

    let (world, violations) = sim::run(scenario.clone());

    assert_clean(&scenario, &violations);
    assert_eq!(world.raced_puts[0], 0);
    let conflicts: u64 = world
        .writers
        .iter()
        .map(|w| w.counters().token_conflicts)
        .sum();
    assert!(conflicts > 0, "the writers raced, and the losers were told");
}
