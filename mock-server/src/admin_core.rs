//! The core of the admin API under `/_mock/`: what tests and scripts ask the mock directly, outside
//! the CloudWatch Logs protocol.
//!
//! - `GET /_mock/health` → `{"status":"ok"}`
//! - `GET /_mock/events?logGroupName=G&logStreamName=S` → `{"events":[…]}`, every stored event of
//!   the stream in order, unpaginated (404 when the group or stream does not exist)
//!
//! Other methods on these two paths get 405 from [`crate::admin::handle`] before they reach this
//! module; anything else that does is 404. Answers are JSON; errors are `{"error":"…"}`.

use serde_json::{json, Value};

use crate::pipeline::Pipeline;

/// An answer of the admin API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminResponse {
    /// HTTP status.
    pub status: u16,
    /// JSON body.
    pub body: String,
}

impl AdminResponse {
    /// 200 with a JSON body.
    pub fn ok(body: Value) -> Self {
        Self {
            status: 200,
            body: body.to_string(),
        }
    }

    /// An error status with `{"error": message}`.
    pub fn error(status: u16, message: impl Into<String>) -> Self {
        Self {
            status,
            body: json!({ "error": message.into() }).to_string(),
        }
    }
}

/// Answers one admin request. `path` starts with `/_mock/`; `query` is the raw query string.
pub fn handle(
    pipeline: &Pipeline,
    method: &str,
    path: &str,
    query: &str,
    body: &[u8],
) -> AdminResponse {
    let _ = body;
    match (method, path) {
        ("GET", "/_mock/health") => AdminResponse::ok(json!({ "status": "ok" })),
        ("GET", "/_mock/events") => events(pipeline, query),
        _ => AdminResponse::error(404, format!("no admin endpoint {method} {path}")),
    }
}

fn events(pipeline: &Pipeline, query: &str) -> AdminResponse {
    let params = parse_query(query);
    let get = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let (Some(group), Some(stream)) = (get("logGroupName"), get("logStreamName")) else {
        return AdminResponse::error(400, "logGroupName and logStreamName are required");
    };
    let Some(stream) = pipeline
        .state
        .store
        .group(group)
        .and_then(|g| g.stream(stream))
    else {
        return AdminResponse::error(404, "no such log group or log stream");
    };
    let state = stream.lock();
    let events: Vec<Value> = state
        .events
        .iter()
        .map(|e| {
            json!({
                "timestamp": e.timestamp,
                "message": e.message,
                "ingestionTime": e.ingestion_time,
            })
        })
        .collect();
    AdminResponse::ok(json!({ "events": events }))
}

/// Splits a query string into decoded `(name, value)` pairs.
pub fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

/// Decodes `%XX` escapes and `+` (as a space); invalid escapes are kept as they are.
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_are_decoded() {
        assert_eq!(
            parse_query("logGroupName=%2Fapp%2Fweb&logStreamName=a+b&x"),
            vec![
                ("logGroupName".into(), "/app/web".into()),
                ("logStreamName".into(), "a b".into()),
                ("x".into(), String::new()),
            ]
        );
        assert_eq!(percent_decode("%zz%"), "%zz%");
    }
}
