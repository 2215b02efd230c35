//! The admin API refuses what only a web page would send (issue 20, item 2): a Host that DNS
//! rebinding produces, a foreign Origin, a body that is not JSON; and caps background writers.
//! Nothing refused changes anything, and clients that are not browsers (the SDK, curl-style
//! requests without Origin, moto-style fixtures) are unaffected.

use crate::support::*;
use mock_server::{Config, MockServer};
use serde_json::json;

async fn server_with(config: Config) -> MockServer {
    let server = start_server(config).await;
    create_stream_at(&server.endpoint(), "g", "s").await;
    server
}

fn error_of(answer: &HttpAnswer) -> String {
    answer.json()["error"]
        .as_str()
        .unwrap_or_else(|| panic!("no error member: {}", answer.body))
        .to_owned()
}

async fn raw(
    server: &MockServer,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> HttpAnswer {
    raw_http(server.local_addr(), method, path, headers, body.as_bytes())
        .await
        .expect("an answer")
}

async fn group_still_there(server: &MockServer) -> bool {
    let events = http(
        server.local_addr(),
        "GET",
        "/_mock/events?logGroupName=g&logStreamName=s",
        "",
    )
    .await;
    events.status == 200
}

#[tokio::test]
async fn the_cross_origin_reset_of_the_issue_is_refused_and_wipes_nothing() {
    let server = server_with(Config::default()).await;
    // The reproducer of issue 20: curl -X POST .../_mock/reset -H 'Origin: http://evil.example'
    // -H 'Content-Type: text/plain' -H 'Host: evil.example'.
    let answer = raw(
        &server,
        "POST",
        "/_mock/reset",
        &[
            ("Origin", "http://evil.example"),
            ("Content-Type", "text/plain"),
            ("Host", "evil.example"),
        ],
        "x",
    )
    .await;
    assert_eq!(answer.status, 403, "{}", answer.body);
    assert!(group_still_there(&server).await);
}

#[tokio::test]
async fn a_rebound_host_cannot_read_events_unless_it_is_allowed() {
    let server = server_with(Config::default()).await;
    let path = "/_mock/events?logGroupName=g&logStreamName=s";
    let rebound = raw(&server, "GET", path, &[("Host", "evil.example:4588")], "").await;
    assert_eq!(rebound.status, 403);
    let message = error_of(&rebound);
    assert!(
        message.contains("evil.example") && message.contains("--allowed-host"),
        "{message}"
    );
    for host in ["localhost", "127.0.0.1:9", "cwlogs-mock:4588", "[::1]:4588"] {
        let ok = raw(&server, "GET", path, &[("Host", host)], "").await;
        assert_eq!(ok.status, 200, "Host {host}: {}", ok.body);
    }

    let mut config = Config::default();
    config.admin.allowed_hosts = vec!["cwlogs-mock.ci.example.com".into()];
    let allowed = server_with(config).await;
    let ok = raw(
        &allowed,
        "GET",
        path,
        &[("Host", "CWLOGS-MOCK.ci.example.com:4588")],
        "",
    )
    .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    let other = raw(
        &allowed,
        "GET",
        path,
        &[("Host", "other.ci.example.com")],
        "",
    )
    .await;
    assert_eq!(other.status, 403);
}

#[tokio::test]
async fn a_foreign_origin_is_refused_and_a_local_one_is_not() {
    let server = server_with(Config::default()).await;
    for origin in ["http://evil.example", "null", "http://192.0.2.1:4588"] {
        let answer = raw(&server, "POST", "/_mock/reset", &[("Origin", origin)], "").await;
        assert_eq!(answer.status, 403, "Origin {origin}: {}", answer.body);
        assert!(error_of(&answer).contains(origin));
    }
    assert!(group_still_there(&server).await);
    let local = raw(
        &server,
        "POST",
        "/_mock/reset",
        &[("Origin", "http://localhost:3000")],
        "",
    )
    .await;
    assert_eq!(local.status, 200, "{}", local.body);
    assert!(
        !group_still_there(&server).await,
        "the local page's reset went through"
    );
}

#[tokio::test]
async fn bodies_must_be_json_and_empty_ones_need_no_type() {
    let server = server_with(Config::default()).await;
    let plan =
        json!({"seed": 1, "rules": [{"name": "x", "fault": {"kind": "throttle"}}]}).to_string();
    for content_type in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
    ] {
        let headers: Vec<(&str, &str)> = content_type
            .map(|t| ("Content-Type", t))
            .into_iter()
            .collect();
        let answer = raw(&server, "PUT", "/_mock/faults", &headers, &plan).await;
        assert_eq!(answer.status, 415, "{content_type:?}: {}", answer.body);
        assert!(error_of(&answer).contains("application/json"));
    }
    let unchanged = http(server.local_addr(), "GET", "/_mock/faults", "").await;
    assert_eq!(unchanged.json()["rules"], json!([]));
    // The same plan as JSON goes through; a body-less POST needs no Content-Type.
    let put = http(server.local_addr(), "PUT", "/_mock/faults", &plan).await;
    assert_eq!(put.status, 200, "{}", put.body);
    let reset = raw(&server, "POST", "/_mock/reset", &[], "").await;
    assert_eq!(reset.status, 200, "{}", reset.body);
}

