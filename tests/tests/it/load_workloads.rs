//! The load tool's writer workloads against an in-process `cwlogs-mock`: each stores exactly what
//! the tool counts, in the order the service reads (timestamp, then arrival), and the report's
//! throughput over time covers the whole window. The figures themselves belong to `just bench`;
//! these runs are short and only check what the workloads send.

use clap::Parser;
use cwlogs_tests::load::{self, Args, LoadConfig};
use mock_server::{Config, MockServer, StoredEvent};

/// Runs `cwlogs-load` with `flags` for half a second (unless the flags end it sooner) (no warm-up, so every answered request is
/// counted) against a fresh mock, and returns the report and the shared stream's events.
async fn run(flags: &[&str]) -> (load::Report, Vec<StoredEvent>) {
    let mock = MockServer::start(Config::default())
        .await
        .expect("mock starts");
    let endpoint = mock.endpoint();
    let mut argv = vec![
        "cwlogs-load",
        "--endpoint",
        endpoint.as_str(),
        "--connections",
        "3",
        "--shared-stream",
        "--events-per-batch",
        "20",
        "--event-bytes",
        "40",
        "--interval",
        "0.1",
    ];
    if !flags.contains(&"--duration") {
        argv.extend_from_slice(&["--duration", "0.5"]);
    }
    argv.extend_from_slice(flags);
    let cfg =
        LoadConfig::try_from(&Args::try_parse_from(argv).expect("flags parse")).expect("valid");
    let report = load::run(cfg).await.expect("the run completes");
    let group = mock.state().store.group("cwlogs-load").expect("group");
    let events = group
        .stream("load-shared")
        .expect("stream")
        .lock()
        .events
        .to_vec();
    mock.shutdown().await.expect("mock stops");
    (report, events)
}

/// What every workload must leave: every counted event stored, none other, in read order.
fn check_stored(report: &load::Report, events: &[StoredEvent]) {
    assert!(
        report.tally.errors.is_empty(),
        "errors: {:?}",
        report.tally.errors
    );
    assert!(report.tally.ok > 0, "no request succeeded");
    assert_eq!(events.len() as u64, report.tally.events);
    assert!(
        events
            .windows(2)
            .all(|w| (w[0].timestamp, w[0].seq) < (w[1].timestamp, w[1].seq)),
        "events are not in (timestamp, arrival) order"
    );
    assert_eq!(report.tally.per_interval.len(), 5);
    assert!(report.tally.per_interval.iter().sum::<u64>() <= report.tally.ok);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overlapping_batches_on_one_stream_are_stored_in_read_order() {
    let (report, events) = run(&["--live-timestamps", "--spread-ms", "1000"]).await;
    check_stored(&report, &events);
    // Live stamps end at the send time, so the batches of the three connections interleave.
    let first = events.first().expect("events").timestamp;
    let now = events.last().expect("events").ingestion_time;
    assert!(
        now - first >= 1000,
        "a batch spans the spread before its send time"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn late_batches_land_behind_the_stored_ones() {
    let (report, events) = run(&["--late-ms", "3000", "--late-every", "2"]).await;
    check_stored(&report, &events);
    // Every second batch is stamped 3 s before it was sent; the others at the send time.
    let late = events
        .iter()
        .filter(|e| e.ingestion_time - e.timestamp >= 3000)
        .count();
    let on_time = events
        .iter()
        .filter(|e| e.ingestion_time - e.timestamp < 1000)
        .count();
    assert!(late > 0 && on_time > 0, "late {late}, on time {on_time}");
    assert_eq!(
        (late + on_time) % 20,
        0,
        "whole batches are late or on time"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_batch_is_stored_again() {
    let (report, events) = run(&["--live-timestamps", "--repeat-every", "2"]).await;
    check_stored(&report, &events);
    // Each connection's second request repeats its first byte for byte, so some message is
    // stored twice with the same timestamp.
    let mut seen = std::collections::HashSet::new();
    let repeated = events
        .iter()
        .filter(|e| !seen.insert((e.timestamp, e.message.clone())))
        .count();
    assert!(
        repeated >= 20,
        "a whole batch is stored twice, got {repeated} repeats"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_capped_by_requests_ends_with_its_last_request() {
    // The server is this process (the mock runs in it), so its CPU is sampled per interval; a
    // sampler that waited out --duration would hold the report for a minute.
    let pid = std::process::id().to_string();
    let flags = [
        "--requests",
        "40",
        "--duration",
        "60",
        "--server-pid",
        pid.as_str(),
    ];
    let run = tokio::time::timeout(std::time::Duration::from_secs(30), run(&flags));
    let (report, events) = run
        .await
        .expect("the report comes when the last request is answered");
    assert_eq!(report.tally.ok, 40);
    assert_eq!(events.len(), 40 * 20);
    // No whole interval was covered, so there is no throughput over time to report.
    assert!(report.interval_rates().is_empty());
    assert_eq!(report.flatness(), None);
}
