//! Nothing on the request path panics: random and mutated bodies and targets always get a
//! well-formed AWS answer (success JSON, or an error with `__type` first and `message` last), and
//! mutated raw HTTP (request line, headers, admin paths) never gets a 5xx or takes the server down.
//!
//! This is the request path's fuzz target on the stable toolchain: `just soak` runs it with
//! `CWLOGS_FUZZ_CASES` (default here 512) cases, and every input that ever failed is kept in
//! `mock-server/proptest-regressions/request_path_fuzz.txt` and replayed first.

use std::sync::OnceLock;

use mock_server::{ApiRequest, ApiResponse};
use mock_server::{Config, Operation, State, TokenMode};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use serde_json::{json, Value};

/// Where failing inputs are kept (relative to the package, where cargo runs the tests).
const REGRESSIONS: &str = "proptest-regressions/request_path_fuzz.txt";

/// Cases per property: `CWLOGS_FUZZ_CASES` (what `just soak` raises), or `default`.
fn cases(default: u32) -> u32 {
    std::env::var("CWLOGS_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn fuzz_config(default_cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases: cases(default_cases),
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(REGRESSIONS))),
        ..ProptestConfig::default()
    }
}

const NOW: i64 = 1_700_000_000_000;

/// The names of the operations the mock decides (the rest of the catalogue only says so).
fn implemented() -> Vec<&'static str> {
    Operation::ALL
        .into_iter()
        .filter(|op| State::implements(*op))
        .map(Operation::name)
        .collect()
}

fn template(op: &str) -> Value {
    let events =
        json!([{"timestamp": NOW, "message": "a"}, {"timestamp": NOW + 1, "message": "b"}]);
    match op {
        "PutLogEvents" => {
            json!({"logGroupName": "g", "logStreamName": "s", "logEvents": events, "sequenceToken": "49"})
        }
        "GetLogEvents" => {
            json!({"logGroupName": "g", "logStreamName": "s", "startFromHead": true, "limit": 5, "nextToken": "f/1/s"})
        }
        "FilterLogEvents" => {
            json!({"logGroupName": "g", "logStreamNames": ["s"], "filterPattern": "{ $.a = 1 }", "limit": 5, "startTime": 0, "endTime": NOW})
        }
        "DescribeLogStreams" => {
            json!({"logGroupName": "g", "orderBy": "LastEventTime", "descending": true, "limit": 5})
        }
        "DescribeLogGroups" => {
            json!({"logGroupNamePrefix": "g", "limit": 5, "nextToken": "dlg/67"})
        }
        "PutRetentionPolicy" => json!({"logGroupName": "g", "retentionInDays": 7}),
        "TagResource" | "UntagResource" | "ListTagsForResource" => {
            json!({"resourceArn": "arn:aws:logs:us-east-1:123456789012:log-group:g", "tags": {"k": "v"}, "tagKeys": ["k"]})
        }
        "TagLogGroup" | "UntagLogGroup" => json!({"logGroupName": "g", "tags": {"k": "v"}}),
        _ => json!({"logGroupName": "g", "logStreamName": "s"}),
    }
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        ".{0,20}".prop_map(Value::from),
        Just(Value::from("")),
        Just(Value::from(
            "f/37000000000000000000000000000000000000000000000000000001/s"
        )),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-zA-Z]{1,12}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

#[derive(Debug, Clone)]
enum Mutation {
    Replace(usize, Value),
    Remove(usize),
    Add(String, Value),
    ReplaceEventField(usize, Value),
    Truncate(usize),
    FlipByte(usize, u8),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), json_value()).prop_map(|(i, v)| Mutation::Replace(i, v)),
        any::<usize>().prop_map(Mutation::Remove),
        ("[a-zA-Z]{1,12}", json_value()).prop_map(|(k, v)| Mutation::Add(k, v)),
        (any::<usize>(), json_value()).prop_map(|(i, v)| Mutation::ReplaceEventField(i, v)),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::FlipByte(i, b)),
    ]
}

fn mutate(op: &str, mutations: &[Mutation]) -> Vec<u8> {
    let mut value = template(op);
    let mut bytes_ops = Vec::new();
    for m in mutations {
        let Some(obj) = value.as_object_mut() else {
            break;
        };
        let keys: Vec<String> = obj.keys().cloned().collect();
        match m {
            Mutation::Replace(i, v) if !keys.is_empty() => {
                obj.insert(keys[i % keys.len()].clone(), v.clone());
            }
            Mutation::Remove(i) if !keys.is_empty() => {
                obj.remove(&keys[i % keys.len()]);
            }
            Mutation::Add(k, v) => {
                obj.insert(k.clone(), v.clone());
            }
            Mutation::ReplaceEventField(i, v) => {
                if let Some(Value::Array(events)) = obj.get_mut("logEvents") {
                    if let Some(Value::Object(e)) = events.get_mut(i % 2) {
                        let field = if i % 4 < 2 { "timestamp" } else { "message" };
                        e.insert(field.into(), v.clone());
                    }
                }
            }
            other => bytes_ops.push(other.clone()),
        }
    }
    let mut bytes = value.to_string().into_bytes();
    for m in bytes_ops {
        match m {
            Mutation::Truncate(n) if !bytes.is_empty() => bytes.truncate(n % bytes.len()),
            Mutation::FlipByte(i, b) if !bytes.is_empty() => {
                let at = i % bytes.len();
                bytes[at] = b;
            }
            _ => {}
        }
    }
    bytes
}

