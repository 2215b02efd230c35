//! The store as plain data: what a state file holds.
//!
//! A snapshot copies one stream at a time under that stream's lock, so taking it never stops
//! writers on other streams; it is consistent per stream, which is all a restart needs (the
//! service itself gives no cross-stream ordering). The legacy race window's memory of the token a
//! put just replaced is not saved: a restart closes every open window.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::service::store::{AcceptedBatch, GroupSettings, Store, StoredEvent};

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
    /// The events, in stream order.
    pub events: Vec<EventSnapshot>,
}

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
    /// Copies `store`.
    pub(crate) fn take(store: &Store) -> Self {
        let groups = store
            .groups()
            .iter()
            .map(|group| {
                let settings = group.settings().clone();
                let streams = group
                    .streams()
                    .iter()
                    .map(|stream| {
                        let state = stream.lock();
                        StreamSnapshot {
                            name: stream.name.clone(),
                            creation_time: stream.creation_time,
                            id: stream.id,
                            accepted_puts: state.accepted_puts,
                            last_batch: state.last_batch.as_ref().map(|b| BatchSnapshot {
                                token: b.token.clone(),
                                messages: b.messages.clone(),
                            }),
                            events: state
                                .events
                                .iter()
                                .map(|e| EventSnapshot {
                                    timestamp: e.timestamp,
                                    ingestion_time: e.ingestion_time,
                                    message: e.message.clone(),
                                    seq: e.seq,
                                })
                                .collect(),
                        }
                    })
                    .collect();
                GroupSnapshot {
                    name: group.name.clone(),
                    creation_time: group.creation_time,
                    retention_in_days: settings.retention_in_days,
                    tags: settings.tags,
                    kms_key_id: settings.kms_key_id,
                    log_group_class: settings.log_group_class,
                    deletion_protection_enabled: settings.deletion_protection_enabled,
                    streams,
                }
            })
            .collect();
        Self { groups }
    }

    /// Loads this snapshot into an empty `store`, keeping stream ids (so sequence tokens handed
    /// out before the restart stay valid) and moving the store's counters past every restored id
    /// and event sequence number. Fails, naming the duplicate, if a name appears twice.
    pub(crate) fn restore_into(self, store: &Store) -> Result<(), String> {
        let mut max_seq = None::<u64>;
        for g in self.groups {
            let settings = GroupSettings {
                retention_in_days: g.retention_in_days,
                tags: g.tags,
                kms_key_id: g.kms_key_id,
                log_group_class: g.log_group_class,
                deletion_protection_enabled: g.deletion_protection_enabled,
            };
            let group = store
                .create_group(&g.name, g.creation_time, settings)
                .map_err(|_| format!("log group {:?} appears twice", g.name))?;
            for s in g.streams {
                if group.stream(&s.name).is_some() {
                    return Err(format!(
                        "log stream {:?} appears twice in log group {:?}",
                        s.name, g.name
                    ));
                }
                let stream = store.restore_stream(&group, &s.name, s.creation_time, s.id);
                let mut state = stream.lock();
                let mut events: Vec<StoredEvent> = s
                    .events
                    .into_iter()
                    .map(|e| StoredEvent {
                        timestamp: e.timestamp,
                        ingestion_time: e.ingestion_time,
                        message: e.message,
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
        Ok(())
    }
}
