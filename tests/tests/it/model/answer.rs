//! What one request is answered with, in a form both the model and the mock can be put into.
//!
//! The type is generic over the token: the model's answers carry [`Tok`]s, the mock's carry the
//! strings it sent. Comparing the two is then a structural walk that renames tokens as it goes
//! (see `lockstep`), so nothing here needs to know what a real token looks like.

use std::fmt;

/// A sequence token as the model knows it: the `k`-th token handed out by one stream
/// incarnation (a deleted and re-created stream is a new incarnation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tok {
    /// The model's id of the stream incarnation that issued it.
    pub stream: u64,
    /// How many puts that stream had accepted when it issued it (1-based).
    pub k: u64,
}

impl fmt::Display for Tok {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "T{}.{}", self.stream, self.k)
    }
}

/// `rejectedLogEventsInfo` (CLOUDWATCH.md §4); all `None` when the member is absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Rejected {
    /// `tooNewLogEventStartIndex`: first too-new event, inclusive.
    pub too_new_start: Option<usize>,
    /// `tooOldLogEventEndIndex`: end of the too-old prefix, exclusive.
    pub too_old_end: Option<usize>,
    /// `expiredLogEventEndIndex`: end of the expired prefix, exclusive.
    pub expired_end: Option<usize>,
}

/// One stream as DescribeLogStreams shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamView<T> {
    /// `logStreamName`.
    pub name: String,
    /// `creationTime`.
    pub creation_time: i64,
    /// `firstEventTimestamp`, absent on a stream without events.
    pub first_event: Option<i64>,
    /// `lastEventTimestamp`, absent on a stream without events.
    pub last_event: Option<i64>,
    /// `lastIngestionTime`, absent on a stream without events.
    pub last_ingestion: Option<i64>,
    /// `uploadSequenceToken`, absent before the first token was handed out.
    pub upload_token: Option<T>,
    /// `storedBytes`.
    pub stored_bytes: i64,
}

/// One event as GetLogEvents returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventView {
    /// `timestamp`.
    pub timestamp: i64,
    /// `message`.
    pub message: String,
    /// `ingestionTime`.
    pub ingestion_time: i64,
}

/// What an error's `message` must say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message<T> {
    /// CLOUDWATCH.md quotes no text for this case: only the type is compared.
    Unchecked,
    /// Exactly this text (the mock's messages are always parsed into this form).
    Exact(String),
    /// InvalidSequenceTokenException's text naming the expected token, or `null` (§1.4, §3.1).
    InvalidToken(Option<T>),
    /// DataAlreadyAcceptedException's text naming the next token (§1.4, §3.1).
    AlreadyAccepted(T),
}

/// An error answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure<T> {
    /// The bare `__type`.
    pub kind: String,
    /// The `expectedSequenceToken` member, when present.
    pub expected: Option<T>,
    /// The `message` member.
    pub message: Message<T>,
}

/// The answer to one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer<T> {
    /// A void operation succeeded (`{}`).
    Done,
    /// PutLogEvents succeeded.
    Put {
        /// `nextSequenceToken`, when present.
        next: Option<T>,
        /// `rejectedLogEventsInfo`.
        rejected: Rejected,
    },
    /// DescribeLogGroups: the group names, in the order given.
    Groups(Vec<String>),
    /// DescribeLogStreams: the streams, in the order given.
    Streams(Vec<StreamView<T>>),
    /// GetLogEvents read from the head: the events, in the order given.
    Events(Vec<EventView>),
    /// Any error.
    Error(Failure<T>),
}

impl<T> Answer<T> {
    /// An error with only a type and a message (no modeled extra member).
    pub fn error(kind: &str, message: Message<T>) -> Self {
        Answer::Error(Failure {
            kind: kind.to_owned(),
            expected: None,
            message,
        })
    }

    /// `InvalidParameterException` with exactly `text`.
    pub fn invalid_parameter(text: &str) -> Self {
        Self::error("InvalidParameterException", Message::Exact(text.to_owned()))
    }
}

impl<T: fmt::Display> fmt::Display for Answer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let opt = |t: &Option<T>| t.as_ref().map_or("-".to_owned(), |t| t.to_string());
        match self {
            Answer::Done => write!(f, "ok"),
            Answer::Put { next, rejected } => {
                write!(f, "ok next={}", opt(next))?;
                if *rejected != Rejected::default() {
                    write!(f, " rejected={rejected:?}")?;
                }
                Ok(())
            }
            Answer::Groups(names) => write!(f, "groups={names:?}"),
            Answer::Streams(streams) => {
                let shown: Vec<String> = streams
                    .iter()
                    .map(|s| format!("{}(token={})", s.name, opt(&s.upload_token)))
                    .collect();
                write!(f, "streams=[{}]", shown.join(", "))
            }
            Answer::Events(events) => {
                let shown: Vec<String> = events
                    .iter()
                    .map(|e| format!("({}, {:?})", e.timestamp, e.message))
                    .collect();
                write!(f, "events=[{}]", shown.join(", "))
            }
            Answer::Error(e) => {
                write!(f, "{}", e.kind)?;
                if let Some(t) = &e.expected {
                    write!(f, " expected={t}")?;
                }
                Ok(())
            }
        }
    }
}