fn target() -> impl Strategy<Value = Option<String>> {
    target_with(".{0,30}")
}

/// Targets that are legal HTTP header values (what can reach the server over a socket at all:
/// hyper refuses control characters before any service sees the request).
fn header_target() -> impl Strategy<Value = Option<String>> {
    target_with("[!-~][ -~]{0,28}[!-~]")
}

fn target_with(random: &'static str) -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        6 => prop::sample::select(implemented()).prop_map(|op| Some(format!("Logs_20140328.{op}"))),
        1 => Just(None),
        1 => random.prop_map(Some),
        1 => "[A-Za-z]{0,20}".prop_map(|op| Some(format!("Logs_20140328.{op}"))),
    ]
}

/// Checks that an answer is what an AWS SDK can parse.
fn assert_well_formed(resp: &ApiResponse) {
    assert!(
        matches!(resp.status, 200 | 400 | 413 | 503),
        "status {}",
        resp.status
    );
    let value: Value = serde_json::from_str(&resp.body).expect("body is JSON");
    let obj = value.as_object().expect("body is an object");
    match resp.error_type {
        None => {
            assert_eq!(resp.status, 200);
            assert!(!obj.contains_key("__type"));
        }
        Some(t) => {
            assert_ne!(resp.status, 200);
            assert!(
                resp.body.starts_with(&format!("{{\"__type\":\"{t}\"")),
                "{}",
                resp.body
            );
            assert!(!t.contains('#') && !t.is_empty());
            if obj.contains_key("message") {
                let message_at = resp.body.rfind("\"message\":").unwrap();
                // `message` is the last member: nothing but its string value follows.
                let rest: Value =
                    serde_json::from_str(&resp.body[message_at + 10..resp.body.len() - 1])
                        .expect("message is the last member");
                assert!(rest.is_string());
            }
        }
    }
}

fn state(mode: TokenMode) -> &'static State {
    static CURRENT: OnceLock<State> = OnceLock::new();
    static STRICT: OnceLock<State> = OnceLock::new();
    let cell = if mode == TokenMode::Strict {
        &STRICT
    } else {
        &CURRENT
    };
    cell.get_or_init(|| {
        let s = State::new(Config {
            token_mode: mode,
            ..Config::default()
        });
        s.decide(
            &ApiRequest::json("CreateLogGroup", json!({"logGroupName": "g"})),
            NOW,
        );
        s.decide(
            &ApiRequest::json(
                "CreateLogStream",
                json!({"logGroupName": "g", "logStreamName": "s"}),
            ),
            NOW,
        );
        s
    })
}

proptest! {
    #![proptest_config(fuzz_config(512))]

    #[test]
    fn mutated_bodies_get_well_formed_answers(
        target in target(),
        op in prop::sample::select(implemented()),
        mutations in prop::collection::vec(mutation(), 0..4),
        strict in any::<bool>(),
    ) {
        let body = mutate(op, &mutations);
        let req = ApiRequest::new(target.as_deref(), None, &body);
        let mode = if strict { TokenMode::Strict } else { TokenMode::Current };
        assert_well_formed(&state(mode).decide(&req, NOW));
    }

    #[test]
    fn random_bytes_get_well_formed_answers(
        target in target(),
        body in prop::collection::vec(any::<u8>(), 0..200),
        auth in proptest::option::of(".{0,80}"),
    ) {
        let req = ApiRequest::new(target.as_deref(), auth.as_deref(), &body);
        assert_well_formed(&state(TokenMode::Current).decide(&req, NOW));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(480) / 10, ..fuzz_config(48) })]

    /// The same over loopback HTTP, through hyper and the pipeline.
    #[test]
    fn over_http_every_answer_is_well_formed(
        target in header_target(),
        op in prop::sample::select(implemented()),
        mutations in prop::collection::vec(mutation(), 0..4),
    ) {
        let (rt, addr) = shared_server();
        let body = mutate(op, &mutations);
        let resp = rt.block_on(async {
            let mut headers = vec![("Content-Type", "application/x-amz-json-1.1")];
            if let Some(t) = target.as_deref() {
                headers.push(("X-Amz-Target", t));
            }
            crate::support::raw_http(addr, "POST", "/", &headers, &body).await
        }).expect("an answer, not a closed connection");
        let api = ApiResponse {
            status: resp.status,
            error_type: resp.header("x-amzn-errortype").map(|t| &*Box::leak(t.to_owned().into_boxed_str())),
            body: resp.body.clone(),
            headers: Vec::new(),
        };
        prop_assert_eq!(resp.header("content-type"), Some("application/x-amz-json-1.1"));
        prop_assert!(resp.header("x-amzn-requestid").is_some());
        assert_well_formed(&api);
    }
}

