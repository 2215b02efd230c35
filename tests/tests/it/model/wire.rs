//! Between the suite's [`Request`]s and the mock's JSON: building the `ApiRequest` that
//! `State::decide` takes, and reading its `ApiResponse` back into an [`Answer`] with the mock's own
//! token strings. Anything the reader does not expect (a missing member, an extra one, a wrong
//! type) is a mismatch, reported as text.

use mock_server::{ApiRequest, ApiResponse};
use serde_json::{json, Map, Value};

use super::answer::{Answer, EventView, Failure, Message, Rejected, StreamView};
use super::request::Request;

/// The JSON request for `request`; `token` is the string to send as `sequenceToken`, if any.
pub fn api_request(request: &Request, token: Option<&str>) -> ApiRequest {
    let body = match request {
        Request::CreateLogGroup { group }
        | Request::DeleteLogGroup { group }
        | Request::DeleteRetentionPolicy { group }
        | Request::DescribeLogStreams { group } => json!({ "logGroupName": group }),
        Request::PutRetentionPolicy { group, days } => {
            json!({ "logGroupName": group, "retentionInDays": days })
        }
        Request::CreateLogStream { group, stream } | Request::DeleteLogStream { group, stream } => {
            json!({ "logGroupName": group, "logStreamName": stream })
        }
        Request::PutLogEvents {
            group,
            stream,
            events,
            ..
        } => {
            let events: Vec<Value> = events
                .iter()
                .map(|e| json!({ "timestamp": e.timestamp, "message": e.message }))
                .collect();
            let mut body = json!({
                "logGroupName": group,
                "logStreamName": stream,
                "logEvents": events,
            });
            if let (Some(t), Some(obj)) = (token, body.as_object_mut()) {
                obj.insert("sequenceToken".into(), t.into());
            }
            body
        }
        Request::DescribeLogGroups => json!({}),
        Request::GetLogEvents { group, stream } => json!({
            "logGroupName": group,
            "logStreamName": stream,
            "startFromHead": true,
            "limit": 10_000,
        }),
    };
    ApiRequest::json(request.operation(), body)
}

/// Takes the members of `obj` one by one, so that whatever is left over can be reported.
struct Members(Map<String, Value>);

impl Members {
    fn parse(value: Value, what: &str) -> Result<Self, String> {
        match value {
            Value::Object(map) => Ok(Self(map)),
            other => Err(format!("{what} is not an object: {other}")),
        }
    }

    fn opt_str(&mut self, key: &str) -> Result<Option<String>, String> {
        match self.0.remove(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(format!("{key} is not a string: {other}")),
        }
    }

    fn opt_i64(&mut self, key: &str) -> Result<Option<i64>, String> {
        match self.0.remove(key) {
            None => Ok(None),
            Some(v) => v
                .as_i64()
                .map(Some)
                .ok_or_else(|| format!("{key} is not an integer: {v}")),
        }
    }

    fn opt_index(&mut self, key: &str) -> Result<Option<usize>, String> {
        self.opt_i64(key)?
            .map(|i| usize::try_from(i).map_err(|_| format!("{key} is negative: {i}")))
            .transpose()
    }

    fn req<T>(&mut self, key: &str, got: Result<Option<T>, String>) -> Result<T, String> {
        got?.ok_or_else(|| format!("{key} is missing"))
    }

    fn list(&mut self, key: &str) -> Result<Vec<Value>, String> {
        match self.0.remove(key) {
            Some(Value::Array(items)) => Ok(items),
            Some(other) => Err(format!("{key} is not a list: {other}")),
            None => Err(format!("{key} is missing")),
        }
    }

    fn done(self, what: &str) -> Result<(), String> {
        if self.0.is_empty() {
            Ok(())
        } else {
            let keys: Vec<&String> = self.0.keys().collect();
            Err(format!("{what} has unexpected members {keys:?}"))
        }
    }
}

fn error_answer(response: &ApiResponse, body: Value) -> Result<Answer<String>, String> {
    let mut m = Members::parse(body, "error body")?;
    let kind = m.opt_str("__type")?;
    let kind = m.req("__type", Ok(kind))?;
    if response.error_type != Some(kind.as_str()) {
        return Err(format!(
            "X-Amzn-ErrorType {:?} differs from __type {kind:?}",
            response.error_type
        ));
    }
    if response.status != 400 {
        return Err(format!(
            "client error {kind} with status {}",
            response.status
        ));
    }
    let expected = m.opt_str("expectedSequenceToken")?;
    let message = m.opt_str("message")?;
    let message = m.req("message", Ok(message))?;
    m.done("error body")?;
    Ok(Answer::Error(Failure {
        kind,
        expected,
        message: Message::Exact(message),
    }))
}

