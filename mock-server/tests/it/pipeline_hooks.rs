//! The pipeline's seams, driven by a scripted hook over loopback: answering before the decision
//! stores nothing, a reset closes the connection, a dropped answer still commits, and every sent
//! answer passes `answered` exactly once.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::support::{api_call, raw_http};
use mock_server::ApiError;
use mock_server::{After, Before, Decision, Hook};
use mock_server::{ApiRequest, ApiResponse};
use mock_server::{Config, MockServer};

/// Acts on requests whose `logGroupName` names an action; records what it saw.
#[derive(Default)]
struct Scripted {
    answered: Mutex<Vec<(String, Option<&'static str>)>>,
    unanswered: Mutex<Vec<String>>,
}

impl Hook for Scripted {
    fn before_decision(&self, request: &ApiRequest, _now_ms: i64) -> Before {
        match request.log_group_name() {
            Some("respond") => Before::Respond {
                delay: Duration::ZERO,
                response: ApiError::service_unavailable("try later").into_response(),
            },
            Some("reset") => Before::Reset {
                delay: Duration::ZERO,
            },
            Some("slow") => Before::Delay(Duration::from_millis(1)),
            _ => Before::Continue,
        }
    }

    fn after_decision(&self, request: &ApiRequest, _decision: &Decision) -> After {
        match request.log_group_name() {
            Some("lost") => After::Drop,
            _ => After::Deliver,
        }
    }

    fn answered(&self, request: &ApiRequest, response: &ApiResponse) {
        self.answered
            .lock()
            .unwrap()
            .push((request.operation.clone(), response.error_type));
    }

    fn unanswered(&self, request: &ApiRequest) {
        self.unanswered
            .lock()
            .unwrap()
            .push(request.operation.clone());
    }
}

async fn server(hook: Arc<Scripted>) -> MockServer {
    let mut config = Config::default();
    config.throttle.preset = mock_server::ThrottlePreset::Off;
    MockServer::builder(config)
        .hook(hook)
        .start()
        .await
        .unwrap()
}

fn create(group: &str) -> String {
    format!(r#"{{"logGroupName":"{group}"}}"#)
}

#[tokio::test]
async fn answering_before_the_decision_stores_nothing() {
    let hook = Arc::new(Scripted::default());
    let s = server(hook.clone()).await;
    let r = api_call(s.local_addr(), "CreateLogGroup", &create("respond")).await;
    assert_eq!(r.status, 503);
    assert_eq!(r.json()["__type"], "ServiceUnavailableException");
    assert!(s.state().store.group("respond").is_none());
    assert_eq!(
        *hook.answered.lock().unwrap(),
        [(
            "CreateLogGroup".to_owned(),
            Some("ServiceUnavailableException")
        )]
    );
}

#[tokio::test]
async fn a_reset_closes_the_connection_without_storing() {
    let hook = Arc::new(Scripted::default());
    let s = server(hook.clone()).await;
    let target = "Logs_20140328.CreateLogGroup";
    let r = raw_http(
        s.local_addr(),
        "POST",
        "/",
        &[("X-Amz-Target", target)],
        create("reset").as_bytes(),
    )
    .await;
    assert!(r.is_none(), "no answer: {r:?}");
    assert!(s.state().store.group("reset").is_none());
    assert_eq!(*hook.unanswered.lock().unwrap(), ["CreateLogGroup"]);
    assert!(hook.answered.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_lost_answer_was_still_committed() {
    let hook = Arc::new(Scripted::default());
    let s = server(hook.clone()).await;
    let target = "Logs_20140328.CreateLogGroup";
    let r = raw_http(
        s.local_addr(),
        "POST",
        "/",
        &[("X-Amz-Target", target)],
        create("lost").as_bytes(),
    )
    .await;
    assert!(r.is_none());
    assert!(
        s.state().store.group("lost").is_some(),
        "the decision committed"
    );
    // A client that looks afterwards sees the effect of the attempt it got no answer for.
    let r = api_call(s.local_addr(), "DescribeLogGroups", "{}").await;
    assert_eq!(r.json()["logGroups"][0]["logGroupName"], "lost");
}

#[tokio::test]
async fn every_sent_answer_passes_answered_once_including_envelope_errors() {
    let hook = Arc::new(Scripted::default());
    let s = server(hook.clone()).await;
    let addr = s.local_addr();
    api_call(addr, "CreateLogGroup", &create("slow")).await;
    api_call(addr, "NoSuchOperation", "{}").await;
    api_call(addr, "CreateLogGroup", "{broken").await;
    raw_http(addr, "GET", "/_mock/health", &[], b"")
        .await
        .unwrap();
    assert_eq!(
        *hook.answered.lock().unwrap(),
        [
            ("CreateLogGroup".to_owned(), None),
            (
                "NoSuchOperation".to_owned(),
                Some("UnknownOperationException")
            ),
            ("CreateLogGroup".to_owned(), Some("SerializationException")),
        ],
        "admin requests are not API answers"
    );
}
