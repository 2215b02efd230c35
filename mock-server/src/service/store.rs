//! The in-memory store: log groups, their streams and the streams' events.
//!
//! Locking is per stream so that writers on different streams never wait for each other:
//! - the group map is behind an `RwLock`, taken for writing only to create or delete a group;
//! - each group's stream map is behind its own `RwLock`, written only to create or delete a stream;
//! - each stream's state (events, sequence-token counter, last accepted batch) is behind its own
//!   `Mutex`. A put holds it for the whole check-token, store, advance-token step, which makes the
//!   token check-and-advance atomic and linearizes writers on one stream.
//!
//! Locks are never held across an `.await` (there is none in here) and are taken in the order
//! groups → streams → stream state. A poisoned lock is recovered rather than propagated: the data
//! is plain values and a panicking test thread must not take the whole server down.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{
    Arc, Mutex, MutexGuard, OnceLock, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard,
};

use crate::protocol::errors::ApiError;

/// One stored log event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    /// The event's timestamp (ms since the epoch), as the client sent it.
    pub timestamp: i64,
    /// When the mock stored it (ms since the epoch).
    pub ingestion_time: i64,
    /// The message. A `Box<str>` rather than a `String`: a stored message never grows, and the 8
    /// bytes of a capacity are an eighth of what the store spends per event beyond the message
    /// (40 bytes here, plus the allocator's rounding; issue 17 allows 64).
    pub message: Box<str>,
    /// A store-wide sequence number: the order events were accepted in. Ties in timestamp and
    /// ingestion time are ordered by it, as AWS orders them by request.
    pub seq: u64,
}

/// What a strict-mode stream remembers of the last accepted batch, to recognise a replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptedBatch {
    /// The token the batch was sent with (`None`: the first put, without a token).
    pub token: Option<String>,
    /// The batch's messages in order. AWS compares messages, not timestamps, to call a batch a
    /// replay (CLOUDWATCH.md §3.1).
    pub messages: Vec<String>,
}

/// The mutable state of one stream.
#[derive(Debug, Default)]
pub struct StreamState {
    /// Events ordered by timestamp; equal timestamps keep the order they were accepted in.
    pub events: EventLog,
    /// Smallest timestamp stored.
    pub first_event_timestamp: Option<i64>,
    /// Largest timestamp stored.
    pub last_event_timestamp: Option<i64>,
    /// When the last event was stored.
    pub last_ingestion_time: Option<i64>,
    /// How many puts advanced the sequence token; the token is derived from it.
    pub accepted_puts: u64,
    /// The last accepted batch (strict mode's replay detection).
    pub last_batch: Option<AcceptedBatch>,
    /// The token the last accepted put superseded and when (strict mode's race window).
    pub superseded_token: Option<(String, i64)>,
    /// Sum of the stored messages' UTF-8 bytes.
    pub stored_bytes: u64,
    /// The LSN of the last change to this stream (the change log of a state file); 0 without one.
    pub lsn: u64,
}

impl StreamState {
    /// Stores accepted events, keeping the stream in AWS's read order: by timestamp, and events of
    /// equal timestamp in the order they arrived.
    ///
    /// Never costs the whole stream: an event at or after the last stored one is appended, one
    /// that belongs earlier (several writers on one stream, late events, a batch sent again) is
    /// inserted into the one chunk of the [`EventLog`] where it belongs.
    pub fn append(&mut self, mut events: Vec<StoredEvent>) {
        if events.is_empty() {
            return;
        }
        // PutLogEvents batches are chronological already; anything else (a state file written by
        // hand) is put in order first, stably, so arrival order still breaks ties.
        if events.windows(2).any(|w| w[1].timestamp < w[0].timestamp) {
            events.sort_by_key(|e| e.timestamp);
        }
        for e in &events {
            self.first_event_timestamp = Some(
                self.first_event_timestamp
                    .map_or(e.timestamp, |t| t.min(e.timestamp)),
            );
            self.last_event_timestamp = Some(
                self.last_event_timestamp
                    .map_or(e.timestamp, |t| t.max(e.timestamp)),
            );
            self.last_ingestion_time = Some(e.ingestion_time);
            self.stored_bytes += e.message.len() as u64;
        }
        self.events.insert_sorted(events);
    }
}