fn put_answer(mut m: Members) -> Result<Answer<String>, String> {
    let next = m.opt_str("nextSequenceToken")?;
    let rejected = match m.0.remove("rejectedLogEventsInfo") {
        None => Rejected::default(),
        Some(info) => {
            let mut r = Members::parse(info, "rejectedLogEventsInfo")?;
            let rejected = Rejected {
                too_new_start: r.opt_index("tooNewLogEventStartIndex")?,
                too_old_end: r.opt_index("tooOldLogEventEndIndex")?,
                expired_end: r.opt_index("expiredLogEventEndIndex")?,
            };
            r.done("rejectedLogEventsInfo")?;
            if rejected == Rejected::default() {
                return Err("rejectedLogEventsInfo is present but empty".into());
            }
            rejected
        }
    };
    m.done("PutLogEvents answer")?;
    Ok(Answer::Put { next, rejected })
}

fn groups_answer(mut m: Members) -> Result<Answer<String>, String> {
    let mut names = Vec::new();
    for g in m.list("logGroups")? {
        let mut g = Members::parse(g, "log group")?;
        let name = g.opt_str("logGroupName")?;
        names.push(g.req("logGroupName", Ok(name))?);
    }
    m.done("DescribeLogGroups answer")?;
    Ok(Answer::Groups(names))
}

fn streams_answer(mut m: Members) -> Result<Answer<String>, String> {
    let mut streams = Vec::new();
    for s in m.list("logStreams")? {
        let mut s = Members::parse(s, "log stream")?;
        let name = s.opt_str("logStreamName")?;
        let creation = s.opt_i64("creationTime")?;
        let stored = s.opt_i64("storedBytes")?;
        streams.push(StreamView {
            name: s.req("logStreamName", Ok(name))?,
            creation_time: s.req("creationTime", Ok(creation))?,
            first_event: s.opt_i64("firstEventTimestamp")?,
            last_event: s.opt_i64("lastEventTimestamp")?,
            last_ingestion: s.opt_i64("lastIngestionTime")?,
            upload_token: s.opt_str("uploadSequenceToken")?,
            stored_bytes: s.req("storedBytes", Ok(stored))?,
        });
        // The ARN's form is not what this suite checks; it only has to be there.
        let arn = s.opt_str("arn")?;
        s.req("arn", Ok(arn))?;
        s.done("log stream")?;
    }
    m.done("DescribeLogStreams answer (one page, so no nextToken)")?;
    Ok(Answer::Streams(streams))
}

fn events_answer(mut m: Members) -> Result<Answer<String>, String> {
    let mut events = Vec::new();
    for e in m.list("events")? {
        let mut e = Members::parse(e, "event")?;
        let timestamp = e.opt_i64("timestamp")?;
        let message = e.opt_str("message")?;
        let ingestion = e.opt_i64("ingestionTime")?;
        events.push(EventView {
            timestamp: e.req("timestamp", Ok(timestamp))?,
            message: e.req("message", Ok(message))?,
            ingestion_time: e.req("ingestionTime", Ok(ingestion))?,
        });
        e.done("event")?;
    }
    // §2: both tokens are never null; their form is not what this suite checks.
    for key in ["nextForwardToken", "nextBackwardToken"] {
        let token = m.opt_str(key)?;
        m.req(key, Ok(token))?;
    }
    m.done("GetLogEvents answer")?;
    Ok(Answer::Events(events))
}

/// Reads the mock's answer to `request`.
pub fn answer(request: &Request, response: &ApiResponse) -> Result<Answer<String>, String> {
    let body: Value = serde_json::from_str(&response.body)
        .map_err(|e| format!("body is not JSON ({e}): {}", response.body))?;
    if response.is_error() || response.status != 200 {
        return error_answer(response, body);
    }
    let m = Members::parse(body, "answer")?;
    match request {
        Request::CreateLogGroup { .. }
        | Request::DeleteLogGroup { .. }
        | Request::CreateLogStream { .. }
        | Request::DeleteLogStream { .. }
        | Request::PutRetentionPolicy { .. }
        | Request::DeleteRetentionPolicy { .. } => m.done("void answer").map(|()| Answer::Done),
        Request::PutLogEvents { .. } => put_answer(m),
        Request::DescribeLogGroups => groups_answer(m),
        Request::DescribeLogStreams { .. } => streams_answer(m),
        Request::GetLogEvents { .. } => events_answer(m),
    }
}
