//! The reference model: CloudWatch Logs' groups, streams and sequence tokens, written from
//! `/work/shared/CLOUDWATCH.md` (§2 operations, §3 tokens, §4 validation) and kept small enough to
//! check by reading.
//!
//! Where CLOUDWATCH.md leaves a behaviour open, the model does what cwlogs-mock does and says so in
//! a comment naming the section ("open: follows the mock").

use std::collections::BTreeMap;

use super::answer::{Answer, EventView, Failure, Message, Rejected, StreamView, Tok};
use super::request::{InputEvent, Request, SentToken};

/// Bytes added to every message when sizing events and batches (§4).
const EVENT_OVERHEAD: usize = 26;
const HOUR_MS: i64 = 60 * 60 * 1000;
const DAY_MS: i64 = 24 * HOUR_MS;
/// Events later than now + 2 h are dropped (§4).
const MAX_FUTURE_MS: i64 = 2 * HOUR_MS;
/// Events earlier than now − 14 d are dropped (§4).
const MAX_AGE_MS: i64 = 14 * DAY_MS;
/// A batch may span at most 24 h (§4).
const MAX_SPAN_MS: i64 = DAY_MS;

/// The two token semantics of §3.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tokens {
    /// Before 2023 (§3.1): every put after the first must carry the expected token.
    Strict,
    /// Since 2023 (§3.2): the token is ignored; one is still returned.
    Current,
}

/// The batch limits of §4, which the suite lowers so that small batches reach them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchLimits {
    /// Most events in one batch.
    pub max_events: usize,
    /// Largest event, message bytes + 26.
    pub max_event_bytes: usize,
    /// Largest batch, Σ(message bytes + 26).
    pub max_batch_bytes: usize,
}

impl Default for BatchLimits {
    /// The values of §4: 10,000 events, 1 MB per event (since April 2025), 1,048,576 B per batch.
    fn default() -> Self {
        Self {
            max_events: 10_000,
            max_event_bytes: 1_048_576,
            max_batch_bytes: 1_048_576,
        }
    }
}

/// The last batch a strict stream accepted, kept to recognise a resend (§3.1).
#[derive(Debug, Clone)]
struct LastBatch {
    /// The token it was sent with (none for a stream's first put).
    token: Option<Tok>,
    messages: Vec<String>,
}

#[derive(Debug, Clone)]
struct Stream {
    /// Which incarnation this is; tokens carry it, so they never fit another stream.
    id: u64,
    creation_time: i64,
    /// Stored events in read order.
    events: Vec<EventView>,
    /// Tokens handed out so far; the current token is `Tok { stream: id, k: tokens }`.
    tokens: u64,
    last_batch: Option<LastBatch>,
    last_ingestion: Option<i64>,
}

impl Stream {
    fn current_token(&self) -> Option<Tok> {
        (self.tokens > 0).then_some(Tok {
            stream: self.id,
            k: self.tokens,
        })
    }
}

/// One log group: its retention and its streams by name.
#[derive(Debug, Clone, Default)]
struct Group {
    /// Days after which events count as expired (§4); none: never.
    retention_days: Option<i64>,
    streams: BTreeMap<String, Stream>,
}

/// The whole service: groups by name, each with its streams by name (byte order, as AWS lists
/// them, §2).
#[derive(Debug, Clone)]
pub struct Model {
    mode: Tokens,
    limits: BatchLimits,
    groups: BTreeMap<String, Group>,
    next_stream_id: u64,
}

fn group_not_found<T>() -> Answer<T> {
    Answer::error(
        "ResourceNotFoundException",
        Message::Exact("The specified log group does not exist.".into()),
    )
}

fn stream_not_found<T>() -> Answer<T> {
    Answer::error(
        "ResourceNotFoundException",
        Message::Exact("The specified log stream does not exist.".into()),
    )
}

/// A model-constraint failure whose exact text CLOUDWATCH.md does not give.
fn constraint_violated<T>() -> Answer<T> {
    Answer::error("InvalidParameterException", Message::Unchecked)
}

/// `logStreamName`: 1–512 characters, none of them `:` or `*` (§2).
fn valid_stream_name(name: &str) -> bool {
    (1..=512).contains(&name.chars().count()) && !name.contains([':', '*'])
}

/// `logGroupName`: 1–512 of `[.\-_/#A-Za-z0-9]` (§2).
fn valid_group_name(name: &str) -> bool {
    (1..=512).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".-_/#".contains(&b))
}