/// One committed change of the store.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Change<'a> {
    /// A log group was created.
    CreateGroup {
        /// Its name.
        name: &'a str,
        /// Its creation time, ms since the epoch.
        creation_time: i64,
        /// Its settings at creation.
        settings: &'a GroupSettings,
    },
    /// A log group and everything in it was deleted.
    DeleteGroup {
        /// Its name.
        name: &'a str,
    },
    /// A group's settings (retention, tags) changed; carries all of them, not the difference.
    Settings {
        /// The group.
        group: &'a str,
        /// The settings now.
        settings: &'a GroupSettings,
    },
    /// A log stream was created.
    CreateStream {
        /// Its group.
        group: &'a str,
        /// Its name.
        name: &'a str,
        /// Its creation time, ms since the epoch.
        creation_time: i64,
        /// The store-wide id its tokens embed.
        id: u64,
    },
    /// A log stream was deleted.
    DeleteStream {
        /// Its group.
        group: &'a str,
        /// Its name.
        name: &'a str,
    },
    /// A put was accepted: the events it stored and the stream's token state after it.
    Append {
        /// The group.
        group: &'a str,
        /// The stream.
        stream: &'a str,
        /// The stream's store-wide id: a put that committed to a stream deleted meanwhile names
        /// an id no later stream has, so replay cannot give its events to a namesake.
        stream_id: u64,
        /// The events stored (possibly none, when a put only advanced the token).
        events: &'a [StoredEvent],
        /// The stream's accepted puts after this one.
        accepted_puts: u64,
        /// The stream's last accepted batch after this one (strict mode).
        last_batch: Option<&'a AcceptedBatch>,
    },
    /// Every group was removed (`POST /_mock/reset`).
    Clear,
}

/// The changes the store commits, as a log of them sees them.
///
/// With `--state-file`, every change is handed to a change log (the journal of
/// `persistence/journal.rs`) while the lock that publishes it is held, so the log's order is the
/// order in which other requests can observe the changes, and every change gets a log sequence
/// number (LSN). The store keeps, per group and per stream, the LSN of the last change that
/// touched it; a snapshot taken while writers go on records those numbers, and replaying the log
/// over it skips what the snapshot already holds. The service never waits for the log: the server
/// waits, before answering, until the log has made the changes as durable as configured.
pub(crate) trait ChangeLog: Send + Sync + std::fmt::Debug {
    /// Takes `change`, in commit order, and returns its LSN: above 0 and above every LSN before.
    fn record(&self, change: &Change<'_>) -> u64;
}

/// How many events a chunk of an [`EventLog`] is filled with by appends; inserts split a full chunk
/// of twice this in two. 256 measured 1.8 times faster than 2048 on overlapping batches (shorter
/// moves per insert) and the same on in-order appends (BENCHMARKS.md, "Out-of-order batches").
const CHUNK_EVENTS: usize = 256;

/// A stream's events in read order, kept in sorted chunks of at most 512 events (twice what appends
/// fill a chunk with).
///
/// Appending in order costs O(1); an event that belongs earlier (several writers on one stream,
/// late events, the same batch sent again) is inserted into the one chunk where it belongs, so it
/// costs at most one chunk's worth of moves however long the stream is. The chunk is found in a
/// contiguous array of the chunks' first timestamps, by galloping back from the end for a batch's
/// first insert and forward from there for the next ones (a batch is chronological): the search
/// touches the part of the stream the batch overlaps, not the whole stream, so a stream that grows
/// does not make inserts slower (BENCHMARKS.md, "Writer workloads over 60 s"). Reading by position
/// costs a binary search over the chunks' start positions.
///
/// Chunks are shared on clone and copied only when written (`Arc::make_mut`), so a clone costs one
/// pointer per 256 events: a state-file save takes one under the stream's lock and writes it out
/// after releasing the lock, and only the chunks written meanwhile (the last one, for in-order
/// appends) are ever copied.
#[derive(Debug, Clone, Default)]
pub struct EventLog {
    /// Non-empty, sorted chunks; every event of a chunk sorts at or after every event before it.
    chunks: Vec<Arc<Vec<StoredEvent>>>,
    /// The position of each chunk's first event.
    starts: Vec<usize>,
    /// The timestamp of each chunk's first event.
    firsts: Vec<i64>,
    len: usize,
}

impl EventLog {
    /// Number of events.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there is no event.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The event at `position` in read order.
    pub fn get(&self, position: usize) -> Option<&StoredEvent> {
        if position >= self.len {
            return None;
        }
        let chunk = self.starts.partition_point(|&s| s <= position) - 1;
        self.chunks[chunk].get(position - self.starts[chunk])
    }

    /// The last event in read order.
    pub fn last(&self) -> Option<&StoredEvent> {
        self.chunks.last().and_then(|c| c.last())
    }

