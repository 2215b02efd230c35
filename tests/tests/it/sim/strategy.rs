//! proptest strategies for scenarios. Every part shrinks towards the simple case: fewer streams,
//! writers and events, smaller events, fewer faults, no lockstep network, no legacy race window.

use super::faults::{FaultKind, FaultPlan, FaultRule};
use super::scenario::{
    Background, BufferSpec, EventSpec, Existing, GroupSpec, MockTokens, Mode, Network, RetrySpec,
    Scenario, SimLimits, Size, StreamSpec, Text, When, WriterSpec,
};
use proptest::prelude::*;
use token_core::{OverflowPolicy, OversizePolicy};

fn limits() -> impl Strategy<Value = SimLimits> {
    (60usize..=300, 0usize..=900, 1usize..=10).prop_map(|(event, extra, events)| SimLimits {
        max_event_bytes: event,
        max_batch_bytes: event + extra,
        max_batch_events: events,
    })
}

fn when() -> impl Strategy<Value = When> {
    prop_oneof![
        12 => (0i64..1_000).prop_map(When::Recent),
        1 => (0i64..3_000).prop_map(When::AgeEdge),
        1 => (0i64..3_000).prop_map(When::RetentionEdge),
        1 => Just(When::TooOld),
        1 => (0i64..1_000).prop_map(When::FutureEdge),
        1 => Just(When::TooNew),
    ]
}

fn size() -> impl Strategy<Value = Size> {
    prop_oneof![
        8 => (1usize..=60).prop_map(Size::Bytes),
        2 => (-3i64..=1).prop_map(Size::NearLimit),
        1 => (2usize..=3).prop_map(Size::Times),
    ]
}

fn event() -> impl Strategy<Value = EventSpec> {
    (
        0i64..=300,
        when(),
        size(),
        prop_oneof![Just(Text::Ascii), Just(Text::Utf8)],
        prop::bool::weighted(0.08),
    )
        .prop_map(|(gap_ms, when, size, text, flush)| EventSpec {
            gap_ms,
            when,
            size,
            text,
            flush,
        })
}

fn retry() -> impl Strategy<Value = RetrySpec> {
    (
        10i64..=200,
        20i64..=400,
        1u32..=10,
        prop_oneof![Just(0u32), Just(100), Just(500)],
        prop_oneof![Just(0i64), Just(200), Just(1_000)],
        prop::option::weighted(0.3, 0u32..=4),
    )
        .prop_map(
            |(base_ms, throttle_base_ms, max_retries, refund_milli, refill_ms, per_batch)| {
                RetrySpec {
                    base_ms,
                    throttle_base_ms,
                    max_retries,
                    refund_milli,
                    refill_ms,
                    per_batch,
                }
            },
        )
}

fn writer() -> impl Strategy<Value = WriterSpec> {
    let mode = prop_oneof![
        Just(Mode::Sequential),
        (1usize..=3).prop_map(Mode::Concurrent)
    ];
    let oversize = prop_oneof![
        Just(OversizePolicy::Split),
        Just(OversizePolicy::Truncate),
        Just(OversizePolicy::Drop)
    ];
    let overflow = prop_oneof![
        Just(OverflowPolicy::Reject),
        Just(OverflowPolicy::DropNewest),
        Just(OverflowPolicy::DropOldest)
    ];
    let buffer = prop::option::weighted(
        0.2,
        (2usize..=12, overflow).prop_map(|(max_events, overflow)| BufferSpec {
            max_events,
            overflow,
        }),
    );
    (
        0usize..3,
        mode,
        prop_oneof![Just(0i64), Just(50), Just(100), Just(300)],
        oversize,
        buffer,
        retry(),
        prop::bool::weighted(0.9),
        prop::bool::weighted(0.3),
        prop::collection::vec(event(), 0..=20),
        0i64..=500,
    )
        .prop_map(
            |(
                stream,
                mode,
                linger_ms,
                oversize,
                buffer,
                retry,
                creates_missing,
                marker,
                events,
                close_after_ms,
            )| WriterSpec {
                stream,
                mode,
                linger_ms,
                oversize,
                buffer,
                retry,
                creates_missing,
                marker,
                events,
                close_after_ms,
            },
        )
}