impl Model {
    /// An empty service with the given token semantics and batch limits.
    pub fn new(mode: Tokens, limits: BatchLimits) -> Self {
        Self {
            mode,
            limits,
            groups: BTreeMap::new(),
            next_stream_id: 1,
        }
    }

    /// The token `group/stream` expects next, if it exists and has handed one out.
    pub fn expected_token(&self, group: &str, stream: &str) -> Option<Tok> {
        self.groups.get(group)?.streams.get(stream)?.current_token()
    }

    /// Every (group, stream) pair, in listing order.
    pub fn streams(&self) -> Vec<(String, String)> {
        self.groups
            .iter()
            .flat_map(|(g, group)| group.streams.keys().map(move |s| (g.clone(), s.clone())))
            .collect()
    }

    /// Every group name, in listing order.
    pub fn groups(&self) -> Vec<String> {
        self.groups.keys().cloned().collect()
    }

    /// Answers `request` at time `now`, changing the model as the service would.
    pub fn apply(&mut self, request: &Request, now: i64) -> Answer<Tok> {
        match request {
            Request::CreateLogGroup { group } => self.create_group(group),
            Request::DeleteLogGroup { group } => self.delete_group(group),
            Request::CreateLogStream { group, stream } => self.create_stream(group, stream, now),
            Request::DeleteLogStream { group, stream } => self.delete_stream(group, stream),
            Request::PutLogEvents {
                group,
                stream,
                token,
                events,
            } => self.put(group, stream, token, events, now),
            Request::PutRetentionPolicy { group, days } => self.set_retention(group, Some(*days)),
            Request::DeleteRetentionPolicy { group } => self.set_retention(group, None),
            Request::DescribeLogGroups => Answer::Groups(self.groups()),
            Request::DescribeLogStreams { group } => self.describe_streams(group),
            Request::GetLogEvents { group, stream } => self.get_events(group, stream),
        }
    }

    fn create_group(&mut self, group: &str) -> Answer<Tok> {
        if !valid_group_name(group) {
            return constraint_violated();
        }
        if self.groups.contains_key(group) {
            // §1.4: no trailing period on this one.
            return Answer::error(
                "ResourceAlreadyExistsException",
                Message::Exact("The specified log group already exists".into()),
            );
        }
        self.groups.insert(group.to_owned(), Group::default());
        Answer::Done
    }

    fn delete_group(&mut self, group: &str) -> Answer<Tok> {
        if !valid_group_name(group) {
            return constraint_violated();
        }
        match self.groups.remove(group) {
            Some(_) => Answer::Done,
            None => group_not_found(),
        }
    }

    fn create_stream(&mut self, group: &str, stream: &str, now: i64) -> Answer<Tok> {
        if !valid_group_name(group) || !valid_stream_name(stream) {
            return constraint_violated();
        }
        let id = self.next_stream_id;
        let Some(Group { streams, .. }) = self.groups.get_mut(group) else {
            return group_not_found();
        };
        if streams.contains_key(stream) {
            return Answer::error(
                "ResourceAlreadyExistsException",
                Message::Exact("The specified log stream already exists".into()),
            );
        }
        self.next_stream_id += 1;
        streams.insert(
            stream.to_owned(),
            Stream {
                id,
                creation_time: now,
                events: Vec::new(),
                tokens: 0,
                last_batch: None,
                last_ingestion: None,
            },
        );
        Answer::Done
    }

    fn delete_stream(&mut self, group: &str, stream: &str) -> Answer<Tok> {
        if !valid_group_name(group) || !valid_stream_name(stream) {
            return constraint_violated();
        }
        let Some(Group { streams, .. }) = self.groups.get_mut(group) else {
            return group_not_found();
        };
        match streams.remove(stream) {
            Some(_) => Answer::Done,
            None => stream_not_found(),
        }
    }

    fn set_retention(&mut self, group: &str, days: Option<i64>) -> Answer<Tok> {
        // §2: the only periods AWS accepts.
        const VALID_DAYS: &[i64] = &[
            1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
            2922, 3288, 3653,
        ];
        if !valid_group_name(group) || days.is_some_and(|d| !VALID_DAYS.contains(&d)) {
            return constraint_violated();
        }
        match self.groups.get_mut(group) {
            Some(g) => {
                g.retention_days = days;
                Answer::Done
            }
            None => group_not_found(),
        }
    }