    /// Every event in read order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &StoredEvent> {
        self.chunks.iter().flat_map(chunk_events)
    }

    /// The events from `position` on, in read order.
    pub fn iter_from(&self, position: usize) -> impl Iterator<Item = &StoredEvent> {
        let chunk = self
            .starts
            .partition_point(|&s| s <= position)
            .saturating_sub(1);
        let skip = position.saturating_sub(self.starts.get(chunk).copied().unwrap_or(0));
        self.chunks[chunk.min(self.chunks.len())..]
            .iter()
            .flat_map(chunk_events)
            .skip(skip)
    }

    /// The position of the first event whose timestamp is at least `timestamp` (the length when
    /// there is none): a binary search over the chunks, then within one.
    pub fn position_of_timestamp(&self, timestamp: i64) -> usize {
        let chunk = self
            .chunks
            .partition_point(|c| c.last().is_some_and(|e| e.timestamp < timestamp));
        match self.chunks.get(chunk) {
            Some(events) => {
                self.starts[chunk] + events.partition_point(|e| e.timestamp < timestamp)
            }
            None => self.len,
        }
    }

    /// A copy of every event, in read order.
    pub fn to_vec(&self) -> Vec<StoredEvent> {
        self.iter().cloned().collect()
    }

    /// Inserts a chronological batch, each event after every stored event of the same or an
    /// earlier timestamp (arrival order breaks ties).
    fn insert_sorted(&mut self, events: Vec<StoredEvent>) {
        let mut first_changed = usize::MAX;
        // How many chunks are known to start at or before the batch's next event: a batch is
        // chronological, so each insert's search starts where the previous one ended.
        let mut known: Option<usize> = None;
        for e in events {
            let appends = self.last().is_none_or(|last| last.timestamp <= e.timestamp);
            if appends {
                match self.chunks.last_mut() {
                    Some(chunk) if chunk.len() < CHUNK_EVENTS => Arc::make_mut(chunk).push(e),
                    _ => {
                        self.starts.push(self.len);
                        self.firsts.push(e.timestamp);
                        let mut chunk = Vec::with_capacity(CHUNK_EVENTS);
                        chunk.push(e);
                        self.chunks.push(Arc::new(chunk));
                    }
                }
                self.len += 1;
                continue;
            }
            let at_or_before = match known {
                None => count_at_or_before_from_end(&self.firsts, e.timestamp),
                Some(from) => count_at_or_before_from(&self.firsts, from, e.timestamp),
            };
            known = Some(at_or_before);
            // The last chunk whose first event is at or before `e`; the first chunk if none is.
            let mut chunk = at_or_before.saturating_sub(1);
            if self.chunks[chunk].len() >= 2 * CHUNK_EVENTS {
                // Split before inserting, so that no chunk ever outgrows 512 events' capacity.
                let events = Arc::make_mut(&mut self.chunks[chunk]);
                let upper = events.split_off(CHUNK_EVENTS);
                let upper_first = upper[0].timestamp;
                self.chunks.insert(chunk + 1, Arc::new(upper));
                self.starts.insert(chunk + 1, 0);
                self.firsts.insert(chunk + 1, upper_first);
                first_changed = first_changed.min(chunk);
                if upper_first <= e.timestamp {
                    chunk += 1;
                }
            }
            let events = Arc::make_mut(&mut self.chunks[chunk]);
            let at = events.partition_point(|s| s.timestamp <= e.timestamp);
            if at == 0 {
                self.firsts[chunk] = e.timestamp;
            }
            events.insert(at, e);
            self.len += 1;
            first_changed = first_changed.min(chunk);
        }
        if first_changed != usize::MAX {
            for i in first_changed + 1..self.chunks.len() {
                self.starts[i] = self.starts[i - 1] + self.chunks[i - 1].len();
            }
        }
    }
}

/// How many of the leading `firsts` are at or before `timestamp`, given that the first `from` are:
/// a gallop forward from `from`, then a binary search in the last step.
fn count_at_or_before_from(firsts: &[i64], from: usize, timestamp: i64) -> usize {
    let mut lo = from.min(firsts.len());
    let mut step = 1;
    while lo + step <= firsts.len() && firsts[lo + step - 1] <= timestamp {
        lo += step;
        step *= 2;
    }
    let hi = (lo + step).min(firsts.len());
    lo + firsts[lo..hi].partition_point(|&f| f <= timestamp)
}

