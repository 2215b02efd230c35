//! The requests the suite sends, resolved to concrete values (names, the token, the events), with
//! the one-line form a failing case is printed in.

use std::fmt;

use super::answer::Tok;

const HOUR_MS: i64 = 60 * 60 * 1000;
const DAY_MS: i64 = 24 * HOUR_MS;

/// The `sequenceToken` member of one PutLogEvents request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SentToken {
    /// No `sequenceToken` member.
    Absent,
    /// A token the service handed out, named by the model.
    Issued(Tok),
    /// A string the service never handed out.
    Garbage(&'static str),
}

impl fmt::Display for SentToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SentToken::Absent => write!(f, "none"),
            SentToken::Issued(t) => write!(f, "{t}"),
            SentToken::Garbage(g) => write!(f, "{g:?}"),
        }
    }
}

/// One event of a PutLogEvents batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputEvent {
    /// ms since the epoch.
    pub timestamp: i64,
    /// The message (ASCII, so its length is its UTF-8 size).
    pub message: String,
}

/// One request, as both the model and the mock receive it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// CreateLogGroup.
    CreateLogGroup {
        /// `logGroupName`.
        group: String,
    },
    /// DeleteLogGroup.
    DeleteLogGroup {
        /// `logGroupName`.
        group: String,
    },
    /// CreateLogStream.
    CreateLogStream {
        /// `logGroupName`.
        group: String,
        /// `logStreamName`.
        stream: String,
    },
    /// DeleteLogStream.
    DeleteLogStream {
        /// `logGroupName`.
        group: String,
        /// `logStreamName`.
        stream: String,
    },
    /// PutLogEvents.
    PutLogEvents {
        /// `logGroupName`.
        group: String,
        /// `logStreamName`.
        stream: String,
        /// `sequenceToken`.
        token: SentToken,
        /// `logEvents`.
        events: Vec<InputEvent>,
    },
    /// PutRetentionPolicy.
    PutRetentionPolicy {
        /// `logGroupName`.
        group: String,
        /// `retentionInDays`.
        days: i64,
    },
    /// DeleteRetentionPolicy.
    DeleteRetentionPolicy {
        /// `logGroupName`.
        group: String,
    },
    /// DescribeLogGroups without filters.
    DescribeLogGroups,
    /// DescribeLogStreams of one group, default order (by name, ascending).
    DescribeLogStreams {
        /// `logGroupName`.
        group: String,
    },
    /// GetLogEvents of one stream from the head, as many events as one page holds.
    GetLogEvents {
        /// `logGroupName`.
        group: String,
        /// `logStreamName`.
        stream: String,
    },
}

/// `ts` relative to `now`, in days, hours and ms, so that the 2 h / 14 d / 24 h edges are visible.
fn relative(ts: i64, now: i64) -> String {
    let delta = ts.saturating_sub(now);
    if delta == 0 {
        return "now".to_owned();
    }
    let sign = if delta < 0 { '-' } else { '+' };
    let abs = delta.unsigned_abs();
    let (days, rest) = (abs / DAY_MS as u64, abs % DAY_MS as u64);
    let (hours, ms) = (rest / HOUR_MS as u64, rest % HOUR_MS as u64);
    let mut out = format!("now{sign}");
    if days > 0 {
        out.push_str(&format!("{days}d"));
    }
    if hours > 0 {
        out.push_str(&format!("{hours}h"));
    }
    if ms > 0 {
        out.push_str(&format!("{ms}ms"));
    }
    out
}

/// A message as `<len>×<first char>`; the suite's messages repeat one character.
fn shown_message(message: &str) -> String {
    match message.chars().next() {
        Some(c) => format!("{}{c}", message.len()),
        None => "0".to_owned(),
    }
}

impl Request {
    /// The operation name (`X-Amz-Target` suffix).
    pub fn operation(&self) -> &'static str {
        match self {
            Request::CreateLogGroup { .. } => "CreateLogGroup",
            Request::DeleteLogGroup { .. } => "DeleteLogGroup",
            Request::CreateLogStream { .. } => "CreateLogStream",
            Request::DeleteLogStream { .. } => "DeleteLogStream",
            Request::PutLogEvents { .. } => "PutLogEvents",
            Request::PutRetentionPolicy { .. } => "PutRetentionPolicy",
            Request::DeleteRetentionPolicy { .. } => "DeleteRetentionPolicy",
            Request::DescribeLogGroups => "DescribeLogGroups",
            Request::DescribeLogStreams { .. } => "DescribeLogStreams",
            Request::GetLogEvents { .. } => "GetLogEvents",
        }
    }

    /// One readable line, timestamps relative to `now`:
    /// `PutLogEvents app/web-1 token=T1.2 events=[(now-1000ms, 5a), …]`.
    pub fn line(&self, now: i64) -> String {
        let op = self.operation();
        match self {
            Request::CreateLogGroup { group }
            | Request::DeleteLogGroup { group }
            | Request::DeleteRetentionPolicy { group }
            | Request::DescribeLogStreams { group } => format!("{op} {group}"),
            Request::PutRetentionPolicy { group, days } => format!("{op} {group} days={days}"),
            Request::CreateLogStream { group, stream }
            | Request::DeleteLogStream { group, stream }
            | Request::GetLogEvents { group, stream } => format!("{op} {group}/{stream}"),
            Request::DescribeLogGroups => op.to_owned(),
            Request::PutLogEvents {
                group,
                stream,
                token,
                events,
            } => {
                let shown: Vec<String> = events
                    .iter()
                    .map(|e| {
                        format!(
                            "({}, {})",
                            relative(e.timestamp, now),
                            shown_message(&e.message)
                        )
                    })
                    .collect();
                format!(
                    "{op} {group}/{stream} token={token} events=[{}]",
                    shown.join(", ")
                )
            }
        }
    }
}