fn stream() -> impl Strategy<Value = StreamSpec> {
    let existing = prop_oneof![
        3 => Just(Existing::Both),
        1 => Just(Existing::GroupOnly),
        1 => Just(Existing::Neither)
    ];
    let background = prop::option::weighted(
        0.25,
        (50i64..=500, 1u32..=15).prop_map(|(every_ms, puts)| Background { every_ms, puts }),
    );
    (0usize..2, existing, background).prop_map(|(group, existing, background)| StreamSpec {
        group,
        existing,
        background,
    })
}

fn fault_kind() -> impl Strategy<Value = FaultKind> {
    prop::sample::select(FaultKind::ALL.to_vec())
}

fn faults() -> impl Strategy<Value = FaultPlan> {
    (
        prop::collection::vec(
            (fault_kind(), 1u16..=200).prop_map(|(kind, permille)| FaultRule { kind, permille }),
            0..=3,
        ),
        prop::option::weighted(0.05, fault_kind()),
    )
        .prop_map(|(rules, outage)| FaultPlan { rules, outage })
}

fn network() -> impl Strategy<Value = Network> {
    (
        1i64..=30,
        0i64..=80,
        50i64..=1_500,
        1i64..=3_000,
        prop::bool::weighted(0.2),
    )
        .prop_map(|(min, spread, slack, slow_extra_ms, lockstep)| Network {
            min_latency_ms: min,
            max_latency_ms: min + spread,
            // Longer than any normal round trip: only injected faults time out.
            timeout_ms: 2 * (min + spread) + slack,
            slow_extra_ms,
            lockstep,
        })
}

/// The strict mock's legacy race window: usually none (a strict compare-and-set), sometimes
/// 50–300 ms, wide enough for writers that learned the same token to land in it. Shrinks to none.
fn race_window() -> impl Strategy<Value = u64> {
    prop_oneof![
        3 => Just(0u64),
        1 => 50u64..=300,
    ]
}

/// Whole scenarios: 1–3 streams in 1–2 groups, 1–4 writers of up to 20 events each, up to three
/// fault rules (or, rarely, an outage), both mock token modes (the strict one sometimes with a
/// legacy race window); Sequential writers against both, Concurrent writers against the current
/// mock only.
pub fn scenario() -> impl Strategy<Value = Scenario> {
    (
        any::<u64>(),
        prop_oneof![Just(MockTokens::Strict), Just(MockTokens::Current)],
        limits(),
        prop::collection::vec(
            prop_oneof![Just(None), Just(Some(1u32)), Just(Some(3u32))]
                .prop_map(|retention_days| GroupSpec { retention_days }),
            1..=2,
        ),
        prop::collection::vec(stream(), 1..=3),
        prop::collection::vec(writer(), 1..=4),
        faults(),
        network(),
        // Drawn last, so that the seeds committed before the window existed still generate the
        // scenarios they were saved for.
        race_window(),
    )
        .prop_map(
            |(
                seed,
                mock_tokens,
                limits,
                groups,
                mut streams,
                mut writers,
                faults,
                network,
                race_window_ms,
            )| {
                for s in &mut streams {
                    s.group %= groups.len();
                }
                for w in &mut writers {
                    w.stream %= streams.len();
                    if mock_tokens == MockTokens::Strict {
                        // Concurrent mode is for today's service (`TokenMode::Concurrent`): on a
                        // strict stream its puts in flight share one token, and two with equal
                        // messages (two "N dropped" markers) make the loser's batch look
                        // DataAlreadyAccepted without being stored (CLOUDWATCH.md §3.1).
                        w.mode = Mode::Sequential;
                    }
                    if faults.outage.is_some() {
                        // Against a service that never answers well, only a budget that does
                        // not refill lets the writers give up (and the case end).
                        w.retry.refill_ms = 0;
                    }
                }
                Scenario {
                    seed,
                    mock_tokens,
                    // The current mock ignores tokens: a window there would only be noise in the
                    // printed scenario.
                    race_window_ms: if mock_tokens == MockTokens::Strict {
                        race_window_ms
                    } else {
                        0
                    },
                    limits,
                    groups,
                    streams,
                    writers,
                    faults,
                    network,
                }
            },
        )
}
