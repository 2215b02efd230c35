//! Slow and stuck clients cannot lock the mock (issue 20, item 1): connections that send half a
//! header, nothing, a body shorter than its `Content-Length`, or nothing after their first answer
//! are closed by the header, body and idle limits; at the connection cap, the connection that has
//! waited longest makes room for a new client; and a working client is answered meanwhile.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::support::{http, raw_http};
use mock_server::{Config, MockServer};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Descriptors one test process needs for 2,000 slow clients: both ends of every connection, plus
/// room for the rest of the suite running alongside.
const DESCRIPTORS_NEEDED: u64 = 6_000;

/// Raises this process's soft open-file limit towards its hard one, as far as the test needs.
fn enough_descriptors() {
    use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
    let limit = getrlimit(Resource::Nofile);
    let soft = limit.current.unwrap_or(u64::MAX);
    if soft >= DESCRIPTORS_NEEDED {
        return;
    }
    let hard = limit.maximum.unwrap_or(u64::MAX);
    assert!(
        hard >= DESCRIPTORS_NEEDED,
        "this test holds 2,000 connections in one process and needs {DESCRIPTORS_NEEDED} open \
         files; the hard limit is {hard} (raise it with ulimit -Hn)"
    );
    setrlimit(
        Resource::Nofile,
        Rlimit {
            current: Some(DESCRIPTORS_NEEDED),
            maximum: limit.maximum,
        },
    )
    .expect("raise the soft open-file limit");
}

/// How a slow client misbehaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slow {
    /// Connects and sends nothing.
    Silent,
    /// Sends half a request head.
    HalfHeader,
    /// Sends a whole head announcing 1,000 bytes of body, and 10 of them.
    ShortBody,
    /// Asks for one answer, reads it, and keeps the connection open.
    IdleAfterAnswer,
}

const KINDS: [Slow; 4] = [
    Slow::Silent,
    Slow::HalfHeader,
    Slow::ShortBody,
    Slow::IdleAfterAnswer,
];

async fn open_slow(addr: SocketAddr, kind: Slow) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    match kind {
        Slow::Silent => {}
        Slow::HalfHeader => {
            stream
                .write_all(b"POST / HTTP/1.1\r\nHost: x\r\n")
                .await
                .expect("send half a head");
        }
        Slow::ShortBody => {
            stream
                .write_all(
                    b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Target: Logs_20140328.DescribeLogGroups\r\n\
                      Content-Type: application/x-amz-json-1.1\r\nContent-Length: 1000\r\n\r\n{\"limit\":",
                )
                .await
                .expect("send a short body");
        }
        Slow::IdleAfterAnswer => {
            stream
                .write_all(b"GET /_mock/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                .await
                .expect("ask");
            // Read the whole answer (its body ends the JSON object), then go quiet.
            let mut answer = Vec::new();
            let mut buf = [0u8; 512];
            while !answer.ends_with(b"}") {
                let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf))
                    .await
                    .expect("answered within 10 s")
                    .expect("read");
                assert!(n > 0, "closed before answering");
                answer.extend_from_slice(&buf[..n]);
            }
        }
    }
    stream
}

/// Waits until the server has closed `stream` (a read sees the end or a reset); false if it is
/// still open after `within`.
async fn closed_by_server(mut stream: TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 1024];
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            // Bytes (an answer nobody asked for) do not count as closing; keep reading.
            Ok(Ok(_)) => {}
        }
    }
}

async fn connection_stats(addr: SocketAddr) -> Value {
    let stats = http(addr, "GET", "/_mock/stats", "").await;
    assert_eq!(stats.status, 200, "{}", stats.body);
    stats.json()["connections"].clone()
}

/// A working client's request takes less than a second while the slow clients are held.
async fn answered_within_a_second(addr: SocketAddr) {
    let started = Instant::now();
    let answer = tokio::time::timeout(
        Duration::from_secs(1),
        raw_http(addr, "GET", "/_mock/health", &[], b""),
    )
    .await
    .expect("a working client is answered within a second")
    .expect("an answer");
    assert_eq!(answer.status, 200);
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_slow_connections_are_closed_by_the_timeouts() {
    enough_descriptors();
    let mut config = Config::default();
    config.limits.header_read_timeout_ms = 1_000;
    config.limits.body_read_timeout_ms = 1_000;
    config.limits.idle_timeout_ms = 1_500;
    let server = MockServer::start(config).await.unwrap();
    let addr = server.local_addr();

    let mut slow = Vec::with_capacity(2_000);
    for i in 0..2_000 {
        let kind = KINDS[i % KINDS.len()];
        slow.push((kind, open_slow(addr, kind).await));
    }
    answered_within_a_second(addr).await;

    // Every slow connection is closed: the longest limit is 1.5 s after its last activity; allow
    // for a loaded machine (the check only fails if a connection is never closed).
    let waits: Vec<_> = slow
        .into_iter()
        .map(|(kind, stream)| {
            tokio::spawn(async move {
                (
                    kind,
                    closed_by_server(stream, Duration::from_secs(20)).await,
                )
            })
        })
        .collect();
    let mut still_open = Vec::new();
    for wait in waits {
        let (kind, closed) = wait.await.unwrap();
        if !closed {
            still_open.push(kind);
        }
    }
    assert!(
        still_open.is_empty(),
        "not closed: {} ({:?}...)",
        still_open.len(),
        &still_open[..still_open.len().min(5)]
    );

    let c = connection_stats(addr).await;
    // Silent and half-header clients never complete a head; short bodies never complete; idle
    // ones never ask again. Nothing was evicted: the cap was never reached.
    assert_eq!(c["headerTimeouts"], 1_000, "{c}");
    assert_eq!(c["bodyTimeouts"], 500, "{c}");
    assert!(c["idleTimeouts"].as_u64().unwrap() >= 500, "{c}");
    assert_eq!(c["evicted"], 0, "{c}");
    assert!(c["accepted"].as_u64().unwrap() >= 2_001, "{c}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_the_cap_the_longest_waiting_connection_makes_room() {
    enough_descriptors();
    let mut config = Config::default();
    config.limits.max_connections = 100;
    // Long enough that no limit closes anything during the test: only eviction can make room.
    config.limits.header_read_timeout_ms = 120_000;
    config.limits.idle_timeout_ms = 120_000;
    let server = MockServer::start(config).await.unwrap();
    let addr = server.local_addr();

    let mut slow = Vec::new();
    for i in 0..300 {
        slow.push(open_slow(addr, KINDS[i % 2]).await);
    }
    answered_within_a_second(addr).await;

    // The oldest ones were asked to close as newer clients came; at most the cap is still open.
    let waits: Vec<_> = slow
        .into_iter()
        .map(|stream| tokio::spawn(closed_by_server(stream, Duration::from_millis(500))))
        .collect();
    let mut closed = 0;
    for wait in waits {
        closed += usize::from(wait.await.unwrap());
    }
    assert!(
        closed >= 200,
        "only {closed} of 300 were closed to make room"
    );
    let c = connection_stats(addr).await;
    assert!(c["evicted"].as_u64().unwrap() >= 201, "{c}");
    assert_eq!(c["headerTimeouts"], 0, "{c}");
}
