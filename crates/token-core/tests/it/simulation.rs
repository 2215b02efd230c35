//! Whole scenarios on the deterministic simulator: a virtual clock that jumps to the next deadline
//! or answer, a scripted strict or current fake service, and seeded fault presets.

use crate::support::*;
use std::collections::BTreeSet;
use token_core::*;

/// Pushes `n` events per writer at 5 ms intervals, then closes and runs to the end.
fn scenario(
    semantics: TokenSemantics,
    faults: Faults,
    mode: TokenMode,
    seed: u64,
    n: usize,
) -> Sim {
    let mut sim = Sim::new(FakeService::new(semantics, faults, seed));
    let w = sim.add_writer(WriterConfig {
        token_mode: mode,
        linger_ms: 200,
        seed,
        limits: Limits {
            max_batch_events: 50,
            ..Limits::default()
        },
        ..config()
    });
    for i in 0..n {
        sim.push(w, sim.now, format!("e{i:05}")).unwrap();
        sim.advance(5);
    }
    sim.finish(1_000_000);
    sim
}

fn stored(sim: &Sim) -> Vec<String> {
    sim.service.stored("group", "stream")
}

#[test]
fn flaky_service_sequential_strict_delivers_everything_once_in_order() {
    for seed in 0..5 {
        let sim = scenario(
            TokenSemantics::Strict,
            Faults::flaky(),
            TokenMode::Sequential,
            seed,
            400,
        );
        let expected: Vec<String> = (0..400).map(|i| format!("e{i:05}")).collect();
        assert_eq!(stored(&sim), expected, "seed {seed}");
        assert_eq!(sim.writers[0].ledger.count(|f| *f == Fate::Delivered), 400);
        assert_eq!(sim.writers[0].max_puts_in_flight, 1);
    }
}

#[test]
fn throttled_service_is_waited_out_with_cool_downs() {
    let sim = scenario(
        TokenSemantics::Current,
        Faults::throttled(),
        TokenMode::Sequential,
        3,
        300,
    );
    assert_eq!(stored(&sim).len(), 300);
    let c = sim.writers[0].writer.counters();
    assert!(c.retries.throttled > 0);
    assert_eq!(c.retries.server_error, 0);
}

#[test]
fn lost_responses_on_a_strict_service_are_resolved_by_data_already_accepted() {
    let mut saw_daa = false;
    for seed in 0..5 {
        let sim = scenario(
            TokenSemantics::Strict,
            Faults::lost_responses(),
            TokenMode::Sequential,
            seed,
            300,
        );
        let s = stored(&sim);
        let unique: BTreeSet<&String> = s.iter().collect();
        assert_eq!(s.len(), 300, "seed {seed}: stored exactly once");
        assert_eq!(unique.len(), 300);
        saw_daa |= sim.writers[0].writer.counters().data_already_accepted > 0;
    }
    assert!(saw_daa, "some lost answer had landed");
}

#[test]
fn lost_responses_on_todays_service_in_concurrent_mode_report_every_duplicate() {
    for seed in 0..5 {
        let sim = scenario(
            TokenSemantics::Current,
            Faults::lost_responses(),
            TokenMode::Concurrent { max_in_flight: 4 },
            seed,
            300,
        );
        let s = stored(&sim);
        let ledger = &sim.writers[0].ledger;
        // Every stored copy beyond the first belongs to an event reported as a possible duplicate.
        let mut seen = BTreeSet::new();
        for m in &s {
            if !seen.insert(m) {
                let i: u64 = m[1..].parse().unwrap();
                assert!(
                    ledger.possible_duplicates.contains(&EventId(i)),
                    "unreported duplicate {m}"
                );
            }
        }
        assert_eq!(seen.len(), 300, "seed {seed}: nothing lost");
    }
}

#[test]
fn chaos_in_concurrent_mode_loses_nothing_and_breaks_no_limit() {
    for seed in 0..5 {
        let sim = scenario(
            TokenSemantics::Current,
            Faults::chaos(),
            TokenMode::Concurrent { max_in_flight: 3 },
            seed,
            400,
        );
        let unique: BTreeSet<String> = stored(&sim).into_iter().collect();
        assert_eq!(unique.len(), 400, "seed {seed}");
        assert!(sim.writers[0].max_puts_in_flight <= 3);
    }
}

#[test]
fn a_service_down_for_an_hour_is_not_hammered_and_start_up_logs_survive() {
    let mut service = FakeService::new(
        TokenSemantics::Current,
        Faults {
            unavailable: 100,
            ..Faults::none()
        },
        1,
    );
    service = service.with_stream("group", "stream");
    let mut sim = Sim::new(service);
    let w = sim.add_writer(WriterConfig {
        linger_ms: 100,
        ..config()
    });
    for i in 0..20 {
        sim.push(w, sim.now, format!("boot{i}")).unwrap();
    }
    sim.advance(3_600_000);
    let attempts = sim.service.calls["PutLogEvents"];
    // Budget: 10 retries up front, then one per second at most, plus the first attempt.
    assert!(attempts <= 1 + 10 + 3_600, "{attempts} attempts in an hour");
    sim.service.faults = Faults::none();
    sim.finish(100_000);
    assert_eq!(stored(&sim).len(), 20);
}

#[test]
fn auto_create_on_a_fresh_service_with_retention() {
    let mut sim = Sim::new(FakeService::new(TokenSemantics::Strict, Faults::flaky(), 5));
    let w = sim.add_writer(WriterConfig {
        retention_days: Some(14),
        ..config()
    });
    for i in 0..50 {
        sim.push(w, sim.now, format!("m{i}")).unwrap();
        sim.advance(10);
    }
    sim.finish(100_000);
    assert_eq!(stored(&sim).len(), 50);
    assert_eq!(sim.service.retention.get("group"), Some(&14));
}