    fn describe_streams(&self, group: &str) -> Answer<Tok> {
        let Some(Group { streams, .. }) = self.groups.get(group) else {
            return group_not_found();
        };
        Answer::Streams(
            streams
                .iter()
                .map(|(name, s)| StreamView {
                    name: name.clone(),
                    creation_time: s.creation_time,
                    first_event: s.events.iter().map(|e| e.timestamp).min(),
                    last_event: s.events.iter().map(|e| e.timestamp).max(),
                    // §2 calls these eventually consistent; open: the model shows them at once,
                    // as the mock does.
                    last_ingestion: s.last_ingestion,
                    // §2 says streams without events omit the token (moto's comment, not
                    // verified); open: the model shows it as soon as one was handed out, as the
                    // mock does (in current mode a put whose events were all dropped hands one
                    // out too).
                    upload_token: s.current_token(),
                    // §2: always 0 for streams since 2019.
                    stored_bytes: 0,
                })
                .collect(),
        )
    }

    fn get_events(&self, group: &str, stream: &str) -> Answer<Tok> {
        if !valid_stream_name(stream) {
            return constraint_violated();
        }
        let Some(Group { streams, .. }) = self.groups.get(group) else {
            return group_not_found();
        };
        match streams.get(stream) {
            Some(s) => Answer::Events(s.events.clone()),
            None => stream_not_found(),
        }
    }

    /// The checks that refuse a whole batch before the group, stream or token are looked at.
    ///
    /// §4: "Order of the hard checks is undocumented"; open: the model uses the mock's order —
    /// model constraints, event too large, upload too large, chronological order.
    fn refuse_batch(
        &self,
        stream: &str,
        token: &SentToken,
        events: &[InputEvent],
    ) -> Option<Answer<Tok>> {
        // Each violation with the text §4 quotes for it, where it quotes one.
        let mut violations: Vec<Option<String>> = Vec::new();
        if !valid_stream_name(stream) {
            violations.push(None);
        }
        if events.is_empty() {
            violations.push(Some(
                "Value '[]' at 'logEvents' failed to satisfy constraint: Member must have length \
                 greater than or equal to 1"
                    .into(),
            ));
        }
        if events.len() > self.limits.max_events {
            violations.push(None);
        }
        for (i, e) in events.iter().enumerate() {
            if e.message.is_empty() {
                violations.push(Some(format!(
                    "Value '' at 'logEvents.{}.member.message' failed to satisfy constraint: \
                     Member must have length greater than or equal to 1",
                    i + 1
                )));
            }
        }
        // An empty `sequenceToken`: §1.4 says model-constraint failures are
        // InvalidParameterException but does not quote this member's constraint. Open: strict mode
        // refuses it (length ≥ 1, as other string members) and current mode does not look at the
        // token at all (§3.2 "ignored"), as the mock does.
        if self.mode == Tokens::Strict && *token == SentToken::Garbage("") {
            violations.push(None);
        }
        match violations.as_slice() {
            [] => {}
            // §1.4/§4 quote the one-violation form only.
            [Some(text)] => {
                return Some(Answer::invalid_parameter(&format!(
                    "1 validation error detected: {text}"
                )))
            }
            _ => return Some(constraint_violated()),
        }
        // §7: whether the 26 bytes count towards the event limit is unconfirmed; open: they do,
        // as in the mock (and amekkawi/cwlogs-writable#18's measurement).
        if let Some(size) = events
            .iter()
            .map(|e| e.message.len() + EVENT_OVERHEAD)
            .find(|size| *size > self.limits.max_event_bytes)
        {
            return Some(Answer::invalid_parameter(&format!(
                "Log event too large: {size} bytes exceeds limit of {}",
                self.limits.max_event_bytes
            )));
        }
        let total: usize = events
            .iter()
            .map(|e| e.message.len() + EVENT_OVERHEAD)
            .sum();
        if total > self.limits.max_batch_bytes {
            return Some(Answer::invalid_parameter(&format!(
                "Upload too large: {total} bytes exceeds limit of {}",
                self.limits.max_batch_bytes
            )));
        }
        if events.windows(2).any(|w| w[1].timestamp < w[0].timestamp) {
            return Some(Answer::invalid_parameter(
                "Log events in a single PutLogEvents request must be in chronological order.",
            ));
        }
        None
    }

