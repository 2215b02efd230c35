//! The `cwlogs-mock` binary with the issue-5 flags, as CI runs it: start in the background, wait for
//! `/_mock/health`, use it, stop it with SIGTERM (a clean shutdown that saves the state file), and
//! refuse bad flags or a corrupt state file with a clear message.

#![cfg(unix)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use crate::support::*;

use crate::support::binary::{spawn, Running, BIN};

fn temp_path(tag: &str) -> PathBuf {
    std::env::temp_dir().join(format!("cwlogs-mock-bin-{tag}-{}.json", std::process::id()))
}

fn terminate(running: &mut Running) -> std::process::ExitStatus {
    let status = Command::new("kill")
        .args(["-TERM", &running.child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    running.child.wait().expect("the binary exits")
}

async fn wait_healthy(addr: SocketAddr) {
    // Bounded: 100 tries. The endpoint line is printed after the listener is bound, so this
    // normally succeeds at once.
    for _ in 0..100 {
        if http(addr, "GET", "/_mock/health", "").await.status == 200 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("never healthy");
}

#[tokio::test]
async fn sigterm_saves_the_state_file_and_a_restart_loads_it() {
    let path = temp_path("restart");
    let _ = std::fs::remove_file(&path);
    let state = path.to_str().unwrap();
    let flags = [
        "--token-mode",
        "strict",
        "--throttle",
        "legacy",
        "--state-file",
        state,
        "--state-save-interval-ms",
        "3600000",
    ];

    let (mut child, addr) = spawn(&flags);
    wait_healthy(addr).await;
    let endpoint = format!("http://{addr}");
    create_stream_at(&endpoint, "g", "s").await;
    plain_client(&endpoint)
        .put_log_events()
        .log_group_name("g")
        .log_stream_name("s")
        .log_events(event(now_ms(), "kept"))
        .send()
        .await
        .expect("put");
    // The legacy preset is in force: 5 DescribeLogStreams per second.
    let rates = http(addr, "GET", "/_mock/throttle", "").await.json();
    assert_eq!(rates["per_account"]["DescribeLogStreams"], 5.0);
    assert_eq!(rates["put_log_events_per_stream"], 5.0);
    let status = terminate(&mut child);
    assert!(status.success(), "{status:?}");
    assert!(path.exists(), "saved on SIGTERM");

    let (mut child, addr) = spawn(&flags);
    wait_healthy(addr).await;
    assert_eq!(stored_messages(addr, "g", "s").await, ["kept"]);
    let status = terminate(&mut child);
    assert!(status.success(), "{status:?}");
    let _ = std::fs::remove_file(&path);
}

#[tokio::test]
async fn a_fault_preset_flag_sets_the_plan() {
    let (mut child, addr) = spawn(&["--fault-preset", "chaos", "--fault-seed", "5"]);
    wait_healthy(addr).await;
    let plan = http(addr, "GET", "/_mock/faults", "").await.json();
    assert_eq!(plan["seed"], 5);
    assert_eq!(plan["rules"].as_array().unwrap().len(), 6);
    let status = terminate(&mut child);
    assert!(status.success(), "{status:?}");
}

#[test]
fn bad_flags_and_corrupt_state_files_stop_the_start_with_a_clear_message() {
    let out = Command::new(BIN)
        .args(["--port", "0", "--fault-preset", "gentle"])
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("unknown fault preset \"gentle\""),
        "{stderr}"
    );

    let out = Command::new(BIN)
        .args(["--port", "0", "--throttle", "fast"])
        .output()
        .expect("runs");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("aws, legacy, off"));

    let path = temp_path("corrupt");
    std::fs::write(&path, "not json").unwrap();
    let out = Command::new(BIN)
        .args(["--port", "0", "--state-file", path.to_str().unwrap()])
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("corrupt"), "{stderr}");
    assert!(stderr.contains(&path.display().to_string()), "{stderr}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "not json");
    let _ = std::fs::remove_file(&path);
}
