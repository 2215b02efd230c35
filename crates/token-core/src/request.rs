//! Requests the writer asks its driver to send.

use crate::event::{EventId, LogEvent};
use crate::limits::EVENT_OVERHEAD_BYTES;
use core::fmt;
use core::ops::{Deref, Range};
use std::sync::Arc;

/// The identity of one request; answer it with
/// [`handle_response`](crate::StreamWriter::handle_response). Every attempt, resends included, gets
/// a new id, so a late answer to an abandoned attempt is recognised and ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RequestId(pub u64);

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "request#{}", self.0)
    }
}

/// One request to send to CloudWatch Logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Pass this back with the outcome.
    pub id: RequestId,
    /// What to send.
    pub kind: RequestKind,
}

/// The operation to call and its input.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequestKind {
    /// `CreateLogGroup`.
    CreateLogGroup {
        /// `logGroupName`.
        log_group: String,
    },
    /// `PutRetentionPolicy`, sent after the writer created the group and a retention is configured.
    PutRetentionPolicy {
        /// `logGroupName`.
        log_group: String,
        /// `retentionInDays`.
        retention_days: u32,
    },
    /// `CreateLogStream`.
    CreateLogStream {
        /// `logGroupName`.
        log_group: String,
        /// `logStreamName`.
        log_stream: String,
    },
    /// `PutLogEvents`.
    PutLogEvents {
        /// `logGroupName`.
        log_group: String,
        /// `logStreamName`.
        log_stream: String,
        /// `logEvents`, in send order (chronological, ties in push order), within every limit.
        events: LogEvents,
        /// `sequenceToken`: send it exactly as given, and send none when `None`.
        sequence_token: Option<String>,
    },
}

impl RequestKind {
    /// The AWS operation name, e.g. `"PutLogEvents"`.
    pub fn operation(&self) -> &'static str {
        match self {
            RequestKind::CreateLogGroup { .. } => "CreateLogGroup",
            RequestKind::PutRetentionPolicy { .. } => "PutRetentionPolicy",
            RequestKind::CreateLogStream { .. } => "CreateLogStream",
            RequestKind::PutLogEvents { .. } => "PutLogEvents",
        }
    }
}

/// The events of one PutLogEvents request: a cheap, shared, read-only slice (it dereferences to
/// `[LogEvent]`). Sharing lets the writer keep the batch for a resend without copying messages.
#[derive(Clone, PartialEq, Eq)]
pub struct LogEvents {
    all: Arc<[LogEvent]>,
    ids: Arc<[EventId]>,
    range: Range<usize>,
}

impl LogEvents {
    pub(crate) fn new(all: Arc<[LogEvent]>, ids: Arc<[EventId]>, range: Range<usize>) -> Self {
        Self { all, ids, range }
    }

    /// The id of each event, parallel to the events (for tracing; the service never sees them).
    pub fn ids(&self) -> &[EventId] {
        &self.ids[self.range.clone()]
    }

    /// The size AWS charges this batch: message bytes plus 26 per event.
    pub fn batch_bytes(&self) -> usize {
        self.iter()
            .map(|e| e.message.len() + EVENT_OVERHEAD_BYTES)
            .sum()
    }

    /// The events as owned values (copies the messages).
    pub fn to_vec(&self) -> Vec<LogEvent> {
        self.deref().to_vec()
    }
}

impl Deref for LogEvents {
    type Target = [LogEvent];

    fn deref(&self) -> &[LogEvent] {
        &self.all[self.range.clone()]
    }
}

impl fmt::Debug for LogEvents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}
