//! Throughput of push + batching + a simulated, always-accepting service, and the cost of one
//! state-machine step. Messages are created outside the timed section: the figure is the writer's
//! cost, not the allocator's.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use std::hint::black_box;
use token_core::{Event, Outcome, StreamWriter, TokenMode, UnixMillis, WriterConfig};

const T0: UnixMillis = UnixMillis(1_700_000_000_000);

fn config(mode: TokenMode) -> WriterConfig {
    WriterConfig {
        token_mode: mode,
        linger_ms: 60_000,
        ..WriterConfig::new("bench", "stream")
    }
}

fn events(n: usize) -> Vec<Event> {
    (0..n)
        .map(|i| {
            Event::new(
                T0.plus_ms((i / 100) as i64),
                format!("GET /api/items/{i} 200 1.2ms"),
            )
        })
        .collect()
}

/// Pushes everything, answering every request at once, as a driver with a zero-latency service.
fn drive(mode: TokenMode, events: Vec<Event>) -> u64 {
    let mut w = StreamWriter::new(config(mode)).unwrap();
    let now = T0;
    for e in events {
        let _ = w.push(e, now);
        while let Some(r) = w.poll_request() {
            w.handle_response(r.id, Outcome::accepted(None), now);
        }
        while w.poll_report().is_some() {}
    }
    w.close(now);
    while let Some(r) = w.poll_request() {
        w.handle_response(r.id, Outcome::accepted(None), now);
    }
    while w.poll_report().is_some() {}
    assert!(w.is_closed());
    w.counters().events_delivered
}

fn throughput(c: &mut Criterion) {
    const N: usize = 200_000;
    let mut g = c.benchmark_group("push_batch_deliver");
    g.throughput(Throughput::Elements(N as u64));
    for (name, mode) in [
        ("sequential", TokenMode::Sequential),
        ("concurrent4", TokenMode::Concurrent { max_in_flight: 4 }),
    ] {
        g.bench_function(name, |b| {
            b.iter_batched(
                || events(N),
                |ev| black_box(drive(mode, ev)),
                BatchSize::LargeInput,
            )
        });
    }
    g.finish();
}

fn one_step(c: &mut Criterion) {
    let mut g = c.benchmark_group("state_machine_step");
    // One event through the whole cycle: push (linger 0, so it is cut and sent at once), the
    // request drained, the answer handled, the Delivered report drained.
    g.throughput(Throughput::Elements(1));
    g.bench_function("push_send_answer_report", |b| {
        let mut w = StreamWriter::new(WriterConfig {
            linger_ms: 0,
            token_mode: TokenMode::Sequential,
            ..WriterConfig::new("bench", "stream")
        })
        .unwrap();
        b.iter_batched(
            || Event::new(T0, "GET /api/items/1 200 1.2ms"),
            |e| {
                let _ = w.push(e, T0);
                let r = w.poll_request().unwrap();
                w.handle_response(r.id, Outcome::accepted(Some("49".into())), T0);
                black_box(w.poll_report());
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();

    // A push that only buffers (the common step between batches), 1,000 per iteration.
    let mut g = c.benchmark_group("push_only");
    g.throughput(Throughput::Elements(1_000));
    g.bench_function("push_buffered", |b| {
        b.iter_batched(
            || {
                (
                    StreamWriter::new(config(TokenMode::Sequential)).unwrap(),
                    events(1_000),
                )
            },
            |(mut w, ev)| {
                for e in ev {
                    let _ = black_box(w.push(e, T0));
                }
                w
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

criterion_group!(benches, throughput, one_step);
criterion_main!(benches);
