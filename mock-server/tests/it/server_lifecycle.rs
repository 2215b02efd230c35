//! Starting and stopping the server, and the core admin endpoints.

use crate::support::{api_call, raw_http, start};
use mock_server::{Config, MockServer, TokenMode};
use std::net::SocketAddr;

/// Gives the server at `addr` a log group no other server has, to recognise it by later.
async fn mark(addr: SocketAddr, marker: &str) {
    let answer = api_call(
        addr,
        "CreateLogGroup",
        &format!(r#"{{"logGroupName":"{marker}"}}"#),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
}

/// Whether the server marked with `marker` still answers at `addr`. Other tests of this binary
/// start servers concurrently, so a freed port may already belong to one of them: a connection
/// that succeeds proves nothing, a group only this server had does.
async fn still_answers(addr: SocketAddr, marker: &str) -> bool {
    if tokio::net::TcpStream::connect(addr).await.is_err() {
        return false;
    }
    let target = "Logs_20140328.DescribeLogGroups";
    let body = format!(r#"{{"logGroupNamePrefix":"{marker}"}}"#);
    let headers = [
        ("X-Amz-Target", target),
        ("Content-Type", "application/x-amz-json-1.1"),
    ];
    match raw_http(addr, "POST", "/", &headers, body.as_bytes()).await {
        Some(answer) => answer.body.contains(marker),
        None => false,
    }
}

#[tokio::test]
async fn binds_loopback_on_a_free_port_and_stops_on_shutdown() {
    let server = MockServer::start(Config::default()).await.unwrap();
    let addr = server.local_addr();
    assert!(addr.ip().is_loopback());
    assert_ne!(addr.port(), 0);
    assert_eq!(
        server.endpoint(),
        format!("http://127.0.0.1:{}", addr.port())
    );
    assert_eq!(server.uri(), server.endpoint());
    let r = raw_http(addr, "GET", "/_mock/health", &[], b"")
        .await
        .unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), serde_json::json!({"status": "ok"}));
    mark(addr, "lifecycle-shutdown").await;
    assert!(still_answers(addr, "lifecycle-shutdown").await);
    server.shutdown().await.unwrap();
    assert!(!still_answers(addr, "lifecycle-shutdown").await);
}

#[tokio::test]
async fn stops_on_drop() {
    let server = MockServer::start(Config::default()).await.unwrap();
    let addr = server.local_addr();
    mark(addr, "lifecycle-drop").await;
    assert!(still_answers(addr, "lifecycle-drop").await);
    drop(server);
    // The listener goes away with the aborted task; give the runtime a few turns to run the abort
    // (bounded: 100 checks, 5 ms apart).
    let mut gone = false;
    for _ in 0..100 {
        if !still_answers(addr, "lifecycle-drop").await {
            gone = true;
            break;
        }
        tokio::task::yield_now().await;
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    assert!(gone);
}

#[tokio::test]
async fn a_taken_port_is_a_bind_error() {
    let first = MockServer::start(Config::default()).await.unwrap();
    let config = Config {
        port: first.local_addr().port(),
        ..Config::default()
    };
    let err = MockServer::start(config).await.unwrap_err();
    assert!(matches!(err, mock_server::Error::Bind { .. }), "{err}");
}

#[tokio::test]
async fn admin_events_lists_a_stream_in_order() {
    let h = start(TokenMode::Current).await;
    let addr = h.server.local_addr();
    api_call(addr, "CreateLogGroup", r#"{"logGroupName":"/a/b"}"#).await;
    api_call(
        addr,
        "CreateLogStream",
        r#"{"logGroupName":"/a/b","logStreamName":"s 1"}"#,
    )
    .await;
    api_call(
        addr,
        "PutLogEvents",
        r#"{"logGroupName":"/a/b","logStreamName":"s 1","logEvents":[{"timestamp":1699999999000,"message":"x"},{"timestamp":1699999999001,"message":"y"}]}"#,
    )
    .await;
    let r = raw_http(
        addr,
        "GET",
        "/_mock/events?logGroupName=%2Fa%2Fb&logStreamName=s%201",
        &[],
        b"",
    )
    .await
    .unwrap();
    assert_eq!(r.status, 200);
    let events = r.json()["events"].as_array().unwrap().clone();
    let msgs: Vec<&str> = events
        .iter()
        .map(|e| e["message"].as_str().unwrap())
        .collect();
    assert_eq!(msgs, ["x", "y"]);
    let r = raw_http(
        addr,
        "GET",
        "/_mock/events?logGroupName=%2Fa%2Fb&logStreamName=nope",
        &[],
        b"",
    )
    .await
    .unwrap();
    assert_eq!(r.status, 404);
    let r = raw_http(addr, "GET", "/_mock/events", &[], b"")
        .await
        .unwrap();
    assert_eq!(r.status, 400);
}

/// Tells the test when a DescribeLogGroups request is in service, then holds it there a while.
#[derive(Debug)]
struct HoldDescribe {
    in_service: tokio::sync::Notify,
}

impl mock_server::Hook for HoldDescribe {
    fn before_decision(
        &self,
        request: &mock_server::ApiRequest,
        _now_ms: i64,
    ) -> mock_server::Before {
        if request.operation == "DescribeLogGroups" {
            self.in_service.notify_one();
            return mock_server::Before::Delay(std::time::Duration::from_millis(300));
        }
        mock_server::Before::Continue
    }
}

#[tokio::test]
async fn at_the_cap_a_connection_in_service_is_never_shed() {
    let mut config = Config::default();
    config.limits.max_connections = 1;
    let hold = std::sync::Arc::new(HoldDescribe {
        in_service: tokio::sync::Notify::new(),
    });
    let server = MockServer::builder(config)
        .hook(hold.clone())
        .start()
        .await
        .unwrap();
    let addr = server.local_addr();
    // The only slot is held by a request in service.
    let holder = tokio::spawn(async move { api_call(addr, "DescribeLogGroups", "{}").await });
    hold.in_service.notified().await;
    let waiting =
        tokio::spawn(async move { raw_http(addr, "GET", "/_mock/health", &[], b"").await });
    // The newcomer can shed nobody, so it waits; the request in service is answered, not cut.
    let held = holder.await.unwrap();
    assert_eq!(held.status, 200, "{}", held.body);
    let r = waiting
        .await
        .unwrap()
        .expect("served once the slot is free");
    assert_eq!(r.status, 200);
}
