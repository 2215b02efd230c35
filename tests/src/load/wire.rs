//! awsJson1_1 request bodies and headers, built once before a run.
//!
//! The generator must cost the server's side nothing it would not see from a real client and
//! cost itself almost nothing per request, so bodies are serialized at start-up and only
//! reference-counted afterwards. Signatures are SigV4-*shaped* (scope, signed headers, a
//! 64-hex-digit signature) because mocks parse but do not verify them; computing real HMACs
//! would only add client CPU to the measurement.

use std::time::{SystemTime, UNIX_EPOCH};

use bytes::{BufMut, Bytes, BytesMut};
use hyper::header::HeaderValue;

/// The `X-Amz-Target` prefix of every CloudWatch Logs operation.
pub const TARGET_PREFIX: &str = "Logs_20140328.";
/// The awsJson1_1 content type.
pub const CONTENT_TYPE: &str = "application/x-amz-json-1.1";

/// Header values shared by every request of a run.
#[derive(Debug, Clone)]
pub struct SignedHeaders {
    /// `Host`.
    pub host: HeaderValue,
    /// `X-Amz-Date`, e.g. `20261124T180724Z`.
    pub amz_date: HeaderValue,
    /// `Authorization: AWS4-HMAC-SHA256 Credential=AKID/yyyymmdd/region/logs/aws4_request, ...`.
    pub authorization: HeaderValue,
}

impl SignedHeaders {
    /// Headers for `host`, dated `unix_secs`, scoped to `access_key_id` and `region`.
    pub fn new(
        host: &str,
        access_key_id: &str,
        region: &str,
        unix_secs: u64,
    ) -> anyhow::Result<Self> {
        let (date, time) = amz_date(unix_secs);
        let authorization = format!(
            "AWS4-HMAC-SHA256 Credential={access_key_id}/{date}/{region}/logs/aws4_request, \
             SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature={}",
            "0".repeat(64)
        );
        Ok(Self {
            host: HeaderValue::from_str(host)?,
            amz_date: HeaderValue::from_str(&format!("{date}T{time}Z"))?,
            authorization: HeaderValue::from_str(&authorization)?,
        })
    }
}

/// The current time as Unix milliseconds.
pub fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// `(yyyymmdd, hhmmss)` in UTC for a Unix time, without a date library.
pub fn amz_date(unix_secs: u64) -> (String, String) {
    let days = (unix_secs / 86_400) as i64;
    let secs = unix_secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    (
        format!("{y:04}{m:02}{d:02}"),
        format!("{:02}{:02}{:02}", secs / 3600, secs / 60 % 60, secs % 60),
    )
}

/// Gregorian date of a day count since 1970-01-01 (the proleptic calendar, shifted so that
/// years start in March and the leap day falls last).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// A JSON string literal, quotes included.
pub fn json_string(s: &str) -> String {
    serde_json::Value::from(s).to_string()
}

/// How many digits a timestamp takes in a body: Unix milliseconds have 13 digits from
/// September 2001 to the year 2286, so a stamp can be rewritten in place.
const STAMP_DIGITS: usize = 13;

/// A PutLogEvents body split around the optional `sequenceToken` member, so the token can be
/// spliced in without re-serializing the events, and with the place of every event's timestamp,
/// so a batch can be re-stamped at send time.
#[derive(Debug, Clone)]
pub struct PutBody {
    /// `{"logGroupName":..,"logStreamName":..,`
    pub head: Bytes,
    /// `"logEvents":[...]}`
    pub events: Bytes,
    /// `head` and `events` joined: the whole body when no token is sent.
    pub whole: Bytes,
    /// Where each event's 13-digit timestamp starts in `events`, with its offset in ms from the
    /// batch's first event.
    stamps: Vec<(usize, u64)>,
}

impl PutBody {
    /// The body carrying `token`, or the pre-built whole body when there is none.
    pub fn with_token(&self, token: Option<&str>) -> Bytes {
        self.render(token, None)
    }

