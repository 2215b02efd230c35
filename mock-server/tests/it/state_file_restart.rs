//! `--state-file`: the store survives a restart (events, groups, and strict-mode tokens), a
//! corrupt file stops the start with a clear message and is left untouched, and saves are atomic
//! and periodic.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::support::*;
use mock_server::StateConfig;
use mock_server::{Config, MockServer, TokenMode};
use mock_server::{ThrottleConfig, ThrottlePreset};

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "cwlogs-mock-state-{tag}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        Self(dir)
    }

    fn file(&self) -> PathBuf {
        self.0.join("state.json")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn config(path: &Path, save_interval_ms: u64) -> Config {
    Config {
        token_mode: TokenMode::Strict,
        throttle: ThrottleConfig {
            preset: ThrottlePreset::Off,
            ..ThrottleConfig::default()
        },
        state: StateConfig {
            file: Some(path.to_owned()),
            save_interval_ms,
            ..StateConfig::default()
        },
        ..Config::default()
    }
}

async fn put(server: &MockServer, token: Option<String>, message: &str) -> Option<String> {
    plain_client(&server.endpoint())
        .put_log_events()
        .log_group_name("g")
        .log_stream_name("s")
        .set_sequence_token(token)
        .log_events(event(now_ms(), message))
        .send()
        .await
        .expect("put")
        .next_sequence_token()
        .map(str::to_owned)
}

#[tokio::test]
async fn a_clean_shutdown_saves_and_a_restart_serves_the_same_events_and_tokens() {
    let dir = TempDir::new("restart");
    let path = dir.file();
    // A long interval: only the shutdown save can have written the file.
    let first = start_server(config(&path, 3_600_000)).await;
    create_stream_at(&first.endpoint(), "g", "s").await;
    let token = put(&first, None, "one").await;
    let token = put(&first, token, "two").await;
    let before = stored_messages(first.local_addr(), "g", "s").await;
    first.shutdown().await.expect("clean shutdown");
    assert!(path.exists(), "saved on shutdown");

    let second = start_server(config(&path, 3_600_000)).await;
    assert_eq!(stored_messages(second.local_addr(), "g", "s").await, before);
    // The sequence token handed out before the restart is still the expected one.
    put(&second, token, "three").await;
    assert_eq!(
        stored_messages(second.local_addr(), "g", "s").await,
        ["one", "two", "three"]
    );
    // And the SDK reads the restored stream like any other.
    let got = plain_client(&second.endpoint())
        .get_log_events()
        .log_group_name("g")
        .log_stream_name("s")
        .start_from_head(true)
        .send()
        .await
        .expect("get");
    assert_eq!(got.events().len(), 3);
    // No temporary file is left next to the state file; while running, the journal is there too.
    let mut names: Vec<_> = std::fs::read_dir(&dir.0)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["state.json", "state.json.journal"]);
    second.shutdown().await.unwrap();
    let names: Vec<_> = std::fs::read_dir(&dir.0)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names, ["state.json"], "a clean stop folds the journal in");
}

#[tokio::test]
async fn a_corrupt_file_is_refused_with_a_clear_message_and_left_untouched() {
    let dir = TempDir::new("corrupt");
    let path = dir.file();
    let garbage = b"{\"format\":\"cwlogs-mock-state\",\"version\":1,\"store\":{\"groups\":[";
    std::fs::write(&path, garbage).unwrap();
    let err = MockServer::start(config(&path, 10))
        .await
        .expect_err("a corrupt state file stops the start");
    let message = err.to_string();
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(message.contains("corrupt"), "{message}");
    assert!(message.contains("not overwritten"), "{message}");
    assert_eq!(std::fs::read(&path).unwrap(), garbage);

    std::fs::write(&path, b"[1,2,3]").unwrap();
    let err = MockServer::start(config(&path, 10))
        .await
        .expect_err("not a state file");
    assert!(err.to_string().contains("corrupt"), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), b"[1,2,3]");
}