/// How many of the leading `firsts` are at or before `timestamp`: a gallop back from the end (where
/// late and overlapping events land), then a binary search in the last step.
fn count_at_or_before_from_end(firsts: &[i64], timestamp: i64) -> usize {
    let mut hi = firsts.len();
    let mut step = 1;
    while step <= hi && firsts[hi - step] > timestamp {
        hi -= step;
        step *= 2;
    }
    let lo = hi.saturating_sub(step);
    lo + firsts[lo..hi].partition_point(|&f| f <= timestamp)
}

/// Two logs are equal when they hold the same events in the same order, however they are chunked.
impl PartialEq for EventLog {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.iter().eq(other.iter())
    }
}

impl Eq for EventLog {}

impl std::ops::Index<usize> for EventLog {
    type Output = StoredEvent;

    fn index(&self, position: usize) -> &StoredEvent {
        self.get(position).expect("position within the log")
    }
}

/// The events of one chunk (a named function, so that iterator types can name it).
fn chunk_events(chunk: &Arc<Vec<StoredEvent>>) -> std::slice::Iter<'_, StoredEvent> {
    chunk.iter()
}

impl<'a> IntoIterator for &'a EventLog {
    type Item = &'a StoredEvent;
    type IntoIter = std::iter::FlatMap<
        std::slice::Iter<'a, Arc<Vec<StoredEvent>>>,
        std::slice::Iter<'a, StoredEvent>,
        fn(&'a Arc<Vec<StoredEvent>>) -> std::slice::Iter<'a, StoredEvent>,
    >;

    fn into_iter(self) -> Self::IntoIter {
        self.chunks.iter().flat_map(chunk_events)
    }
}

/// One log stream.
#[derive(Debug)]
pub struct LogStream {
    /// The stream's name.
    pub name: String,
    /// When it was created (ms since the epoch).
    pub creation_time: i64,
    /// A store-wide id; tokens embed it so that they are only valid for this stream.
    pub id: u64,
    state: Mutex<StreamState>,
}

impl LogStream {
    /// Locks the stream's state.
    pub fn lock(&self) -> MutexGuard<'_, StreamState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Settings of a log group that change after creation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupSettings {
    /// Retention in days; `None` keeps events forever.
    pub retention_in_days: Option<i64>,
    /// Tags.
    pub tags: BTreeMap<String, String>,
    /// The KMS key given at creation.
    pub kms_key_id: Option<String>,
    /// `STANDARD` or `INFREQUENT_ACCESS` (or `DELIVERY`).
    pub log_group_class: String,
    /// Whether deletion protection was asked for.
    pub deletion_protection_enabled: bool,
}

/// One log group.
#[derive(Debug)]
pub struct LogGroup {
    /// The group's name.
    pub name: String,
    /// When it was created (ms since the epoch).
    pub creation_time: i64,
    settings: Mutex<GroupSettings>,
    streams: RwLock<BTreeMap<String, Arc<LogStream>>>,
    /// The LSN of the last change to the group itself (creation, settings, its stream list).
    lsn: AtomicU64,
}

impl LogGroup {
    /// Locks the group's settings.
    pub fn settings(&self) -> MutexGuard<'_, GroupSettings> {
        self.settings.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn streams_read(&self) -> RwLockReadGuard<'_, BTreeMap<String, Arc<LogStream>>> {
        self.streams.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn streams_write(&self) -> RwLockWriteGuard<'_, BTreeMap<String, Arc<LogStream>>> {
        self.streams.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// The stream called `name`.
    pub fn stream(&self, name: &str) -> Option<Arc<LogStream>> {
        self.streams_read().get(name).cloned()
    }

    /// Every stream, ordered by name.
    pub fn streams(&self) -> Vec<Arc<LogStream>> {
        self.streams_read().values().cloned().collect()
    }

    /// The LSN of the last change to the group itself; 0 without a log.
    pub fn lsn(&self) -> u64 {
        self.lsn.load(Ordering::Acquire)
    }

    /// Raises the group's LSN to `lsn` (a change to it was applied).
    pub(crate) fn touched(&self, lsn: u64) {
        self.lsn.fetch_max(lsn, Ordering::AcqRel);
    }

