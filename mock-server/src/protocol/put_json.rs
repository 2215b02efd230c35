//! The fast path for PutLogEvents bodies: read the members straight from the JSON text.
//!
//! Building a `serde_json::Value` tree for a 10,000-event body costs several allocations per event
//! (a map, two key strings, the message) and then freeing them all, and the messages are copied
//! again into the store. Here the body is kept as text and only the positions of its strings are
//! recorded; [`PutLogEventsBody::input`] hands out a [`PutInput`] whose strings borrow from it.
//!
//! The fast path only takes the shape SDKs send: an object whose members are `logGroupName`,
//! `logStreamName`, `sequenceToken` (strings) and `logEvents` (a list of objects with an integer
//! `timestamp` and a string `message`), each at most once, with no `null`s and no escapes in keys or
//! names. Anything else (unknown members, duplicates, wrong types, bad JSON) is not an error here:
//! [`PutLogEventsBody::parse`] answers `None` and the request takes the general `Value` path, which
//! owns every AWS error message. So the fast path can only ever decline, never decide differently.

use std::fmt;
use std::ops::Range;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::protocol::put_input::{EventInput, PutInput};

/// Where one string of the body is: a slice of the text, or (when it had escapes) of the decoded
/// strings kept beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Text {
    Raw(Range<usize>),
    Decoded(Range<usize>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct EventSpans {
    timestamp: Option<i64>,
    message: Option<Text>,
}

#[derive(Debug, Clone, Default)]
struct Spans {
    log_group_name: Option<Range<usize>>,
    log_stream_name: Option<Range<usize>>,
    sequence_token: Option<Range<usize>>,
    log_events: Option<Vec<EventSpans>>,
}

/// A PutLogEvents body read by the fast path: its text and where its members are in it.
#[derive(Debug, Clone)]
pub(crate) struct PutLogEventsBody {
    text: String,
    decoded: String,
    spans: Spans,
}

impl PutLogEventsBody {
    /// Reads `text` when it has the shape the fast path takes, else `None` (use the general path).
    pub(crate) fn parse(text: String) -> Option<Self> {
        let mut decoded = String::new();
        let spans = {
            let mut de = serde_json::Deserializer::from_str(&text);
            let spans = BodySeed {
                text: &text,
                decoded: &mut decoded,
            }
            .deserialize(&mut de)
            .ok()?;
            // Trailing non-whitespace makes the body invalid JSON.
            de.end().ok()?;
            spans
        };
        Some(Self {
            text,
            decoded,
            spans,
        })
    }

    /// The body's text, as received.
    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    /// A string member by its wire name, as `ApiRequest::str_member` answers it: the body has no
    /// members but the four the fast path takes, and `logEvents` is not a string.
    pub(crate) fn str_member(&self, name: &str) -> Option<&str> {
        let span = match name {
            "logGroupName" => &self.spans.log_group_name,
            "logStreamName" => &self.spans.log_stream_name,
            "sequenceToken" => &self.spans.sequence_token,
            _ => &None,
        };
        span.as_ref().map(|r| self.raw(r))
    }

    fn raw(&self, range: &Range<usize>) -> &str {
        // Spans were taken from this text, so they are in bounds and on char boundaries.
        self.text.get(range.clone()).unwrap_or_default()
    }

    /// The members, borrowed from the body.
    pub(crate) fn input(&self) -> PutInput<'_> {
        let raw = |r: &Range<usize>| self.raw(r);
        let text = |t: &Text| match t {
            Text::Raw(r) => raw(r),
            Text::Decoded(r) => self.decoded.get(r.clone()).unwrap_or_default(),
        };
        let s = &self.spans;
        PutInput {
            log_group_name: s.log_group_name.as_ref().map(raw),
            log_stream_name: s.log_stream_name.as_ref().map(raw),
            sequence_token: s.sequence_token.as_ref().map(raw),
            log_events: s.log_events.as_ref().map(|events| {
                events
                    .iter()
                    .map(|e| EventInput {
                        timestamp: e.timestamp,
                        message: e.message.as_ref().map(text),
                    })
                    .collect()
            }),
        }
    }
}