/// A server shared by the over-HTTP properties, on a runtime of its own.
fn shared_server() -> (&'static tokio::runtime::Runtime, std::net::SocketAddr) {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    static SERVER: OnceLock<mock_server::MockServer> = OnceLock::new();
    let rt = RT.get_or_init(|| tokio::runtime::Runtime::new().expect("runtime"));
    let server = SERVER.get_or_init(|| {
        rt.block_on(async {
            let mut config = Config::default();
            config.throttle.preset = mock_server::ThrottlePreset::Off;
            mock_server::MockServer::start(config)
                .await
                .expect("server")
        })
    });
    (rt, server.local_addr())
}

/// Requests a raw-HTTP case starts from: an API call, an admin call, a drop-in call.
fn request_template(which: usize, addr: std::net::SocketAddr) -> Vec<u8> {
    let put = format!(
        r#"{{"logGroupName":"g","logStreamName":"s","logEvents":[{{"timestamp":{NOW},"message":"m"}}]}}"#
    );
    let (head, body) = match which % 4 {
        0 => (
            "POST / HTTP/1.1\r\nX-Amz-Target: Logs_20140328.PutLogEvents\r\nContent-Type: application/x-amz-json-1.1\r\n".to_owned(),
            put,
        ),
        1 => (
            "PUT /_mock/faults HTTP/1.1\r\nContent-Type: application/json\r\nOrigin: http://localhost:3000\r\n".to_owned(),
            r#"{"seed":1,"rules":[]}"#.to_owned(),
        ),
        2 => (
            "GET /_mock/events?logGroupName=g&logStreamName=s HTTP/1.1\r\n".to_owned(),
            String::new(),
        ),
        _ => ("POST /moto-api/reset HTTP/1.1\r\n".to_owned(), String::new()),
    };
    format!(
        "{head}Host: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

#[derive(Debug, Clone)]
enum ByteEdit {
    Flip(usize, u8),
    Insert(usize, Vec<u8>),
    Delete(usize, usize),
    Truncate(usize),
}

fn byte_edit() -> impl Strategy<Value = ByteEdit> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| ByteEdit::Flip(i, b)),
        (
            any::<usize>(),
            prop_oneof![
                prop::collection::vec(any::<u8>(), 1..16),
                Just(b"\r\n".to_vec()),
                Just(b"Host: evil.example\r\n".to_vec()),
                Just(b"Content-Length: 99999999999\r\n".to_vec()),
                Just(b"Transfer-Encoding: chunked\r\n".to_vec()),
                Just(b"Origin: null\r\n".to_vec()),
            ]
        )
            .prop_map(|(i, b)| ByteEdit::Insert(i, b)),
        (any::<usize>(), 1usize..32).prop_map(|(i, n)| ByteEdit::Delete(i, n)),
        any::<usize>().prop_map(ByteEdit::Truncate),
    ]
}

fn edit(mut bytes: Vec<u8>, edits: &[ByteEdit]) -> Vec<u8> {
    for e in edits {
        if bytes.is_empty() {
            break;
        }
        let at = |i: &usize| i % bytes.len();
        match e {
            ByteEdit::Flip(i, b) => {
                let i = at(i);
                bytes[i] = *b;
            }
            ByteEdit::Insert(i, more) => {
                let i = at(i);
                bytes.splice(i..i, more.iter().copied());
            }
            ByteEdit::Delete(i, n) => {
                let i = at(i);
                let end = (i + n).min(bytes.len());
                bytes.drain(i..end);
            }
            ByteEdit::Truncate(n) => {
                let n = at(n);
                bytes.truncate(n);
            }
        }
    }
    bytes
}

/// Sends `bytes`, ends the write side (so no read waits on a body that never comes), and reads
/// whatever comes back: the status line's code, or `None` when the server closed without one.
async fn send_raw(addr: std::net::SocketAddr, bytes: &[u8]) -> Option<u16> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let _ = stream.write_all(bytes).await;
    let _ = stream.shutdown().await;
    let mut answer = Vec::new();
    let read = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        stream.read_to_end(&mut answer),
    )
    .await;
    assert!(read.is_ok(), "no answer and no close within 10 s");
    let text = String::from_utf8_lossy(&answer);
    let status = text.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok();
    assert!(status.is_some(), "not an HTTP answer: {text:?}");
    status
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(1_280) / 10, ..fuzz_config(128) })]

    /// Mutated raw requests (API, admin and drop-in paths) never get a 5xx, and the server keeps
    /// answering.
    #[test]
    fn mutated_raw_http_never_gets_a_server_error(
        which in 0usize..4,
        edits in prop::collection::vec(byte_edit(), 1..5),
    ) {
        let (rt, addr) = shared_server();
        let bytes = edit(request_template(which, addr), &edits);
        let status = rt.block_on(send_raw(addr, &bytes));
        if let Some(status) = status {
            prop_assert!(status < 500, "status {} for {:?}", status, String::from_utf8_lossy(&bytes));
        }
        let health = rt.block_on(crate::support::raw_http(addr, "GET", "/_mock/health", &[], b""));
        prop_assert_eq!(health.map(|h| h.status), Some(200));
    }
}
