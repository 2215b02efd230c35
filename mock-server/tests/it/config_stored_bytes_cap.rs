//! `--max-stored-bytes` / `limits.max_stored_bytes`: on by default (1 GiB of message bytes), so a
//! runaway test cannot fill a CI machine's memory, and turned off explicitly with `0` or `none`.

use mock_server::ApiRequest;
use mock_server::DEFAULT_MAX_STORED_BYTES;
use mock_server::{Config, State};
use serde_json::json;

const NOW: i64 = 1_700_000_000_000;

fn call(state: &State, operation: &str, body: serde_json::Value) -> mock_server::ApiResponse {
    state.decide(&ApiRequest::json(operation, body), NOW)
}

fn put(state: &State, message: &str) -> mock_server::ApiResponse {
    call(
        state,
        "PutLogEvents",
        json!({"logGroupName": "g", "logStreamName": "s",
               "logEvents": [{"timestamp": NOW, "message": message}]}),
    )
}

fn state_with_stream(config: Config) -> State {
    let state = State::new(config);
    call(&state, "CreateLogGroup", json!({"logGroupName": "g"}));
    call(
        &state,
        "CreateLogStream",
        json!({"logGroupName": "g", "logStreamName": "s"}),
    );
    state
}

#[test]
fn the_default_config_caps_the_store_at_one_gib_of_messages() {
    assert_eq!(DEFAULT_MAX_STORED_BYTES, 1 << 30);
    let state = state_with_stream(Config::default());
    // Stands in for 1 GiB minus 10 bytes of messages already stored (storing them for real would
    // make this test allocate a gigabyte).
    assert!(state
        .store
        .reserve_bytes(DEFAULT_MAX_STORED_BYTES - 10, None));

    assert_eq!(put(&state, "0123456789").status, 200, "up to the cap fits");
    let refused = put(&state, "x");
    assert_eq!(refused.status, 400);
    assert_eq!(
        refused.error_type,
        Some("ServiceQuotaExceededException"),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("1073741824"), "{}", refused.body);
    assert!(
        refused.body.contains("--max-stored-bytes"),
        "{}",
        refused.body
    );
    assert_eq!(state.store.total_stored_bytes(), DEFAULT_MAX_STORED_BYTES);
}

#[test]
fn zero_or_none_in_a_config_file_turns_the_cap_off() {
    let toml = |value: &str| {
        Config::from_toml(&format!("[limits]\nmax_stored_bytes = {value}\n"))
            .map(|c| c.limits.max_stored_bytes)
    };
    assert_eq!(toml("0"), Ok(None));
    assert_eq!(toml("\"none\""), Ok(None));
    assert_eq!(toml("5000"), Ok(Some(5000)));
    let json = |value: &str| {
        Config::from_json(&format!(r#"{{"limits":{{"max_stored_bytes":{value}}}}}"#))
            .map(|c| c.limits.max_stored_bytes)
    };
    assert_eq!(json("0"), Ok(None));
    assert_eq!(json("null"), Ok(None));
    assert_eq!(json("\"none\""), Ok(None));
    assert_eq!(json("5000"), Ok(Some(5000)));
    assert_eq!(
        Config::from_toml("").unwrap().limits.max_stored_bytes,
        Some(DEFAULT_MAX_STORED_BYTES)
    );

    let bad = toml("\"lots\"").unwrap_err();
    assert!(bad.contains("max_stored_bytes"), "{bad}");
    assert!(bad.contains("none"), "{bad}");
    assert!(toml("-1").is_err());
}

#[test]
fn without_a_cap_the_store_takes_more_than_the_default() {
    let mut config = Config::default();
    config.limits.max_stored_bytes = None;
    let state = state_with_stream(config);
    assert!(state.store.reserve_bytes(DEFAULT_MAX_STORED_BYTES, None));
    assert_eq!(put(&state, "past the default").status, 200);
}

#[test]
fn a_config_written_out_reads_back_the_same() {
    for cap in [None, Some(123), Some(DEFAULT_MAX_STORED_BYTES)] {
        let mut config = Config::default();
        config.limits.max_stored_bytes = cap;
        let text = toml::to_string(&config).expect("serialises");
        assert_eq!(Config::from_toml(&text).unwrap(), config, "{text}");
        let text = serde_json::to_string(&config).expect("serialises");
        assert_eq!(Config::from_json(&text).unwrap(), config, "{text}");
    }
}

#[cfg(feature = "cli")] // The binary exists only with the `cli` feature.
#[test]
fn the_flag_documents_its_default_and_refuses_nonsense() {
    use std::process::Command;
    let help = Command::new(env!("CARGO_BIN_EXE_cwlogs-mock"))
        .arg("--help")
        .output()
        .expect("runs");
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains("--max-stored-bytes"), "{help}");
    assert!(help.contains("1073741824"), "{help}");
    assert!(help.contains("none"), "{help}");

    let bad = Command::new(env!("CARGO_BIN_EXE_cwlogs-mock"))
        .args(["--max-stored-bytes", "lots"])
        .output()
        .expect("runs");
    assert!(!bad.status.success());
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(stderr.contains("--max-stored-bytes"), "{stderr}");
    assert!(stderr.contains("none"), "{stderr}");
}