    fn put(
        &mut self,
        group: &str,
        stream: &str,
        token: &SentToken,
        events: &[InputEvent],
        now: i64,
    ) -> Answer<Tok> {
        if let Some(refusal) = self.refuse_batch(stream, token, events) {
            return refusal;
        }
        let mode = self.mode;
        let Some(Group {
            streams,
            retention_days,
        }) = self.groups.get_mut(group)
        else {
            return group_not_found();
        };
        let Some(s) = streams.get_mut(stream) else {
            return stream_not_found();
        };

        // §4: too old and expired are prefixes ending at exclusive indexes, too new a suffix
        // starting at an inclusive one (the batch is chronological by now).
        let older_than = |age_ms: i64| events.iter().filter(|e| e.timestamp < now - age_ms).count();
        let too_old = older_than(MAX_AGE_MS);
        let expired = retention_days.map_or(0, |days| older_than(days * DAY_MS));
        // Open (§4 does not say how an event both too old and expired is reported): as too old,
        // with `expiredLogEventEndIndex` only when retention drops more, as the mock does.
        let dropped_head = too_old.max(expired);
        let too_new_start = events
            .iter()
            .position(|e| e.timestamp > now + MAX_FUTURE_MS);
        let kept = &events[dropped_head..too_new_start.unwrap_or(events.len()).max(dropped_head)];
        // §4: since mid-2025 the span is measured over the valid events only.
        if let (Some(first), Some(last)) = (kept.first(), kept.last()) {
            if last.timestamp - first.timestamp > MAX_SPAN_MS {
                return Answer::invalid_parameter(
                    "The batch of log events in a single PutLogEvents request cannot span more \
                     than 24 hours.",
                );
            }
        }
        let rejected = Rejected {
            too_new_start,
            too_old_end: (too_old > 0).then_some(too_old),
            expired_end: (expired > too_old).then_some(expired),
        };

        let expected = s.current_token();
        if mode == Tokens::Strict {
            let sent = match token {
                SentToken::Absent => None,
                SentToken::Issued(t) => Some(Some(*t)),
                SentToken::Garbage(_) => Some(None),
            };
            // `sent` is None for no token, Some(None) for a token that is not one of ours.
            let matches = match (sent, expected) {
                (None, None) => true,
                (Some(Some(t)), Some(e)) => t == e,
                _ => false,
            };
            if !matches {
                // §3.1: an accepted batch again (same messages; timestamps may differ) with the
                // token it was accepted under. Open (§3.1 does not say how far back the service
                // remembers): only the last accepted batch counts, as in the mock.
                let resend = s.last_batch.as_ref().is_some_and(|b| {
                    let same_token = match (sent, b.token) {
                        (None, None) => true,
                        (Some(Some(t)), Some(bt)) => t == bt,
                        _ => false,
                    };
                    same_token
                        && b.messages.len() == events.len()
                        && b.messages.iter().zip(events).all(|(m, e)| *m == e.message)
                });
                return match (resend, expected) {
                    (true, Some(next)) => Answer::Error(Failure {
                        kind: "DataAlreadyAcceptedException".into(),
                        expected: Some(next),
                        message: Message::AlreadyAccepted(next),
                    }),
                    // §1.4: a stream that expects no token says `null`; open: with no
                    // `expectedSequenceToken` member, as the mock does.
                    _ => Answer::Error(Failure {
                        kind: "InvalidSequenceTokenException".into(),
                        expected,
                        message: Message::InvalidToken(expected),
                    }),
                };
            }
        }

        for e in kept {
            s.events.push(EventView {
                timestamp: e.timestamp,
                message: e.message.clone(),
                ingestion_time: now,
            });
        }
        if !kept.is_empty() {
            s.last_ingestion = Some(now);
            // §2 leaves GetLogEvents' order open (FilterLogEvents sorts by time, then ingestion);
            // open: the model keeps the stream sorted by timestamp, ties in arrival order, as the
            // mock does.
            s.events.sort_by_key(|e| e.timestamp);
        }
        // §3.1: the legacy service returned no token (and so did not move it) when every event
        // was dropped. §3.2 shows today's service returning one with a dropped event; open:
        // today's mode hands one out even when all were dropped, as the mock does.
        let advance = mode == Tokens::Current || !kept.is_empty();
        if !advance {
            return Answer::Put {
                next: None,
                rejected,
            };
        }
        s.tokens += 1;
        if mode == Tokens::Strict {
            s.last_batch = Some(LastBatch {
                token: expected,
                messages: events.iter().map(|e| e.message.clone()).collect(),
            });
        }
        Answer::Put {
            next: s.current_token(),
            rejected,
        }
    }
}
