//! PutLogEvents' input as typed, borrowed values: what [`crate::service`] validates and stores.
//!
//! It is read one of two ways, which must agree: straight from the JSON text by
//! [`crate::protocol::put_json`] (the fast path, for the bodies SDKs send), or from the general
//! `serde_json::Value` body by [`PutInput::from_members`], which also produces AWS's
//! `SerializationException`s for members of the wrong type. Messages are borrowed either way, so a
//! message is copied once, into the store.

use crate::protocol::errors::ApiError;
use crate::protocol::members::Members;

/// One item of `logEvents`; `None` members were absent (or `null`, or the item itself was `null`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct EventInput<'a> {
    /// `timestamp`.
    pub timestamp: Option<i64>,
    /// `message`.
    pub message: Option<&'a str>,
}

/// The members of one PutLogEvents request the mock reads; absent members are `None`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PutInput<'a> {
    /// `logGroupName`.
    pub log_group_name: Option<&'a str>,
    /// `logStreamName`.
    pub log_stream_name: Option<&'a str>,
    /// `sequenceToken`.
    pub sequence_token: Option<&'a str>,
    /// `logEvents`, in request order.
    pub log_events: Option<Vec<EventInput<'a>>>,
}

impl<'a> PutInput<'a> {
    /// Reads the input from a parsed JSON body, failing as AWS does on a member of the wrong type.
    /// The order of the checks fixes which error wins when several members are wrong: the names,
    /// the token, the list and its items' shapes, then each item's members in order.
    pub(crate) fn from_members(m: &Members<'a>) -> Result<Self, ApiError> {
        let log_group_name = m.string("logGroupName")?;
        let log_stream_name = m.string("logStreamName")?;
        let sequence_token = m.string("sequenceToken")?;
        let log_events = match m.object_list("logEvents")? {
            None => None,
            Some(items) => Some(
                items
                    .iter()
                    .map(|item| match item {
                        Some(e) => Ok(EventInput {
                            timestamp: e.long("timestamp")?,
                            message: e.string("message")?,
                        }),
                        None => Ok(EventInput {
                            timestamp: None,
                            message: None,
                        }),
                    })
                    .collect::<Result<Vec<_>, ApiError>>()?,
            ),
        };
        Ok(Self {
            log_group_name,
            log_stream_name,
            sequence_token,
            log_events,
        })
    }
}