    /// Sum of the stored bytes of every stream.
    pub fn stored_bytes(&self) -> u64 {
        self.streams().iter().map(|s| s.lock().stored_bytes).sum()
    }
}

/// Whether `group` is the one the store holds under its name (not one deleted or reset away).
fn is_linked(groups: &BTreeMap<String, Arc<LogGroup>>, group: &LogGroup) -> bool {
    groups
        .get(&group.name)
        .is_some_and(|g| std::ptr::eq(Arc::as_ptr(g), group))
}

/// Every log group of the mock.
#[derive(Debug, Default)]
pub struct Store {
    groups: RwLock<BTreeMap<String, Arc<LogGroup>>>,
    next_stream_id: AtomicU64,
    next_event_seq: AtomicU64,
    stored_bytes: AtomicU64,
    changes: OnceLock<Arc<dyn ChangeLog>>,
}

impl Store {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn groups_read(&self) -> RwLockReadGuard<'_, BTreeMap<String, Arc<LogGroup>>> {
        self.groups.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn groups_write(&self) -> RwLockWriteGuard<'_, BTreeMap<String, Arc<LogGroup>>> {
        self.groups.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// From now on, reports every change to `log` (once; a second log is refused with `false`).
    pub(crate) fn set_change_log(&self, log: Arc<dyn ChangeLog>) -> bool {
        self.changes.set(log).is_ok()
    }

    /// Reports `change` to the log, if there is one; its LSN, or 0. Called with the lock that
    /// publishes the change held, so that the log's order is the order others observe.
    pub(crate) fn record(&self, change: &Change<'_>) -> u64 {
        self.changes.get().map_or(0, |log| log.record(change))
    }

    /// Changes a group's settings under its lock and reports them.
    pub(crate) fn update_settings<R>(
        &self,
        group: &LogGroup,
        change: impl FnOnce(&mut GroupSettings) -> R,
    ) -> R {
        // Held through the change, so that a concurrent delete or reset cannot unlink the group
        // between the check and the record (a record for an unlinked group would be replayed
        // into a later group of the same name).
        let groups = self.groups_read();
        let mut settings = group.settings();
        let result = change(&mut settings);
        if !is_linked(&groups, group) {
            return result;
        }
        let lsn = self.record(&Change::Settings {
            group: &group.name,
            settings: &settings,
        });
        group.touched(lsn);
        result
    }

    /// Replaces a group's settings without reporting them (restoring a saved state).
    pub(crate) fn restore_settings(&self, group: &LogGroup, settings: GroupSettings, lsn: u64) {
        *group.settings() = settings;
        group.touched(lsn);
    }

    /// Creates a group; `ResourceAlreadyExistsException` if one has that name.
    pub fn create_group(
        &self,
        name: &str,
        creation_time: i64,
        settings: GroupSettings,
    ) -> Result<Arc<LogGroup>, ApiError> {
        self.insert_group(name, creation_time, settings, None)
    }

    /// Re-creates a group at a known LSN without reporting it (restoring a saved state).
    pub(crate) fn restore_group(
        &self,
        name: &str,
        creation_time: i64,
        settings: GroupSettings,
        lsn: u64,
    ) -> Result<Arc<LogGroup>, ApiError> {
        self.insert_group(name, creation_time, settings, Some(lsn))
    }

    /// Inserts a new group: at `restored_lsn` without reporting it, or reported to the change log.
    fn insert_group(
        &self,
        name: &str,
        creation_time: i64,
        settings: GroupSettings,
        restored_lsn: Option<u64>,
    ) -> Result<Arc<LogGroup>, ApiError> {
        let mut groups = self.groups_write();
        if groups.contains_key(name) {
            return Err(ApiError::group_exists());
        }
        let lsn = restored_lsn.unwrap_or_else(|| {
            self.record(&Change::CreateGroup {
                name,
                creation_time,
                settings: &settings,
            })
        });
        let group = Arc::new(LogGroup {
            name: name.to_owned(),
            creation_time,
            settings: Mutex::new(settings),
            streams: RwLock::new(BTreeMap::new()),
            lsn: AtomicU64::new(lsn),
        });
        groups.insert(name.to_owned(), Arc::clone(&group));
        Ok(group)
    }

    /// Deletes a group and everything in it.
    pub fn delete_group(&self, name: &str) -> Result<(), ApiError> {
        let group = {
            let mut groups = self.groups_write();
            let group = groups.remove(name).ok_or_else(ApiError::group_not_found)?;
            self.record(&Change::DeleteGroup { name });
            group
        };
        self.release_bytes(group.stored_bytes());
        Ok(())
    }

    /// Removes the groups whose last change is older than `lsn` (replaying a log's `Clear` or
    /// `DeleteGroup` over a snapshot that may already hold later changes); not reported.
    pub(crate) fn remove_groups_before(&self, lsn: u64, only: Option<&str>) {
        self.groups_write()
            .retain(|name, g| only.is_some_and(|o| o != name) || g.lsn() >= lsn);
    }

