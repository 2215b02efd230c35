//! Tier 3 of the property & chaos suite: the mock's token semantics conform to a reference model.
//!
//! A small model of CloudWatch Logs, written from CLOUDWATCH.md (§2 operations, §3 sequence
//! tokens, §4 validation), runs in lockstep with `mock_server::State::decide` on generated request
//! sequences, in both token modes, on a virtual clock. After every request the two answers must
//! agree: success or error type, `expectedSequenceToken`, `rejectedLogEventsInfo`, the error texts
//! CLOUDWATCH.md quotes, and tokens up to a consistent one-to-one renaming; at the end every
//! stream's events are read back from both. A failing case prints the run's seed and the shrunk
//! sequence as a transcript, one line per request with both answers.
//!
//! Case count: `CWLOGS_TIER3_CASES` per token mode (default [`DEFAULT_CASES`]); run seed:
//! `CWLOGS_TIER3_SEED` (64 hex digits; fresh by default). Failing seeds are kept in
//! `tests/proptest-regressions/model_conformance_<mode>.txt` and replayed first.
//!
//! The deterministic tests below pin the token rules writers depend on most, each also run
//! through the lockstep so the model agrees with them.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;

use proptest::test_runner::{
    Config as RunnerConfig, FileFailurePersistence, RngAlgorithm, TestCaseError, TestError,
    TestRng, TestRunner,
};
use serde_json::Value;

use crate::model::answer::{Answer, Tok};
use crate::model::gen::steps;
use crate::model::lockstep::{Exchange, Lockstep, START_MS};
use crate::model::request::{InputEvent, Request, SentToken};
use crate::model::service::Tokens;

/// Cases per token mode when `CWLOGS_TIER3_CASES` is not set: the whole target took 8–12 s in a
/// debug build on the shared 2-core development machine (load average near 7); a case costs about
/// 10 ms of CPU (about 6 s of CPU for the target), so an idle machine runs it in about 4 s.
const DEFAULT_CASES: u32 = 300;
/// Most generated steps per case (plus three setup steps and the final read-back).
const MAX_STEPS: usize = 40;

fn cases() -> u32 {
    std::env::var("CWLOGS_TIER3_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_CASES)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The run's seed: `CWLOGS_TIER3_SEED` when set (a malformed one is a test setup error), else
/// fresh from the process's hash keys.
fn run_seed() -> [u8; 32] {
    let mut seed = [0u8; 32];
    match std::env::var("CWLOGS_TIER3_SEED") {
        Ok(text) => {
            let digits = text.trim();
            assert!(
                digits.len() == 64 && digits.is_ascii(),
                "CWLOGS_TIER3_SEED must be 64 hex digits"
            );
            for (i, byte) in seed.iter_mut().enumerate() {
                *byte = u8::from_str_radix(&digits[2 * i..2 * i + 2], 16)
                    .expect("CWLOGS_TIER3_SEED must be 64 hex digits");
            }
        }
        Err(_) => {
            let keys = RandomState::new();
            for (i, chunk) in seed.chunks_mut(8).enumerate() {
                chunk.copy_from_slice(&keys.hash_one(i).to_le_bytes());
            }
        }
    }
    seed
}

fn conformance(mode: Tokens) {
    let seed = run_seed();
    let persistence = match mode {
        Tokens::Strict => "proptest-regressions/model_conformance_strict.txt",
        Tokens::Current => "proptest-regressions/model_conformance_current.txt",
    };
    let config = RunnerConfig {
        cases: cases(),
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(persistence))),
        source_file: Some(file!()),
        ..RunnerConfig::default()
    };
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &seed));
    let result = runner.run(&steps(MAX_STEPS), |steps| {
        let mut lockstep = Lockstep::new(mode);
        let outcome = steps
            .iter()
            .try_for_each(|s| lockstep.step(s))
            .and_then(|()| lockstep.sweep());
        outcome.map_err(|why| {
            TestCaseError::fail(format!(
                "{why}\ntranscript ({mode:?} tokens; times relative to each request's now):\n{}",
                lockstep.transcript()
            ))
        })
    });
    match result {
        Ok(()) => {}
        Err(TestError::Fail(why, steps)) => panic!(
            "the model and the mock disagree ({mode:?} tokens). Run seed {s} \
             (CWLOGS_TIER3_SEED={s} reruns it); shrunk to {} steps:\n{why}",
            steps.len(),
            s = hex(&seed)
        ),
        Err(TestError::Abort(why)) => panic!(
            "the run stopped ({mode:?} tokens, run seed {}): {why}",
            hex(&seed)
        ),
    }
}