#[tokio::test]
async fn the_drop_in_endpoints_are_guarded_too() {
    let server = server_with(Config::default()).await;
    let moto = raw(
        &server,
        "POST",
        "/moto-api/reset",
        &[("Host", "evil.example")],
        "",
    )
    .await;
    assert_eq!(moto.status, 403);
    let localstack = raw(
        &server,
        "GET",
        "/_localstack/health",
        &[("Origin", "http://evil.example")],
        "",
    )
    .await;
    assert_eq!(localstack.status, 403);
    assert!(group_still_there(&server).await);
    // What moto's fixtures send (no Origin, no body) still resets.
    let fixture = raw(&server, "POST", "/moto-api/reset", &[], "").await;
    assert_eq!(fixture.status, 200);
}

#[tokio::test]
async fn background_writers_are_capped() {
    let mut config = Config::default();
    config.admin.max_writers = 2;
    let server = server_with(config).await;
    let spec =
        json!({"logGroupName": "g", "logStreamName": "s", "ratePerSec": 1, "durationMs": 60_000})
            .to_string();
    for _ in 0..2 {
        let started = http(server.local_addr(), "POST", "/_mock/writers", &spec).await;
        assert_eq!(started.status, 201, "{}", started.body);
    }
    let third = http(server.local_addr(), "POST", "/_mock/writers", &spec).await;
    assert_eq!(third.status, 429, "{}", third.body);
    assert!(error_of(&third).contains("admin.max_writers = 2"));
    let list = http(server.local_addr(), "GET", "/_mock/writers", "").await;
    assert_eq!(list.json()["writers"].as_array().unwrap().len(), 2);
    // A reset stops them, and makes room again.
    assert_eq!(
        http(server.local_addr(), "POST", "/_mock/reset", "")
            .await
            .status,
        200
    );
    create_stream_at(&server.endpoint(), "g", "s").await;
    let again = http(server.local_addr(), "POST", "/_mock/writers", &spec).await;
    assert_eq!(again.status, 201, "{}", again.body);
}

#[tokio::test]
async fn the_sdk_is_unaffected_under_any_endpoint_name() {
    // The API is not guarded (the service checks no Host), so an SDK reaching the mock under
    // `localhost` or a dotted name its DNS maps to the mock works as before.
    let server = server_with(Config::default()).await;
    let endpoint = format!("http://localhost:{}", server.local_addr().port());
    let client = plain_client(&endpoint);
    client
        .put_log_events()
        .log_group_name("g")
        .log_stream_name("s")
        .log_events(event(now_ms(), "through localhost"))
        .send()
        .await
        .expect("put through localhost");
    let dotted = raw(
        &server,
        "POST",
        "/",
        &[
            ("Host", "logs.us-east-1.amazonaws.com"),
            ("X-Amz-Target", "Logs_20140328.DescribeLogGroups"),
            ("Content-Type", "application/x-amz-json-1.1"),
        ],
        "{}",
    )
    .await;
    assert_eq!(dotted.status, 200, "{}", dotted.body);
    assert_eq!(
        stored_messages(server.local_addr(), "g", "s").await,
        ["through localhost"]
    );
}