    /// The group called `name`.
    pub fn group(&self, name: &str) -> Option<Arc<LogGroup>> {
        self.groups_read().get(name).cloned()
    }

    /// The group called `name`, or AWS's not-found error.
    pub fn require_group(&self, name: &str) -> Result<Arc<LogGroup>, ApiError> {
        self.group(name).ok_or_else(ApiError::group_not_found)
    }

    /// The stream `stream` of group `group`, or AWS's not-found error for whichever is missing.
    pub fn require_stream(&self, group: &str, stream: &str) -> Result<Arc<LogStream>, ApiError> {
        self.require_group(group)?
            .stream(stream)
            .ok_or_else(ApiError::stream_not_found)
    }

    /// Every group, ordered by name (byte order, as AWS sorts them).
    pub fn groups(&self) -> Vec<Arc<LogGroup>> {
        self.groups_read().values().cloned().collect()
    }

    /// Creates a stream in `group`; `ResourceAlreadyExistsException` if one has that name.
    pub fn create_stream(
        &self,
        group: &LogGroup,
        name: &str,
        creation_time: i64,
    ) -> Result<Arc<LogStream>, ApiError> {
        // The group must still be the store's: one deleted meanwhile takes no new stream (and
        // its record would name a later group of the same name).
        let groups = self.groups_read();
        if !is_linked(&groups, group) {
            return Err(ApiError::group_not_found());
        }
        let mut streams = group.streams_write();
        if streams.contains_key(name) {
            return Err(ApiError::stream_exists());
        }
        let id = self.next_stream_id.fetch_add(1, Ordering::Relaxed);
        let lsn = self.record(&Change::CreateStream {
            group: &group.name,
            name,
            creation_time,
            id,
        });
        group.touched(lsn);
        let stream = Arc::new(LogStream {
            name: name.to_owned(),
            creation_time,
            id,
            state: Mutex::new(StreamState {
                lsn,
                ..StreamState::default()
            }),
        });
        streams.insert(name.to_owned(), Arc::clone(&stream));
        Ok(stream)
    }

    /// Deletes a stream of `group`.
    pub fn delete_stream(&self, group: &LogGroup, name: &str) -> Result<(), ApiError> {
        let stream = {
            let groups = self.groups_read();
            if !is_linked(&groups, group) {
                return Err(ApiError::group_not_found());
            }
            let mut streams = group.streams_write();
            let stream = streams
                .remove(name)
                .ok_or_else(ApiError::stream_not_found)?;
            let lsn = self.record(&Change::DeleteStream {
                group: &group.name,
                name,
            });
            group.touched(lsn);
            stream
        };
        self.release_bytes(stream.lock().stored_bytes);
        Ok(())
    }

    /// Removes a stream whose last change is older than `lsn` (replaying a log); not reported.
    pub(crate) fn remove_stream_before(&self, group: &LogGroup, name: &str, lsn: u64) {
        let mut streams = group.streams_write();
        if streams.get(name).is_some_and(|s| s.lock().lsn < lsn) {
            streams.remove(name);
        }
        group.touched(lsn);
    }

    /// Counts `bytes` more message bytes against `cap`; `false` (and nothing counted) when they
    /// would exceed it.
    pub fn reserve_bytes(&self, bytes: u64, cap: Option<u64>) -> bool {
        let Some(cap) = cap else {
            self.stored_bytes.fetch_add(bytes, Ordering::Relaxed);
            return true;
        };
        self.stored_bytes
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |held| {
                held.checked_add(bytes).filter(|total| *total <= cap)
            })
            .is_ok()
    }

    /// Recomputes the store-wide byte count from the streams (after events were restored through
    /// [`LogStream::lock`] rather than stored by puts).
    pub fn recount_stored_bytes(&self) {
        let total = self.groups().iter().map(|g| g.stored_bytes()).sum();
        self.stored_bytes.store(total, Ordering::Relaxed);
    }

    /// Message bytes held by the whole store.
    pub fn total_stored_bytes(&self) -> u64 {
        self.stored_bytes.load(Ordering::Relaxed)
    }