#[tokio::test]
async fn dropped_without_a_shutdown_the_journal_restores_what_was_acknowledged() {
    let dir = TempDir::new("journal");
    let path = dir.file();
    let server = start_server(config(&path, 3_600_000)).await;
    create_stream_at(&server.endpoint(), "g", "s").await;
    put(&server, None, "journaled").await;
    // A first run writes no state file before its first stop; only the journal has the event.
    let saved = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(!saved.contains("journaled"), "{saved}");
    let journal = std::fs::read(dir.0.join("state.json.journal")).unwrap();
    assert!(String::from_utf8_lossy(&journal).contains("journaled"));
    // Dropped, not shut down: no final save; the journal alone restores the event.
    drop(server);
    let restored = start_server(config(&path, 3_600_000)).await;
    assert_eq!(
        stored_messages(restored.local_addr(), "g", "s").await,
        ["journaled"]
    );
}

#[tokio::test]
async fn a_missing_file_is_a_first_run() {
    let dir = TempDir::new("first");
    let path = dir.file();
    let server = start_server(config(&path, 3_600_000)).await;
    let groups = plain_client(&server.endpoint())
        .describe_log_groups()
        .send()
        .await
        .expect("empty store");
    assert!(groups.log_groups().is_empty());
    server.shutdown().await.expect("clean shutdown");
    let text = std::fs::read_to_string(&path).expect("saved on shutdown");
    assert!(
        text.starts_with("{\"format\":\"cwlogs-mock-state\",\"version\":1"),
        "{text}"
    );
}

#[tokio::test]
async fn restored_events_count_against_max_stored_bytes() {
    let dir = TempDir::new("quota");
    let path = dir.file();
    let with_cap = || {
        let mut c = config(&path, 3_600_000);
        c.limits.max_stored_bytes = Some(10);
        c
    };
    let first = start_server(with_cap()).await;
    create_stream_at(&first.endpoint(), "g", "s").await;
    let token = put(&first, None, "12345678").await;
    first.shutdown().await.expect("clean shutdown");

    let second = start_server(with_cap()).await;
    let err = plain_client(&second.endpoint())
        .put_log_events()
        .log_group_name("g")
        .log_stream_name("s")
        .set_sequence_token(token)
        .log_events(event(now_ms(), "12345"))
        .send()
        .await
        .expect_err("8 restored bytes + 5 new ones exceed the cap of 10");
    assert_eq!(code(&err).as_deref(), Some("ServiceQuotaExceededException"));
    assert_eq!(
        stored_messages(second.local_addr(), "g", "s").await,
        ["12345678"]
    );
}

#[tokio::test]
async fn a_counter_at_the_edge_of_u64_is_refused_instead_of_wrapping() {
    // Issue 20: a state file with `seq` = u64::MAX loaded, and the next event's number wrapped.
    let dir = TempDir::new("seq-max");
    let path = dir.file();
    let file = format!(
        r#"{{"format":"cwlogs-mock-state","version":1,"store":{{"groups":[{{"name":"g","creationTime":1,
        "logGroupClass":"STANDARD","streams":[{{"name":"s","creationTime":1,"id":0,"acceptedPuts":1,
        "events":[{{"timestamp":1,"ingestionTime":1,"message":"m","seq":{}}}]}}]}}]}}}}"#,
        u64::MAX
    );
    std::fs::write(&path, &file).unwrap();
    let err = MockServer::start(config(&path, 10))
        .await
        .expect_err("an out-of-range counter stops the start");
    let message = err.to_string();
    assert!(
        message.contains("seq 18446744073709551615 is out of range")
            && message.contains("log stream \"s\" of log group \"g\""),
        "{message}"
    );
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        file,
        "left untouched"
    );
}

#[tokio::test]
async fn an_unwritable_path_stops_the_start_and_stale_temporaries_are_removed() {
    let dir = TempDir::new("unwritable");
    // A directory that does not exist cannot take the state file: refused at start, not at the
    // first save.
    let missing = dir.0.join("no-such-dir").join("state.json");
    let err = MockServer::start(config(&missing, 10))
        .await
        .expect_err("an unwritable path stops the start");
    assert!(err.to_string().contains("no-such-dir"), "{err}");

    // What a killed save leaves behind is cleaned at the next start.
    let path = dir.file();
    let stale = dir.0.join("state.json.tmp-12345");
    std::fs::write(&stale, b"half a save").unwrap();
    let server = start_server(config(&path, 10)).await;
    assert!(!stale.exists(), "the stale temporary file was removed");
    server.shutdown().await.unwrap();
}