    /// The body carrying `token`, with its first event stamped `first_ms` and the others at
    /// their original offsets from it (`None`: the stamps it was built with). Only a token or a
    /// new stamp costs a copy of the body.
    pub fn render(&self, token: Option<&str>, first_ms: Option<u64>) -> Bytes {
        if token.is_none() && first_ms.is_none() {
            return self.whole.clone();
        }
        let mut b = BytesMut::with_capacity(self.whole.len() + token.map_or(0, |t| t.len() + 20));
        b.put_slice(&self.head);
        if let Some(t) = token {
            b.put_slice(b"\"sequenceToken\":");
            b.put_slice(json_string(t).as_bytes());
            b.put_u8(b',');
        }
        let events_at = b.len();
        b.put_slice(&self.events);
        if let Some(first) = first_ms {
            for &(at, offset) in &self.stamps {
                write_stamp(
                    &mut b[events_at + at..events_at + at + STAMP_DIGITS],
                    first + offset,
                );
            }
        }
        b.freeze()
    }
}

/// Writes `ms` as exactly 13 decimal digits (zero-padded; clamped to the largest 13-digit value).
fn write_stamp(out: &mut [u8], ms: u64) {
    let mut v = ms.min(9_999_999_999_999);
    for slot in out.iter_mut().rev() {
        *slot = b'0' + (v % 10) as u8;
        v /= 10;
    }
}

/// Builds batch number `batch` for `stream`: `events` messages of exactly `event_bytes` ASCII
/// bytes, stamped from `timestamp_ms` evenly over `spread_ms` (non-decreasing, so the batch is
/// chronological; 0 stamps them all `timestamp_ms`), each starting with a unique tag so that no
/// two stored events are identical.
pub fn put_body(
    group: &str,
    stream: &str,
    batch: usize,
    events: usize,
    event_bytes: usize,
    timestamp_ms: u64,
    spread_ms: u64,
) -> PutBody {
    let head = format!(
        "{{\"logGroupName\":{},\"logStreamName\":{},",
        json_string(group),
        json_string(stream)
    );
    let mut ev = BytesMut::with_capacity(16 + events * (event_bytes + 40));
    let mut stamps = Vec::with_capacity(events);
    ev.put_slice(b"\"logEvents\":[");
    for i in 0..events {
        if i > 0 {
            ev.put_u8(b',');
        }
        // Evenly over the spread, non-decreasing, so the batch stays chronological.
        let offset = spread_ms * i as u64 / events as u64;
        ev.put_slice(b"{\"timestamp\":");
        stamps.push((ev.len(), offset));
        let mut digits = [0u8; STAMP_DIGITS];
        write_stamp(&mut digits, timestamp_ms + offset);
        ev.put_slice(&digits);
        ev.put_slice(b",\"message\":\"");
        let tag = format!("b{batch} e{i} ");
        let tag = &tag.as_bytes()[..tag.len().min(event_bytes)];
        ev.put_slice(tag);
        ev.put_bytes(b'x', event_bytes - tag.len());
        ev.put_slice(b"\"}");
    }
    ev.put_slice(b"]}");
    let events = ev.freeze();
    let mut whole = BytesMut::with_capacity(head.len() + events.len());
    whole.put_slice(head.as_bytes());
    whole.put_slice(&events);
    PutBody {
        head: Bytes::from(head),
        events,
        whole: whole.freeze(),
        stamps,
    }
}

/// The error type of a failed response: the body's `__type` with any `namespace#` prefix and
/// `:suffix` removed, as SDKs read it; `HTTP <status>` when the body has none.
pub fn error_type(status: u16, body: &[u8]) -> String {
    let parsed: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let raw = parsed
        .as_ref()
        .and_then(|v| v.get("__type").or_else(|| v.get("code")))
        .and_then(|v| v.as_str());
    match raw {
        Some(t) => {
            let t = t.split(':').next().unwrap_or(t);
            t.rsplit('#').next().unwrap_or(t).to_owned()
        }
        None => format!("HTTP {status}"),
    }
}

