//! The journal's binary form of one change: what a frame's payload holds.
//!
//! Binary rather than JSON because the journal writes every accepted message once more: JSON's
//! escaping scan was the mock's largest single cost with a state file (13.5 % of its CPU in a
//! `perf` profile of the standard workload, BENCHMARKS.md), where a length-prefixed copy is a
//! `memcpy`. Integers are little-endian; a string is its length (u32) and its UTF-8 bytes; an
//! optional value is a 0/1 byte and the value. The first byte names the change.

use std::collections::BTreeMap;

use crate::service::store::{AcceptedBatch, Change, GroupSettings, StoredEvent};

const CREATE_GROUP: u8 = 1;
const DELETE_GROUP: u8 = 2;
const SETTINGS: u8 = 3;
const CREATE_STREAM: u8 = 4;
const DELETE_STREAM: u8 = 5;
const APPEND: u8 = 6;
const CLEAR: u8 = 7;

/// A change read back from the journal.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Record {
    /// See [`Change::CreateGroup`].
    CreateGroup {
        name: String,
        creation_time: i64,
        settings: GroupSettings,
    },
    /// See [`Change::DeleteGroup`].
    DeleteGroup { name: String },
    /// See [`Change::Settings`].
    Settings {
        group: String,
        settings: GroupSettings,
    },
    /// See [`Change::CreateStream`].
    CreateStream {
        group: String,
        name: String,
        creation_time: i64,
        id: u64,
    },
    /// See [`Change::DeleteStream`].
    DeleteStream { group: String, name: String },
    /// See [`Change::Append`].
    Append {
        group: String,
        stream: String,
        stream_id: u64,
        events: Vec<StoredEvent>,
        accepted_puts: u64,
        last_batch: Option<AcceptedBatch>,
    },
    /// See [`Change::Clear`].
    Clear,
}

/// Appends the binary form of `change` to `out`.
pub(crate) fn encode(change: &Change<'_>, out: &mut Vec<u8>) {
    match *change {
        Change::CreateGroup {
            name,
            creation_time,
            settings,
        } => {
            out.push(CREATE_GROUP);
            put_str(out, name);
            put_i64(out, creation_time);
            put_settings(out, settings);
        }
        Change::DeleteGroup { name } => {
            out.push(DELETE_GROUP);
            put_str(out, name);
        }
        Change::Settings { group, settings } => {
            out.push(SETTINGS);
            put_str(out, group);
            put_settings(out, settings);
        }
        Change::CreateStream {
            group,
            name,
            creation_time,
            id,
        } => {
            out.push(CREATE_STREAM);
            put_str(out, group);
            put_str(out, name);
            put_i64(out, creation_time);
            put_u64(out, id);
        }
        Change::DeleteStream { group, name } => {
            out.push(DELETE_STREAM);
            put_str(out, group);
            put_str(out, name);
        }
        Change::Append {
            group,
            stream,
            stream_id,
            events,
            accepted_puts,
            last_batch,
        } => {
            out.push(APPEND);
            put_str(out, group);
            put_str(out, stream);
            put_u64(out, stream_id);
            put_len(out, events.len());
            for e in events {
                put_i64(out, e.timestamp);
                put_i64(out, e.ingestion_time);
                put_u64(out, e.seq);
                put_str(out, &e.message);
            }
            put_u64(out, accepted_puts);
            match last_batch {
                None => out.push(0),
                Some(b) => {
                    out.push(1);
                    put_opt_str(out, b.token.as_deref());
                    put_len(out, b.messages.len());
                    for m in &b.messages {
                        put_str(out, m);
                    }
                }
            }
        }
        Change::Clear => out.push(CLEAR),
    }
}

/// Reads one change; the error says what is wrong.
pub(crate) fn decode(bytes: &[u8]) -> Result<Record, String> {
    let mut r = Reader { bytes, at: 0 };
    let record = match r.u8()? {
        CREATE_GROUP => Record::CreateGroup {
            name: r.string()?,
            creation_time: r.i64()?,
            settings: r.settings()?,
        },
        DELETE_GROUP => Record::DeleteGroup { name: r.string()? },
        SETTINGS => Record::Settings {
            group: r.string()?,
            settings: r.settings()?,
        },
        CREATE_STREAM => Record::CreateStream {
            group: r.string()?,
            name: r.string()?,
            creation_time: r.i64()?,
            id: r.u64()?,
        },
        DELETE_STREAM => Record::DeleteStream {
            group: r.string()?,
            name: r.string()?,
        },
        APPEND => {
            let group = r.string()?;
            let stream = r.string()?;
            let stream_id = r.u64()?;
            let count = r.len()?;
            let mut events = Vec::with_capacity(count.min(10_000));
            for _ in 0..count {
                let timestamp = r.i64()?;
                let ingestion_time = r.i64()?;
                let seq = r.u64()?;
                events.push(StoredEvent {
                    timestamp,
                    ingestion_time,
                    message: r.string()?.into_boxed_str(),
                    seq,
                });
            }
            let accepted_puts = r.u64()?;
            let last_batch = match r.u8()? {
                0 => None,
                1 => {
                    let token = r.opt_string()?;
                    let count = r.len()?;
                    let mut messages = Vec::with_capacity(count.min(10_000));
                    for _ in 0..count {
                        messages.push(r.string()?);
                    }
                    Some(AcceptedBatch { token, messages })
                }
                other => return Err(format!("bad option flag {other}")),
            };
            Record::Append {
                group,
                stream,
                stream_id,
                events,
                accepted_puts,
                last_batch,
            }
        }
        CLEAR => Record::Clear,
        other => return Err(format!("unknown change kind {other}")),
    };
    if r.at != bytes.len() {
        return Err(format!(
            "{} bytes left after the change",
            bytes.len() - r.at
        ));
    }
    Ok(record)
}

