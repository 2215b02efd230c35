//! The store as plain data: what a state file holds.
//!
//! A save copies one stream at a time under that stream's lock (a copy that shares the events'
//! chunks, so the lock is held for a pointer per 256 events, not for the disk), so it never stops
//! writers on other streams and barely delays those on the stream it copies; it is consistent per stream, which is all a restart needs (the
//! service itself gives no cross-stream ordering). The legacy race window's memory of the token a
//! put just replaced is not saved: a restart closes every open window.

use std::collections::BTreeMap;

use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize, Serializer};

use crate::service::store::{
    AcceptedBatch, EventLog, GroupSettings, LogGroup, LogStream, Store, StoredEvent,
};

/// Every group, stream and event of a store.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct StoreSnapshot {
    /// The log groups, by name order.
    pub groups: Vec<GroupSnapshot>,
}

/// One log group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct GroupSnapshot {
    /// The group's name.
    pub name: String,
    /// Creation time, ms since the epoch.
    pub creation_time: i64,
    /// Retention in days, when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention_in_days: Option<i64>,
    /// Tags.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// The KMS key given at creation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
    /// The log group class.
    pub log_group_class: String,
    /// Whether deletion protection is on.
    #[serde(default)]
    pub deletion_protection_enabled: bool,
    /// The LSN of the group's last change when it was saved (0 in files without a journal).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub lsn: u64,
    /// The streams, by name order.
    pub streams: Vec<StreamSnapshot>,
}

/// One log stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct StreamSnapshot {
    /// The stream's name.
    pub name: String,
    /// Creation time, ms since the epoch.
    pub creation_time: i64,
    /// The store-wide id that the stream's sequence tokens embed.
    pub id: u64,
    /// Puts that advanced the sequence token.
    pub accepted_puts: u64,
    /// The last accepted batch, for replay detection in strict mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_batch: Option<BatchSnapshot>,
    /// The LSN of the stream's last change when it was saved (0 in files without a journal).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub lsn: u64,
    /// The events, in stream order.
    pub events: Vec<EventSnapshot>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// The largest counter (event sequence number, accepted puts, stream id, LSN) a state file may
/// hold: far beyond anything a run reaches, and far enough below `u64::MAX` that the counters
/// restored from it cannot wrap (issue 20: `seq` = u64::MAX loaded and wrapped).
pub(crate) const MAX_COUNTER: u64 = 1 << 62;

/// The last accepted batch of a stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct BatchSnapshot {
    /// The token it was sent with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// Its messages.
    pub messages: Vec<String>,
}

/// One stored event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct EventSnapshot {
    /// The client's timestamp.
    pub timestamp: i64,
    /// When the mock stored it.
    pub ingestion_time: i64,
    /// The message.
    pub message: String,
    /// The store-wide acceptance order.
    pub seq: u64,
}

impl StoreSnapshot {
    /// Loads this snapshot into an empty `store`, keeping stream ids (so sequence tokens handed
    /// out before the restart stay valid) and moving the store's counters past every restored id
    /// and event sequence number. Fails, naming the duplicate, if a name appears twice.
    pub(crate) fn restore_into(self, store: &Store) -> Result<u64, String> {
        let mut max_seq = None::<u64>;
        let mut max_lsn = 0u64;
        let in_range = |what: &str, value: u64, place: &dyn Fn() -> String| {
            if value >= MAX_COUNTER {
                Err(format!(
                    "{}: {what} {value} is out of range (at most {})",
                    place(),
                    MAX_COUNTER - 1
                ))
            } else {
                Ok(())
            }
        };
        for g in self.groups {
            in_range("lsn", g.lsn, &|| format!("log group {:?}", g.name))?;
            max_lsn = max_lsn.max(g.lsn);
            let settings = GroupSettings {
                retention_in_days: g.retention_in_days,
                tags: g.tags,
                kms_key_id: g.kms_key_id,
                log_group_class: g.log_group_class,
                deletion_protection_enabled: g.deletion_protection_enabled,
            };
            let group = store
                .restore_group(&g.name, g.creation_time, settings, g.lsn)
                .map_err(|_| format!("log group {:?} appears twice", g.name))?;
            for s in g.streams {
                let place = || format!("log stream {:?} of log group {:?}", s.name, g.name);
                if group.stream(&s.name).is_some() {
                    return Err(format!("{} appears twice", place()));
                }
                in_range("id", s.id, &place)?;
                in_range("acceptedPuts", s.accepted_puts, &place)?;
                in_range("lsn", s.lsn, &place)?;
                max_lsn = max_lsn.max(s.lsn);
                for e in &s.events {
                    in_range("seq", e.seq, &place)?;
                }
                let stream = store.restore_stream(&group, &s.name, s.creation_time, s.id, s.lsn);
                let mut state = stream.lock();
                let mut events: Vec<StoredEvent> = s
                    .events
                    .into_iter()
                    .map(|e| StoredEvent {
                        timestamp: e.timestamp,
                        ingestion_time: e.ingestion_time,
                        message: e.message.into_boxed_str(),
                        seq: e.seq,
                    })
                    .collect();
                if let Some(m) = events.iter().map(|e| e.seq).max() {
                    max_seq = Some(max_seq.map_or(m, |x| x.max(m)));
                }
                // A hand-edited file may be out of order; the store relies on timestamp order.
                events.sort_by_key(|e| (e.timestamp, e.seq));
                state.append(events);
                state.accepted_puts = s.accepted_puts;
                state.last_batch = s.last_batch.map(|b| AcceptedBatch {
                    token: b.token,
                    messages: b.messages,
                });
            }
        }
        if let Some(m) = max_seq {
            store.advance_event_seq(m + 1);
        }
        // Events went in through the stream locks, not through puts: the store-wide byte count
        // behind `max_stored_bytes` must be rebuilt from them.
        store.recount_stored_bytes();
        Ok(max_lsn)
    }
}