/// A string member of a JSON response body, if present.
pub fn string_member(body: &[u8], name: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    v.get(name)?.as_str().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_valid_json_with_exact_message_sizes() {
        let b = put_body("g\"1", "s", 7, 3, 20, 1_700_000_000_000, 0);
        let v: serde_json::Value = serde_json::from_slice(&b.whole).expect("json");
        assert_eq!(v["logGroupName"], "g\"1");
        let evs = v["logEvents"].as_array().expect("array");
        assert_eq!(evs.len(), 3);
        for e in evs {
            assert_eq!(e["message"].as_str().expect("str").len(), 20);
            assert_eq!(e["timestamp"], 1_700_000_000_000u64);
        }
        assert!(evs[1]["message"]
            .as_str()
            .expect("str")
            .starts_with("b7 e1 "));
        assert!(v.get("sequenceToken").is_none());
    }

    #[test]
    fn tiny_messages_are_cut_not_overflowed() {
        let b = put_body("g", "s", 123, 2, 1, 1_700_000_000_005, 0);
        let v: serde_json::Value = serde_json::from_slice(&b.whole).expect("json");
        assert_eq!(v["logEvents"][1]["message"], "b");
    }

    #[test]
    fn a_spread_stamps_the_batch_evenly_and_in_order() {
        let b = put_body("g", "s", 0, 4, 5, 1_700_000_001_000, 100);
        let v: serde_json::Value = serde_json::from_slice(&b.whole).expect("json");
        let stamps: Vec<i64> = v["logEvents"]
            .as_array()
            .expect("events")
            .iter()
            .map(|e| e["timestamp"].as_i64().expect("timestamp"))
            .collect();
        let t0 = 1_700_000_001_000;
        assert_eq!(stamps, [t0, t0 + 25, t0 + 50, t0 + 75]);
    }

    #[test]
    fn token_is_spliced_in() {
        let b = put_body("g", "s", 0, 1, 5, 1_700_000_000_005, 0);
        let v: serde_json::Value =
            serde_json::from_slice(&b.with_token(Some("49123"))).expect("json");
        assert_eq!(v["sequenceToken"], "49123");
        assert_eq!(v["logEvents"][0]["timestamp"], 1_700_000_000_005u64);
        assert_eq!(b.with_token(None), b.whole);
    }

    #[test]
    fn a_batch_is_restamped_at_its_offsets() {
        let b = put_body("g", "s", 0, 3, 8, 1_700_000_000_000, 30);
        let stamps = |body: &Bytes| -> Vec<u64> {
            let v: serde_json::Value = serde_json::from_slice(body).expect("json");
            v["logEvents"]
                .as_array()
                .expect("events")
                .iter()
                .map(|e| e["timestamp"].as_u64().expect("timestamp"))
                .collect()
        };
        let t = 1_800_000_000_000;
        assert_eq!(stamps(&b.render(None, Some(t))), [t, t + 10, t + 20]);
        let with_token = b.render(Some("7"), Some(t));
        assert_eq!(stamps(&with_token), [t, t + 10, t + 20]);
        let v: serde_json::Value = serde_json::from_slice(&with_token).expect("json");
        assert_eq!(v["sequenceToken"], "7");
        // The pre-built body is untouched.
        assert_eq!(
            stamps(&b.whole),
            [1_700_000_000_000, 1_700_000_000_010, 1_700_000_000_020]
        );
    }

    #[test]
    fn dates_match_known_values() {
        assert_eq!(amz_date(0), ("19700101".into(), "000000".into()));
        // 2024-02-29T23:59:59Z, a leap day.
        assert_eq!(
            amz_date(1_709_251_199),
            ("20240229".into(), "235959".into())
        );
        // 2026-11-24T18:07:24Z.
        assert_eq!(
            amz_date(1_795_543_644),
            ("20261124".into(), "180724".into())
        );
        let h = SignedHeaders::new("127.0.0.1:1", "AKID", "eu-west-1", 0).expect("headers");
        let auth = h.authorization.to_str().expect("ascii");
        assert!(auth.starts_with(
            "AWS4-HMAC-SHA256 Credential=AKID/19700101/eu-west-1/logs/aws4_request, "
        ));
    }

    #[test]
    fn error_types_are_sanitised_like_sdks_do() {
        assert_eq!(
            error_type(
                400,
                br#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#
            ),
            "ThrottlingException"
        );
        assert_eq!(
            error_type(
                400,
                br#"{"__type":"com.amazon#InvalidParameterException:x"}"#
            ),
            "InvalidParameterException"
        );
        assert_eq!(error_type(502, b"<html>"), "HTTP 502");
        assert_eq!(
            string_member(br#"{"nextSequenceToken":"49"}"#, "nextSequenceToken"),
            Some("49".into())
        );
    }
}