fn put_u64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put_i64(out: &mut Vec<u8>, v: i64) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put_len(out: &mut Vec<u8>, n: usize) {
    // Counts and string lengths are bounded by the request size (a few MiB).
    out.extend_from_slice(&(n as u32).to_le_bytes());
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_len(out, s.len());
    out.extend_from_slice(s.as_bytes());
}

fn put_opt_str(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        None => out.push(0),
        Some(s) => {
            out.push(1);
            put_str(out, s);
        }
    }
}

fn put_settings(out: &mut Vec<u8>, s: &GroupSettings) {
    match s.retention_in_days {
        None => out.push(0),
        Some(days) => {
            out.push(1);
            put_i64(out, days);
        }
    }
    put_len(out, s.tags.len());
    for (k, v) in &s.tags {
        put_str(out, k);
        put_str(out, v);
    }
    put_opt_str(out, s.kms_key_id.as_deref());
    put_str(out, &s.log_group_class);
    out.push(u8::from(s.deletion_protection_enabled));
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], String> {
        let end = self
            .at
            .checked_add(n)
            .filter(|end| *end <= self.bytes.len())
            .ok_or_else(|| format!("cut short at byte {} of {}", self.at, self.bytes.len()))?;
        let taken = &self.bytes[self.at..end];
        self.at = end;
        Ok(taken)
    }

    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }

    fn u64(&mut self) -> Result<u64, String> {
        let mut b = [0u8; 8];
        b.copy_from_slice(self.take(8)?);
        Ok(u64::from_le_bytes(b))
    }

    fn i64(&mut self) -> Result<i64, String> {
        let mut b = [0u8; 8];
        b.copy_from_slice(self.take(8)?);
        Ok(i64::from_le_bytes(b))
    }

    fn len(&mut self) -> Result<usize, String> {
        let mut b = [0u8; 4];
        b.copy_from_slice(self.take(4)?);
        Ok(u32::from_le_bytes(b) as usize)
    }

    fn string(&mut self) -> Result<String, String> {
        let n = self.len()?;
        let bytes = self.take(n)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| "a string is not UTF-8".to_owned())
    }

    fn opt_string(&mut self) -> Result<Option<String>, String> {
        match self.u8()? {
            0 => Ok(None),
            1 => self.string().map(Some),
            other => Err(format!("bad option flag {other}")),
        }
    }

    fn settings(&mut self) -> Result<GroupSettings, String> {
        let retention_in_days = match self.u8()? {
            0 => None,
            1 => Some(self.i64()?),
            other => return Err(format!("bad option flag {other}")),
        };
        let count = self.len()?;
        let mut tags = BTreeMap::new();
        for _ in 0..count {
            let k = self.string()?;
            tags.insert(k, self.string()?);
        }
        Ok(GroupSettings {
            retention_in_days,
            tags,
            kms_key_id: self.opt_string()?,
            log_group_class: self.string()?,
            deletion_protection_enabled: match self.u8()? {
                0 => false,
                1 => true,
                other => return Err(format!("bad flag {other}")),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(change: &Change<'_>) -> Record {
        let mut bytes = Vec::new();
        encode(change, &mut bytes);
        let record = decode(&bytes).unwrap();
        // Every proper prefix is refused, never misread.
        for cut in 0..bytes.len() {
            assert!(decode(&bytes[..cut]).is_err(), "prefix of {cut} bytes");
        }
        record
    }

    #[test]
    fn every_change_reads_back_as_written() {
        let settings = GroupSettings {
            retention_in_days: Some(7),
            tags: BTreeMap::from([("k".to_owned(), "vé".to_owned())]),
            kms_key_id: Some("arn:key".into()),
            log_group_class: "STANDARD".into(),
            deletion_protection_enabled: true,
        };
        assert_eq!(
            round_trip(&Change::Settings {
                group: "g",
                settings: &settings
            }),
            Record::Settings {
                group: "g".into(),
                settings: settings.clone()
            }
        );
        let events = vec![StoredEvent {
            timestamp: -1,
            ingestion_time: 2,
            message: "line \"one\"\n€".into(),
            seq: 9,
        }];
        let batch = AcceptedBatch {
            token: Some("49".into()),
            messages: vec!["a".into(), String::new()],
        };
        assert_eq!(
            round_trip(&Change::Append {
                group: "g",
                stream: "s",
                stream_id: 4,
                events: &events,
                accepted_puts: 3,
                last_batch: Some(&batch),
            }),
            Record::Append {
                group: "g".into(),
                stream: "s".into(),
                stream_id: 4,
                events: events.clone(),
                accepted_puts: 3,
                last_batch: Some(batch.clone()),
            }
        );
        assert_eq!(round_trip(&Change::Clear), Record::Clear);
        assert_eq!(
            round_trip(&Change::CreateStream {
                group: "g",
                name: "s",
                creation_time: 5,
                id: 6
            }),
            Record::CreateStream {
                group: "g".into(),
                name: "s".into(),
                creation_time: 5,
                id: 6
            }
        );
    }

    #[test]
    fn bad_bytes_are_refused_with_a_reason() {
        assert!(decode(&[99])
            .unwrap_err()
            .contains("unknown change kind 99"));
        assert!(decode(&[CLEAR, 0]).unwrap_err().contains("left after"));
        let mut bad_utf8 = vec![DELETE_GROUP];
        bad_utf8.extend_from_slice(&2u32.to_le_bytes());
        bad_utf8.extend_from_slice(&[0xff, 0xfe]);
        assert!(decode(&bad_utf8).unwrap_err().contains("UTF-8"));
    }
}
