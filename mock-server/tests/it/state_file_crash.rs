//! Nothing acknowledged is lost to SIGKILL (issue 20, item 4): the `cwlogs-mock` binary runs with
//! a state file under load from several writers, is killed with SIGKILL at a random point (seeded,
//! so a failure replays), restarted on the same file, and killed again, 20 times; then every put
//! it answered 200 must be stored exactly once, and nothing at all twice.
//!
//! The journal is kept small (`compact_above_bytes` 16 KiB, checked every 20 ms) so that kills also
//! land inside compactions, and the kills alternate between `os` and `always` durability.

#![cfg(unix)]

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::support::binary::{self, Running};
use crate::support::now_ms;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const KILLS: u64 = 20;
const WRITERS: usize = 3;
const EVENTS_PER_PUT: usize = 20;
const SEED: u64 = 0x5eed_0020;

/// The workspace's generator, inlined: SplitMix64 (Steele, Lea, Flood 2014).
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn spawn(path: &Path, durability: &str) -> (Running, SocketAddr) {
    let config = path.with_file_name("config.toml");
    let args = [
        path.as_os_str(),
        "--durability".as_ref(),
        durability.as_ref(),
        "--state-save-interval-ms".as_ref(),
        "20".as_ref(),
        "--config".as_ref(),
        config.as_os_str(),
    ];
    let mut with_flag = vec![std::ffi::OsStr::new("--state-file")];
    with_flag.extend(args);
    binary::spawn(&with_flag)
}

/// One API call that may fail in any way (the server can die under it): the status, or `None`.
async fn try_call(addr: SocketAddr, operation: &str, body: &str) -> Option<(u16, String)> {
    let mut stream = tokio::net::TcpStream::connect(addr).await.ok()?;
    let head = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nX-Amz-Target: Logs_20140328.{operation}\r\n\
         Content-Type: application/x-amz-json-1.1\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.ok()?;
    stream.write_all(body.as_bytes()).await.ok()?;
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
        .await
        .ok()?
        .ok()?;
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text.split(' ').nth(1)?.parse().ok()?;
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_owned())?;
    Some((status, body))
}

/// What the writers learnt: messages the mock acknowledged, and those whose fate is unknown.
#[derive(Default)]
struct Ledger {
    acknowledged: BTreeSet<String>,
    unknown: BTreeSet<String>,
}

async fn write_until_dead(addr: SocketAddr, kill: u64, writer: usize, ledger: Arc<Mutex<Ledger>>) {
    let stream = if writer.is_multiple_of(2) { "a" } else { "b" };
    for batch in 0.. {
        let messages: Vec<String> = (0..EVENTS_PER_PUT)
            .map(|i| format!("k{kill}-w{writer}-b{batch}-e{i}"))
            .collect();
        let now = now_ms();
        let events: Vec<String> = messages
            .iter()
            .map(|m| format!(r#"{{"timestamp":{now},"message":"{m}"}}"#))
            .collect();
        let body = format!(
            r#"{{"logGroupName":"crash","logStreamName":"{stream}","logEvents":[{}]}}"#,
            events.join(",")
        );
        let answered = try_call(addr, "PutLogEvents", &body).await;
        let mut ledger = ledger.lock().unwrap();
        match answered {
            Some((200, _)) => ledger.acknowledged.extend(messages),
            Some((status, body)) => panic!("put answered {status}: {body}"),
            None => {
                ledger.unknown.extend(messages);
                return;
            }
        }
    }
}

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_sigkills_under_load_lose_and_duplicate_nothing_acknowledged() {
    let dir =
        TempDir(std::env::temp_dir().join(format!("cwlogs-mock-crash-{}", std::process::id())));
    let _ = std::fs::remove_dir_all(&dir.0);
    std::fs::create_dir_all(&dir.0).unwrap();
    let path = dir.0.join("state.json");
    std::fs::write(
        dir.0.join("config.toml"),
        "[state]\ncompact_above_bytes = 16384\n",
    )
    .unwrap();
    let mut random = SplitMix64(SEED);
    let ledger = Arc::new(Mutex::new(Ledger::default()));

    for kill in 0..KILLS {
        let durability = if kill.is_multiple_of(2) {
            "os"
        } else {
            "always"
        };
        let (mut running, addr) = spawn(&path, durability);
        if kill == 0 {
            for (operation, body) in [
                ("CreateLogGroup", r#"{"logGroupName":"crash"}"#),
                (
                    "CreateLogStream",
                    r#"{"logGroupName":"crash","logStreamName":"a"}"#,
                ),
                (
                    "CreateLogStream",
                    r#"{"logGroupName":"crash","logStreamName":"b"}"#,
                ),
            ] {
                let (status, body) = try_call(addr, operation, body).await.expect("answered");
                assert_eq!(status, 200, "{body}");
            }
        }
        let writers: Vec<_> = (0..WRITERS)
            .map(|w| tokio::spawn(write_until_dead(addr, kill, w, Arc::clone(&ledger))))
            .collect();
        tokio::time::sleep(Duration::from_millis(50 + random.below(250))).await;
        // SIGKILL: no signal handler runs, nothing is saved on the way out.
        running.child.kill().expect("SIGKILL");
        running.child.wait().expect("reaped");
        for writer in writers {
            writer.await.expect("writer");
        }
    }

    let (running, addr) = spawn(&path, "os");
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for stream in ["a", "b"] {
        for message in crate::support::stored_messages(addr, "crash", stream).await {
            *seen.entry(message).or_default() += 1;
        }
    }
    // No temporary file of an interrupted save survives a start (checked before this last mock
    // is killed too, which could interrupt a save of its own).
    let stale: Vec<_> = std::fs::read_dir(&dir.0)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp-"))
        .collect();
    assert!(stale.is_empty(), "{stale:?}");
    drop(running);
    let ledger = ledger.lock().unwrap();
    assert!(
        ledger.acknowledged.len() > 1_000,
        "too little load to prove anything: {} acknowledged",
        ledger.acknowledged.len()
    );
    let lost: Vec<_> = ledger
        .acknowledged
        .iter()
        .filter(|m| !seen.contains_key(*m))
        .take(5)
        .collect();
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
    let twice: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).take(5).collect();
    assert!(twice.is_empty(), "stored more than once: {twice:?}");
    let invented: Vec<_> = seen
        .keys()
        .filter(|m| !ledger.acknowledged.contains(*m) && !ledger.unknown.contains(*m))
        .take(5)
        .collect();
    assert!(invented.is_empty(), "stored but never sent: {invented:?}");
}
