//! The mock's admin API as the oracle: what each stream holds (`GET /_mock/events`) and what the
//! mock answered (`GET /_mock/stats`).
//!
//! It is read over a plain HTTP/1.0 socket rather than through the mock's Rust API, so the tier
//! checks what any client of the admin API sees. HTTP/1.0 keeps the answer unchunked and ends it
//! by closing the connection, which is all the parsing this needs.

use std::net::SocketAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One event as the mock stored it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// The event's timestamp, as sent.
    pub timestamp: i64,
    /// The event's message.
    pub message: String,
}

/// A GET on the admin API: the status and the body.
async fn get(addr: SocketAddr, path: &str) -> Result<(u16, String), String> {
    let mut socket = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connect to the admin API at {addr}: {e}"))?;
    let request = format!("GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n");
    socket
        .write_all(request.as_bytes())
        .await
        .map_err(|e| format!("send GET {path}: {e}"))?;
    let mut raw = Vec::new();
    socket
        .read_to_end(&mut raw)
        .await
        .map_err(|e| format!("read the answer to GET {path}: {e}"))?;
    let text = String::from_utf8(raw).map_err(|e| format!("GET {path}: not UTF-8: {e}"))?;
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| format!("GET {path}: no HTTP head in {text:?}"))?;
    if head.to_ascii_lowercase().contains("transfer-encoding:") {
        return Err(format!(
            "GET {path}: unexpected transfer encoding in {head:?}"
        ));
    }
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("GET {path}: no status in {head:?}"))?;
    Ok((status, body.to_owned()))
}

/// Every event stream `stream` of `group` holds, in storage order. A stream that does not exist
/// holds nothing (a case whose every put failed never got to create it).
pub async fn events(addr: SocketAddr, group: &str, stream: &str) -> Result<Vec<Stored>, String> {
    let path = format!("/_mock/events?logGroupName={group}&logStreamName={stream}");
    let (status, body) = get(addr, &path).await?;
    if status == 404 {
        return Ok(Vec::new());
    }
    if status != 200 {
        return Err(format!("GET {path} answered {status}: {body}"));
    }
    let json: serde_json::Value =
        serde_json::from_str(&body).map_err(|e| format!("GET {path}: bad JSON {e}: {body}"))?;
    let events = json["events"]
        .as_array()
        .ok_or_else(|| format!("GET {path}: no events array in {body}"))?;
    events
        .iter()
        .map(|e| match (e["timestamp"].as_i64(), e["message"].as_str()) {
            (Some(timestamp), Some(message)) => Ok(Stored {
                timestamp,
                message: message.to_owned(),
            }),
            _ => Err(format!("GET {path}: malformed event {e}")),
        })
        .collect()
}

/// The mock's counters (`GET /_mock/stats`).
pub async fn stats(addr: SocketAddr) -> Result<serde_json::Value, String> {
    let (status, body) = get(addr, "/_mock/stats").await?;
    if status != 200 {
        return Err(format!("GET /_mock/stats answered {status}: {body}"));
    }
    serde_json::from_str(&body).map_err(|e| format!("GET /_mock/stats: bad JSON {e}: {body}"))
}