/// The live store, serialised in the snapshot's shape one stream at a time, straight into the
/// writer: saving holds no copy of the messages, only shared chunks of one stream's events (issue
/// 20: a save cloned every message and built the file in memory, 313 MB of store peaking at
/// 925 MB).
pub(crate) struct LiveStore<'a>(pub(crate) &'a Store);

impl Serialize for LiveStore<'_> {
    fn serialize<S: Serializer>(&self, out: S) -> Result<S::Ok, S::Error> {
        let mut snapshot = out.serialize_struct("StoreSnapshot", 1)?;
        let groups = self.0.groups();
        snapshot.serialize_field("groups", &Views(&groups, |g| LiveGroup(g)))?;
        snapshot.end()
    }
}

/// Serialises a slice of `T` as a sequence of the views `V` wraps them in.
struct Views<'a, T, V>(&'a [T], fn(&'a T) -> V);

impl<'a, T, V: Serialize> Serialize for Views<'a, T, V> {
    fn serialize<S: Serializer>(&self, out: S) -> Result<S::Ok, S::Error> {
        out.collect_seq(self.0.iter().map(self.1))
    }
}

/// A stream's events, serialised in order straight from the log.
struct LiveEvents<'a>(&'a EventLog);

impl Serialize for LiveEvents<'_> {
    fn serialize<S: Serializer>(&self, out: S) -> Result<S::Ok, S::Error> {
        out.collect_seq(self.0.iter().map(LiveEvent))
    }
}

struct LiveGroup<'a>(&'a LogGroup);

impl Serialize for LiveGroup<'_> {
    fn serialize<S: Serializer>(&self, out: S) -> Result<S::Ok, S::Error> {
        let group = self.0;
        // The LSN first: what is read after it is at least as new, and replaying the journal
        // from it again is harmless (see `ChangeLog` in `service/store.rs`).
        let lsn = group.lsn();
        let settings = group.settings().clone();
        let streams = group.streams();
        let mut g = out.serialize_struct("GroupSnapshot", 9)?;
        g.serialize_field("name", &group.name)?;
        g.serialize_field("creationTime", &group.creation_time)?;
        if let Some(days) = settings.retention_in_days {
            g.serialize_field("retentionInDays", &days)?;
        }
        g.serialize_field("tags", &settings.tags)?;
        if let Some(key) = &settings.kms_key_id {
            g.serialize_field("kmsKeyId", key)?;
        }
        g.serialize_field("logGroupClass", &settings.log_group_class)?;
        g.serialize_field(
            "deletionProtectionEnabled",
            &settings.deletion_protection_enabled,
        )?;
        if lsn != 0 {
            g.serialize_field("lsn", &lsn)?;
        }
        g.serialize_field("streams", &Views(&streams, |s| LiveStream(s)))?;
        g.end()
    }
}

struct LiveStream<'a>(&'a LogStream);

impl Serialize for LiveStream<'_> {
    fn serialize<S: Serializer>(&self, out: S) -> Result<S::Ok, S::Error> {
        let stream = self.0;
        // A copy under the lock that shares the events' chunks (see `EventLog`), written out
        // after the lock is released: writers on this stream wait for a pointer per 256 events,
        // not for the disk.
        let (accepted_puts, last_batch, lsn, events) = {
            let state = stream.lock();
            (
                state.accepted_puts,
                state.last_batch.clone(),
                state.lsn,
                state.events.clone(),
            )
        };
        let mut s = out.serialize_struct("StreamSnapshot", 7)?;
        s.serialize_field("name", &stream.name)?;
        s.serialize_field("creationTime", &stream.creation_time)?;
        s.serialize_field("id", &stream.id)?;
        s.serialize_field("acceptedPuts", &accepted_puts)?;
        if let Some(batch) = &last_batch {
            s.serialize_field("lastBatch", &LiveBatch(batch))?;
        }
        if lsn != 0 {
            s.serialize_field("lsn", &lsn)?;
        }
        s.serialize_field("events", &LiveEvents(&events))?;
        s.end()
    }
}

struct LiveBatch<'a>(&'a AcceptedBatch);

impl Serialize for LiveBatch<'_> {
    fn serialize<S: Serializer>(&self, out: S) -> Result<S::Ok, S::Error> {
        let mut b = out.serialize_struct("BatchSnapshot", 2)?;
        if let Some(token) = &self.0.token {
            b.serialize_field("token", token)?;
        }
        b.serialize_field("messages", &self.0.messages)?;
        b.end()
    }
}

struct LiveEvent<'a>(&'a StoredEvent);

impl Serialize for LiveEvent<'_> {
    fn serialize<S: Serializer>(&self, out: S) -> Result<S::Ok, S::Error> {
        let e = self.0;
        let mut m = out.serialize_struct("EventSnapshot", 4)?;
        m.serialize_field("timestamp", &e.timestamp)?;
        m.serialize_field("ingestionTime", &e.ingestion_time)?;
        m.serialize_field("message", &e.message)?;
        m.serialize_field("seq", &e.seq)?;
        m.end()
    }
}