#[test]
fn generated_sequences_conform_under_strict_tokens() {
    conformance(Tokens::Strict);
}

#[test]
fn generated_sequences_conform_under_current_tokens() {
    conformance(Tokens::Current);
}

// ---- deterministic token rules ----

const GROUP: &str = "app";
const STREAM: &str = "web-1";

/// Sends through the lockstep; a disagreement fails the test with the transcript.
fn send(lockstep: &mut Lockstep, request: Request) -> Exchange {
    lockstep
        .send(request)
        .unwrap_or_else(|why| panic!("{why}\ntranscript:\n{}", lockstep.transcript()))
}

/// A service in `mode` with `app/web-1` created.
fn with_stream(mode: Tokens) -> Lockstep {
    let mut lockstep = Lockstep::new(mode);
    send(
        &mut lockstep,
        Request::CreateLogGroup {
            group: GROUP.into(),
        },
    );
    send(&mut lockstep, create_stream());
    lockstep
}

fn create_stream() -> Request {
    Request::CreateLogStream {
        group: GROUP.into(),
        stream: STREAM.into(),
    }
}

/// A put of `messages` to `app/web-1`, all stamped `timestamp`.
fn put_at(timestamp: i64, token: SentToken, messages: &[&str]) -> Request {
    Request::PutLogEvents {
        group: GROUP.into(),
        stream: STREAM.into(),
        token,
        events: messages
            .iter()
            .map(|m| InputEvent {
                timestamp,
                message: (*m).to_owned(),
            })
            .collect(),
    }
}

/// A put of `messages` at the start time; the deterministic tests never move the clock.
fn put(token: SentToken, messages: &[&str]) -> Request {
    put_at(START_MS, token, messages)
}

fn body(exchange: &Exchange) -> Value {
    serde_json::from_str(&exchange.mock.body).expect("the mock answers JSON")
}

/// The model's `nextSequenceToken` of a successful put.
fn next_token(exchange: &Exchange) -> Tok {
    match &exchange.model {
        Answer::Put { next: Some(t), .. } => *t,
        other => panic!("expected a put with a token, got {other}"),
    }
}

fn error_type(exchange: &Exchange) -> Option<&str> {
    exchange.mock.error_type
}