    fn release_bytes(&self, bytes: u64) {
        let _ = self
            .stored_bytes
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |held| {
                Some(held.saturating_sub(bytes))
            });
    }

    /// Re-creates a stream with a known `id` and LSN (restoring a saved state), so that tokens
    /// issued before a restart stay valid; later streams get ids above it. Replaces a stream of
    /// that name; not reported to the change log.
    pub fn restore_stream(
        &self,
        group: &LogGroup,
        name: &str,
        creation_time: i64,
        id: u64,
        lsn: u64,
    ) -> Arc<LogStream> {
        self.next_stream_id
            .fetch_max(id.saturating_add(1), Ordering::Relaxed);
        let stream = Arc::new(LogStream {
            name: name.to_owned(),
            creation_time,
            id,
            state: Mutex::new(StreamState {
                lsn,
                ..StreamState::default()
            }),
        });
        group
            .streams_write()
            .insert(name.to_owned(), Arc::clone(&stream));
        stream
    }

    /// Makes every event sequence number handed out from now on at least `at_least` (restoring a
    /// saved state whose events already use lower ones).
    pub fn advance_event_seq(&self, at_least: u64) {
        self.next_event_seq.fetch_max(at_least, Ordering::Relaxed);
    }

    /// Reserves `count` consecutive event sequence numbers and returns the first.
    pub fn reserve_event_seqs(&self, count: u64) -> u64 {
        self.next_event_seq.fetch_add(count, Ordering::Relaxed)
    }

    /// Removes every group.
    pub fn clear(&self) {
        let mut groups = self.groups_write();
        groups.clear();
        self.record(&Change::Clear);
        self.stored_bytes.store(0, Ordering::Relaxed);
    }
}

/// Whole-store counts, e.g. for health and stats pages.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreCounts {
    /// Log groups.
    pub groups: usize,
    /// Log streams.
    pub streams: usize,
    /// Stored events.
    pub events: usize,
}