/// The position of `part`, a string borrowed from `text`, inside it.
fn span_of(text: &str, part: &str) -> Option<Range<usize>> {
    let start = (part.as_ptr() as usize).checked_sub(text.as_ptr() as usize)?;
    let end = start.checked_add(part.len())?;
    (end <= text.len()).then_some(start..end)
}

/// Any message: the fast path only needs to know that it declined.
fn decline<E: de::Error>(why: &str) -> E {
    E::custom(why)
}

struct BodySeed<'t> {
    text: &'t str,
    decoded: &'t mut String,
}

impl<'de> DeserializeSeed<'de> for BodySeed<'_> {
    type Value = Spans;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Spans, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for BodySeed<'_> {
    type Value = Spans;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a PutLogEvents body")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Spans, A::Error> {
        let mut spans = Spans::default();
        while let Some(key) = map.next_key::<&'de str>()? {
            let name_slot = match key {
                "logGroupName" => &mut spans.log_group_name,
                "logStreamName" => &mut spans.log_stream_name,
                "sequenceToken" => &mut spans.sequence_token,
                "logEvents" => {
                    if spans.log_events.is_some() {
                        return Err(decline("duplicate logEvents"));
                    }
                    spans.log_events = Some(map.next_value_seed(EventsSeed {
                        text: self.text,
                        decoded: &mut *self.decoded,
                    })?);
                    continue;
                }
                _ => return Err(decline("unknown member")),
            };
            if name_slot.is_some() {
                return Err(decline("duplicate member"));
            }
            let value = map.next_value::<&'de str>()?;
            *name_slot = Some(span_of(self.text, value).ok_or_else(|| decline("not in body"))?);
        }
        Ok(spans)
    }
}

struct EventsSeed<'t> {
    text: &'t str,
    decoded: &'t mut String,
}

impl<'de> DeserializeSeed<'de> for EventsSeed<'_> {
    type Value = Vec<EventSpans>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for EventsSeed<'_> {
    type Value = Vec<EventSpans>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of log events")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut events = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(16_384));
        while let Some(event) = seq.next_element_seed(EventSeed {
            text: self.text,
            decoded: &mut *self.decoded,
        })? {
            events.push(event);
        }
        Ok(events)
    }
}

struct EventSeed<'t> {
    text: &'t str,
    decoded: &'t mut String,
}

impl<'de> DeserializeSeed<'de> for EventSeed<'_> {
    type Value = EventSpans;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for EventSeed<'_> {
    type Value = EventSpans;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a log event")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut event = EventSpans {
            timestamp: None,
            message: None,
        };
        while let Some(key) = map.next_key::<&'de str>()? {
            match key {
                "timestamp" if event.timestamp.is_none() => {
                    // serde's i64 takes exactly the integers `Value::as_i64` takes: no floats,
                    // nothing above i64::MAX.
                    event.timestamp = Some(map.next_value::<i64>()?);
                }
                "message" if event.message.is_none() => {
                    event.message = Some(map.next_value_seed(MessageSeed {
                        text: self.text,
                        decoded: &mut *self.decoded,
                    })?);
                }
                _ => return Err(decline("unknown or duplicate event member")),
            }
        }
        Ok(event)
    }
}

struct MessageSeed<'t> {
    text: &'t str,
    decoded: &'t mut String,
}

impl<'de> DeserializeSeed<'de> for MessageSeed<'_> {
    type Value = Text;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Text, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for MessageSeed<'_> {
    type Value = Text;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a message string")
    }

    /// Without escapes the message is a slice of the body: nothing is copied.
    fn visit_borrowed_str<E: de::Error>(self, value: &'de str) -> Result<Text, E> {
        span_of(self.text, value)
            .map(Text::Raw)
            .ok_or_else(|| decline("not in body"))
    }

    /// With escapes serde_json hands over the decoded text; keep it beside the body.
    fn visit_str<E: de::Error>(self, value: &str) -> Result<Text, E> {
        let start = self.decoded.len();
        self.decoded.push_str(value);
        Ok(Text::Decoded(start..self.decoded.len()))
    }
}

#[cfg(test)]
mod tests;