fn stored_messages(lockstep: &mut Lockstep) -> Vec<String> {
    let read = send(
        lockstep,
        Request::GetLogEvents {
            group: GROUP.into(),
            stream: STREAM.into(),
        },
    );
    body(&read)["events"]
        .as_array()
        .expect("events is a list")
        .iter()
        .map(|e| e["message"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn strict_first_put_to_a_new_stream_needs_no_token() {
    let mut lockstep = with_stream(Tokens::Strict);

    let first = send(&mut lockstep, put(SentToken::Absent, &["hello"]));

    assert_eq!(first.mock.status, 200);
    let token = body(&first)["nextSequenceToken"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(token.len(), 56, "AWS's 56-digit form (§3.1): {token}");
    assert!(token.starts_with("49") && token.bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(
        lockstep.mock_token(next_token(&first)),
        Some(token.as_str())
    );
}

#[test]
fn strict_token_sent_to_a_stream_expecting_none_is_refused_with_null() {
    let mut lockstep = with_stream(Tokens::Strict);

    let refused = send(
        &mut lockstep,
        put(SentToken::Garbage("garbage"), &["hello"]),
    );

    assert_eq!(error_type(&refused), Some("InvalidSequenceTokenException"));
    let body = body(&refused);
    assert!(body["message"]
        .as_str()
        .unwrap_or_default()
        .ends_with("is: null"));
    assert!(body.get("expectedSequenceToken").is_none());
}

#[test]
fn strict_invalid_sequence_token_carries_the_expected_token() {
    let mut lockstep = with_stream(Tokens::Strict);
    let first = send(&mut lockstep, put(SentToken::Absent, &["one"]));
    let expected = next_token(&first);
    let expected_text = lockstep.mock_token(expected).unwrap_or_default().to_owned();

    for wrong in [SentToken::Absent, SentToken::Garbage("garbage")] {
        let refused = send(&mut lockstep, put(wrong, &["two"]));

        assert_eq!(error_type(&refused), Some("InvalidSequenceTokenException"));
        let body = body(&refused);
        assert_eq!(body["expectedSequenceToken"], expected_text.as_str());
        assert!(body["message"]
            .as_str()
            .unwrap_or_default()
            .ends_with(&expected_text));
    }
    let copied = send(&mut lockstep, put(SentToken::Issued(expected), &["two"]));
    assert_eq!(copied.mock.status, 200);
    assert_eq!(stored_messages(&mut lockstep), ["one", "two"]);
}

#[test]
fn strict_same_batch_again_with_its_old_token_is_data_already_accepted() {
    let mut lockstep = with_stream(Tokens::Strict);
    let first = send(&mut lockstep, put(SentToken::Absent, &["x"]));
    let t1 = next_token(&first);
    let second = send(&mut lockstep, put(SentToken::Issued(t1), &["y", "z"]));
    let t2 = next_token(&second);
    let t2_text = lockstep.mock_token(t2).unwrap_or_default().to_owned();

    // A lost answer: the writer resends with the token it used (timestamps may differ, §3.1).
    let later = START_MS + 5;
    let resent = send(
        &mut lockstep,
        put_at(later, SentToken::Issued(t1), &["y", "z"]),
    );

    assert_eq!(error_type(&resent), Some("DataAlreadyAcceptedException"));
    assert_eq!(body(&resent)["expectedSequenceToken"], t2_text.as_str());
    assert_eq!(stored_messages(&mut lockstep), ["x", "y", "z"]);
    // The same token with other messages is a plain token error (§3.1).
    let other = send(&mut lockstep, put(SentToken::Issued(t1), &["w"]));
    assert_eq!(error_type(&other), Some("InvalidSequenceTokenException"));
    assert_eq!(body(&other)["expectedSequenceToken"], t2_text.as_str());
    let next = send(&mut lockstep, put(SentToken::Issued(t2), &["w"]));
    assert_eq!(next.mock.status, 200);
}

#[test]
fn current_mode_ignores_tokens_and_stores_a_resend_twice() {
    let mut lockstep = with_stream(Tokens::Current);
    let first = send(&mut lockstep, put(SentToken::Absent, &["a"]));
    let t1 = next_token(&first);

    let mut mock_tokens = Vec::new();
    for token in [
        SentToken::Absent,
        SentToken::Garbage("garbage"),
        SentToken::Garbage(""),
        SentToken::Issued(t1),
        SentToken::Issued(t1),
    ] {
        let accepted = send(&mut lockstep, put(token, &["b"]));
        assert_eq!(accepted.mock.status, 200, "{}", accepted.mock.body);
        mock_tokens.push(body(&accepted)["nextSequenceToken"].clone());
    }

    mock_tokens.dedup();
    assert_eq!(
        mock_tokens.len(),
        5,
        "a new token after every put: {mock_tokens:?}"
    );
    assert_eq!(
        stored_messages(&mut lockstep),
        ["a", "b", "b", "b", "b", "b"]
    );
}

#[test]
fn strict_deleted_and_recreated_stream_starts_over() {
    let mut lockstep = with_stream(Tokens::Strict);
    let first = send(&mut lockstep, put(SentToken::Absent, &["old"]));
    let old = next_token(&first);
    let old_text = lockstep.mock_token(old).unwrap_or_default().to_owned();
    send(
        &mut lockstep,
        Request::DeleteLogStream {
            group: GROUP.into(),
            stream: STREAM.into(),
        },
    );
    send(&mut lockstep, create_stream());

    let stale = send(&mut lockstep, put(SentToken::Issued(old), &["new"]));
    let fresh = send(&mut lockstep, put(SentToken::Absent, &["new"]));

    assert_eq!(error_type(&stale), Some("InvalidSequenceTokenException"));
    assert!(body(&stale)["message"]
        .as_str()
        .unwrap_or_default()
        .ends_with("is: null"));
    assert_eq!(fresh.mock.status, 200);
    assert_ne!(body(&fresh)["nextSequenceToken"], old_text.as_str());
    assert_eq!(stored_messages(&mut lockstep), ["new"]);
}

#[test]
fn strict_batch_with_every_event_dropped_hands_out_no_token() {
    let mut lockstep = with_stream(Tokens::Strict);
    let fifteen_days = 15 * 24 * 60 * 60 * 1000;

    let dropped = send(
        &mut lockstep,
        put_at(START_MS - fifteen_days, SentToken::Absent, &["stale"]),
    );

    assert_eq!(dropped.mock.status, 200);
    let body = body(&dropped);
    assert!(body.get("nextSequenceToken").is_none(), "§3.1: {body}");
    assert_eq!(body["rejectedLogEventsInfo"]["tooOldLogEventEndIndex"], 1);
    // The token did not move: the next put still needs none.
    let next = send(&mut lockstep, put(SentToken::Absent, &["fresh"]));
    assert_eq!(next.mock.status, 200);
}