impl Store {
    /// Counts groups, streams and events.
    pub fn counts(&self) -> StoreCounts {
        let mut counts = StoreCounts::default();
        for group in self.groups() {
            counts.groups += 1;
            for stream in group.streams() {
                counts.streams += 1;
                counts.events += stream.lock().events.len();
            }
        }
        counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use proptest::test_runner::TestCaseError;

    fn event(timestamp: i64, seq: u64) -> StoredEvent {
        StoredEvent {
            timestamp,
            ingestion_time: 0,
            message: format!("m{seq}").into(),
            seq,
        }
    }

    #[test]
    fn a_stored_event_takes_forty_bytes_beside_its_message() {
        assert_eq!(std::mem::size_of::<StoredEvent>(), 40);
    }

    #[test]
    fn a_late_batch_lands_between_the_events_around_it_and_ties_keep_arrival_order() {
        let mut s = StreamState::default();
        s.append(vec![event(10, 0), event(20, 1), event(30, 2)]);
        s.append(vec![event(20, 3), event(25, 4)]);
        s.append(vec![event(5, 5)]);
        let order: Vec<(i64, u64)> = s.events.iter().map(|e| (e.timestamp, e.seq)).collect();
        assert_eq!(order, [(5, 5), (10, 0), (20, 1), (20, 3), (25, 4), (30, 2)]);
        assert_eq!(s.first_event_timestamp, Some(5));
        assert_eq!(s.last_event_timestamp, Some(30));
        assert_eq!(s.stored_bytes, 12);
        assert_eq!(s.events[3].seq, 3);
        assert_eq!(s.events.get(6), None);
    }

    #[test]
    fn the_position_of_a_timestamp_is_the_first_event_at_or_after_it() {
        let mut state = StreamState::default();
        // Several chunks, with runs of equal timestamps across chunk boundaries.
        state.append((0..1_500).map(|i| event(i as i64 / 7 * 2, i)).collect());
        let log = &state.events;
        for t in -3..450 {
            let linear = log
                .iter()
                .position(|e| e.timestamp >= t)
                .unwrap_or(log.len());
            assert_eq!(log.position_of_timestamp(t), linear, "timestamp {t}");
        }
        assert_eq!(EventLog::default().position_of_timestamp(5), 0);
    }

    #[test]
    fn logs_are_equal_by_their_events_not_by_their_chunks() {
        let all: Vec<StoredEvent> = (0..600).map(|i| event(i as i64 / 2, i)).collect();
        let mut at_once = StreamState::default();
        at_once.append(all.clone());
        // The later half first, then the earlier half inserted in front: chunks split differently.
        let mut in_two = StreamState::default();
        in_two.append(all[300..].to_vec());
        in_two.append(all[..300].to_vec());
        assert_ne!(at_once.events.chunks.len(), 0);
        assert_ne!(
            at_once
                .events
                .chunks
                .iter()
                .map(|c| c.len())
                .collect::<Vec<_>>(),
            in_two
                .events
                .chunks
                .iter()
                .map(|c| c.len())
                .collect::<Vec<_>>()
        );
        assert_eq!(at_once.events, in_two.events);
        let mut shorter = StreamState::default();
        shorter.append(all[..599].to_vec());
        assert_ne!(at_once.events, shorter.events);
    }

    /// Appends every batch (each sorted first, as PutLogEvents requires) and checks the stream
    /// against a stable sort of all events in arrival order, through every way of reading it.
    fn the_order_holds(batches: Vec<Vec<i64>>) -> Result<(), TestCaseError> {
        let mut state = StreamState::default();
        let mut reference: Vec<(i64, u64)> = Vec::new();
        let mut seq = 0u64;
        for mut timestamps in batches {
            timestamps.sort_unstable();
            let batch: Vec<StoredEvent> = timestamps
                .iter()
                .map(|&t| {
                    seq += 1;
                    reference.push((t, seq));
                    event(t, seq)
                })
                .collect();
            state.append(batch);
        }
        reference.sort_by_key(|&(t, _)| t);
        let key = |e: &StoredEvent| (e.timestamp, e.seq);
        let got: Vec<(i64, u64)> = state.events.iter().map(key).collect();
        prop_assert_eq!(&got, &reference);
        prop_assert_eq!(state.events.len(), reference.len());
        for probe in [0, 1, reference.len() / 2, reference.len().saturating_sub(1)] {
            prop_assert_eq!(
                state.events.get(probe).map(key),
                reference.get(probe).copied()
            );
            let from: Vec<(i64, u64)> = state.events.iter_from(probe).map(key).collect();
            prop_assert_eq!(&from[..], &reference[probe.min(reference.len())..]);
        }
        prop_assert_eq!(state.first_event_timestamp, reference.first().map(|r| r.0));
        prop_assert_eq!(
            state.last_event_timestamp,
            reference.iter().map(|r| r.0).max()
        );
        // The index the inserts search is exact, and no chunk outgrows twice the fill size.
        let log = &state.events;
        let mut start = 0;
        for (i, chunk) in log.chunks.iter().enumerate() {
            prop_assert!(!chunk.is_empty());
            prop_assert!(
                chunk.capacity() <= 2 * CHUNK_EVENTS,
                "capacity {}",
                chunk.capacity()
            );
            prop_assert_eq!(log.firsts[i], chunk[0].timestamp);
            prop_assert_eq!(log.starts[i], start);
            start += chunk.len();
        }
        prop_assert_eq!(log.firsts.len(), log.chunks.len());
        prop_assert_eq!(log.starts.len(), log.chunks.len());
        Ok(())
    }

    #[test]
    fn gallops_find_the_same_count_as_a_binary_search() {
        let firsts: Vec<i64> = (0..300).map(|i| i / 3 * 2).collect();
        for t in -2..205 {
            let expected = firsts.partition_point(|&f| f <= t);
            assert_eq!(
                count_at_or_before_from_end(&firsts, t),
                expected,
                "from the end, {t}"
            );
            for from in [0, 1.min(expected), expected / 2, expected] {
                assert_eq!(
                    count_at_or_before_from(&firsts, from, t),
                    expected,
                    "from {from}, {t}"
                );
            }
        }
        assert_eq!(count_at_or_before_from_end(&[], 5), 0);
        assert_eq!(count_at_or_before_from(&[], 0, 5), 0);
    }

    proptest! {
        /// Whatever the batches, the stream reads as a stable sort by timestamp of everything in
        /// arrival order (AWS's read order).
        #[test]
        fn the_stream_reads_as_a_stable_sort_of_all_batches(
            batches in prop::collection::vec(prop::collection::vec(0i64..50, 0..12), 0..40),
        ) {
            the_order_holds(batches)?;
        }

        /// The same with large batches first, so that chunks fill and split and later events are
        /// inserted into chunks at every depth.
        #[test]
        fn the_order_holds_across_chunk_splits(
            big in prop::collection::vec(CHUNK_EVENTS..3 * CHUNK_EVENTS, 1..3),
            batches in prop::collection::vec(prop::collection::vec(0i64..60, 1..600), 1..40),
        ) {
            let spread: Vec<Vec<i64>> = big
                .iter()
                .map(|&n| (0..n as i64).map(|i| (i * 7919) % 60).collect())
                .chain(batches)
                .collect();
            the_order_holds(spread)?;
        }
    }
}
