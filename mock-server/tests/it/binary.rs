//! The `cwlogs-mock` binary: prints its endpoint first, takes flags and a config file, and stops
//! cleanly on SIGTERM.

use crate::support::api_call;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

struct Running {
    child: Child,
    first_line: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(args: &[&str]) -> Running {
    spawn_with(args, &[], Stdio::null())
}

/// Starts the binary with `args`, extra environment variables and `stderr`, and reads the first
/// line of its stdout.
fn spawn_with(args: &[&str], env: &[(&str, &str)], stderr: Stdio) -> Running {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cwlogs-mock"))
        .args(args)
        .envs(env.iter().copied())
        .env_remove("NO_COLOR")
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .expect("binary starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut first_line = String::new();
    BufReader::new(stdout)
        .read_line(&mut first_line)
        .expect("first line");
    Running { child, first_line }
}

fn endpoint_addr(first_line: &str) -> std::net::SocketAddr {
    let url = first_line
        .strip_prefix("cwlogs-mock listening on http://")
        .and_then(|rest| rest.split(' ').next())
        .unwrap_or_else(|| panic!("unexpected first line {first_line:?}"));
    url.parse().expect("host:port")
}

#[tokio::test]
async fn prints_the_endpoint_serves_and_stops_on_sigterm() {
    let mut run = spawn(&[
        "--port",
        "0",
        "--token-mode",
        "strict",
        "--region",
        "ca-central-1",
    ]);
    assert!(
        run.first_line.contains("token mode Strict"),
        "{}",
        run.first_line
    );
    let addr = endpoint_addr(&run.first_line);
    assert!(addr.ip().is_loopback());

    // Unsigned requests use the configured region in ARNs.
    crate::support::raw_http(
        addr,
        "POST",
        "/",
        &[("X-Amz-Target", "Logs_20140328.CreateLogGroup")],
        br#"{"logGroupName":"g"}"#,
    )
    .await
    .unwrap();
    let r = crate::support::raw_http(
        addr,
        "POST",
        "/",
        &[("X-Amz-Target", "Logs_20140328.DescribeLogGroups")],
        b"{}",
    )
    .await
    .unwrap();
    assert_eq!(
        r.json()["logGroups"][0]["logGroupArn"],
        "arn:aws:logs:ca-central-1:123456789012:log-group:g"
    );

    terminate(&mut run);
}

/// Sends SIGTERM and waits for a clean exit.
fn terminate(run: &mut Running) {
    let pid = run.child.id().to_string();
    let status = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let exit = run.child.wait().expect("exits");
    assert!(exit.success(), "clean exit on SIGTERM: {exit:?}");
}

#[tokio::test]
async fn with_no_flags_nothing_is_throttled() {
    // The `aws` preset gives DescribeLogGroups and FilterLogEvents a bucket of 5 a second: 40 calls
    // back to back would see ThrottlingException under it, and must all pass by default.
    let run = spawn(&["--port", "0"]);
    let addr = endpoint_addr(&run.first_line);
    assert_eq!(
        api_call(addr, "CreateLogGroup", r#"{"logGroupName":"g"}"#)
            .await
            .status,
        200
    );
    for _ in 0..40 {
        assert_eq!(api_call(addr, "DescribeLogGroups", "{}").await.status, 200);
        assert_eq!(
            api_call(addr, "FilterLogEvents", r#"{"logGroupName":"g"}"#)
                .await
                .status,
            200
        );
    }
    let throttle = crate::support::raw_http(addr, "GET", "/_mock/throttle", &[], b"")
        .await
        .expect("an answer");
    assert_eq!(throttle.json()["per_account"], serde_json::json!({}));
    let faults = crate::support::raw_http(addr, "GET", "/_mock/faults", &[], b"")
        .await
        .expect("an answer");
    assert_eq!(
        faults.json()["rules"],
        serde_json::json!([]),
        "{}",
        faults.body
    );
}

#[tokio::test]
async fn text_logs_carry_no_colour_codes_when_stderr_is_not_a_terminal() {
    let mut run = spawn_with(&["--port", "0"], &[("RUST_LOG", "debug")], Stdio::piped());
    let addr = endpoint_addr(&run.first_line);
    assert_eq!(api_call(addr, "DescribeLogGroups", "{}").await.status, 200);
    let mut stderr = run.child.stderr.take().expect("stderr");
    terminate(&mut run);
    let mut logs = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut logs).expect("stderr is UTF-8");
    assert!(logs.contains("answered"), "the request was logged: {logs}");
    assert!(
        !logs.contains('\u{1b}'),
        "no escape codes in piped logs: {logs:?}"
    );
}

#[tokio::test]
async fn reads_a_config_file_and_flags_override_it() {
    let dir = std::env::temp_dir().join(format!("cwlogs-mock-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("mock.toml");
    std::fs::write(
        &path,
        "account_id = \"000011112222\"\nregion = \"eu-north-1\"\n[throttle]\npreset = \"off\"\n",
    )
    .unwrap();
    let run = spawn(&[
        "--port",
        "0",
        "--config",
        path.to_str().unwrap(),
        "--region",
        "sa-east-1",
    ]);
    let addr = endpoint_addr(&run.first_line);
    crate::support::raw_http(
        addr,
        "POST",
        "/",
        &[("X-Amz-Target", "Logs_20140328.CreateLogGroup")],
        br#"{"logGroupName":"g"}"#,
    )
    .await
    .unwrap();
    let r = crate::support::raw_http(
        addr,
        "POST",
        "/",
        &[("X-Amz-Target", "Logs_20140328.DescribeLogGroups")],
        b"{}",
    )
    .await
    .unwrap();
    assert_eq!(
        r.json()["logGroups"][0]["logGroupArn"],
        "arn:aws:logs:sa-east-1:000011112222:log-group:g"
    );
    drop(run);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_bad_config_file_is_refused_with_a_message() {
    let out = Command::new(env!("CARGO_BIN_EXE_cwlogs-mock"))
        .args(["--config", "/nonexistent/cwlogs-mock.toml"])
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot read config file"), "{stderr}");
}
