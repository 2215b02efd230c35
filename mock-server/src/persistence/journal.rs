//! The journal: every change the store commits, appended to `STATE.journal` before the answer
//! that acknowledges it, so that nothing acknowledged is lost when the mock is killed.
//!
//! Why a journal rather than an embedded database: the store already lives in memory and only
//! needs its changes made durable in order, which an append-only file with checksummed frames
//! does in a few hundred lines with no new dependency, the way Redis's AOF and every database's
//! write-ahead log do it; SQLite or redb would keep a second copy of every event in their own
//! format and cost a B-tree update per put.
//!
//! - **Frames.** After a header line, each change is `length (u32 LE) | crc32 (u32 LE) | LSN (u64
//!   LE) | payload` (the change in the binary form of `codec.rs`), the checksum covering the LSN
//!   and the payload. A frame cut short at the end of the
//!   file is what a crash mid-write leaves, and is dropped at replay (it was never acknowledged);
//!   a bad frame with data after it is corruption, and stops the start.
//! - **Group commit.** [`Journal::record`] encodes the change on the caller's thread and appends
//!   it to a buffer; one writer thread takes the whole buffer, writes it (and syncs it, for
//!   [`Durability::Always`]) and then releases every answer waiting on it, so concurrent requests
//!   share one write and one sync.
//! - **Replay** applies each change unless the object it touches already holds it (its LSN is at
//!   least the change's): the state file is written while writers go on, so it may already hold
//!   some changes of the journal that follows it (see [`crate::service::store::ChangeLog`]).

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufReader, Read, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::watch;

use crate::config::state::Durability;
use crate::error::StateFileError;
use crate::persistence::codec::{self, Record};
use crate::persistence::snapshot::MAX_COUNTER;
use crate::service::store::{Change, ChangeLog, Store};

/// The first line of every journal; a file without it is not replayed.
const HEADER: &[u8] = b"cwlogs-mock-journal 3\n";

/// Bytes before a frame's payload: length, checksum, LSN.
const FRAME_HEAD: usize = 16;

/// Largest frame accepted at replay: a batch of 10,000 events of up to 1 MiB in all stays far
/// below it; a length above it is corruption, not a record.
const MAX_FRAME: u32 = 64 << 20;

/// With periodic durability, a buffer this large is written before its interval ends, so that a
/// burst cannot hold unbounded memory.
const FLUSH_ABOVE: usize = 16 << 20;

/// Applies `record` to `store` unless the object it touches already holds it (its LSN is at
/// least `lsn`).
fn apply(record: Record, store: &Store, lsn: u64) {
    match record {
        Record::CreateGroup {
            name,
            creation_time,
            settings,
        } => {
            if store.group(&name).is_none() {
                let _ = store.restore_group(&name, creation_time, settings, lsn);
            }
        }
        Record::DeleteGroup { name } => store.remove_groups_before(lsn, Some(&name)),
        Record::Settings { group, settings } => {
            if let Some(g) = store.group(&group).filter(|g| g.lsn() < lsn) {
                store.restore_settings(&g, settings, lsn);
            }
        }
        Record::CreateStream {
            group,
            name,
            creation_time,
            id,
        } => {
            if let Some(g) = store.group(&group).filter(|g| g.lsn() < lsn) {
                if g.stream(&name).is_none() {
                    store.restore_stream(&g, &name, creation_time, id, lsn);
                }
                g.touched(lsn);
            }
        }
        Record::DeleteStream { group, name } => {
            if let Some(g) = store.group(&group) {
                store.remove_stream_before(&g, &name, lsn);
            }
        }
        Record::Append {
            group,
            stream,
            stream_id,
            events,
            accepted_puts,
            last_batch,
        } => {
            // By id too: a put that committed to a stream deleted meanwhile must not land in a
            // later stream of the same name.
            let Some(s) = store
                .group(&group)
                .and_then(|g| g.stream(&stream))
                .filter(|s| s.id == stream_id)
            else {
                return;
            };
            let mut state = s.lock();
            if state.lsn >= lsn {
                return;
            }
            if let Some(max) = events.iter().map(|e| e.seq).max() {
                store.advance_event_seq(max.saturating_add(1));
            }
            state.append(events);
            state.accepted_puts = accepted_puts;
            if last_batch.is_some() {
                state.last_batch = last_batch;
            }
            state.lsn = lsn;
        }
        Record::Clear => store.remove_groups_before(lsn, None),
    }
}

/// The first counter of `record` (or its LSN) at or above [`MAX_COUNTER`], as the state file
/// refuses them: counters restored from it must not wrap.
fn out_of_range(record: &Record, lsn: u64) -> Option<String> {
    let too_big = |v: u64| v >= MAX_COUNTER;
    if too_big(lsn) {
        return Some(format!("LSN {lsn}"));
    }
    match record {
        Record::CreateStream { id, .. } if too_big(*id) => Some(format!("stream id {id}")),
        Record::Append {
            stream_id,
            events,
            accepted_puts,
            ..
        } => {
            if too_big(*stream_id) {
                return Some(format!("stream id {stream_id}"));
            }
            if too_big(*accepted_puts) {
                return Some(format!("acceptedPuts {accepted_puts}"));
            }
            events
                .iter()
                .find(|e| too_big(e.seq))
                .map(|e| format!("seq {}", e.seq))
        }
        _ => None,
    }
}

/// Appends one frame holding `change` at `lsn` to `out`, encoding it in place.
fn frame(out: &mut Vec<u8>, lsn: u64, change: &Change<'_>) {
    let start = out.len();
    out.extend_from_slice(&[0u8; FRAME_HEAD]);
    codec::encode(change, out);
    let payload = &out[start + FRAME_HEAD..];
    // Payloads are far below 4 GiB: a batch is at most a few MiB.
    let size = payload.len() as u32;
    let mut crc = crc32fast::Hasher::new();
    crc.update(&lsn.to_le_bytes());
    crc.update(payload);
    let crc = crc.finalize();
    out[start..start + 4].copy_from_slice(&size.to_le_bytes());
    out[start + 4..start + 8].copy_from_slice(&crc.to_le_bytes());
    out[start + 8..start + 16].copy_from_slice(&lsn.to_le_bytes());
}

/// Replays the journal at `path` (if there is one) into `store`; returns the highest LSN seen.
pub(crate) fn replay(path: &Path, store: &Store) -> Result<u64, StateFileError> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
        Err(source) => {
            return Err(StateFileError::Read {
                path: path.to_owned(),
                source,
            })
        }
    };
    let len = file
        .metadata()
        .map_err(|source| StateFileError::Read {
            path: path.to_owned(),
            source,
        })?
        .len();
    let corrupt = |reason: String| StateFileError::Corrupt {
        path: path.to_owned(),
        reason,
    };
    let read_err = |source| StateFileError::Read {
        path: path.to_owned(),
        source,
    };
    let mut input = BufReader::with_capacity(1 << 20, file);
    if len < HEADER.len() as u64 {
        // A crash right after creating the file can leave the header incomplete.
        let mut start = Vec::new();
        input.read_to_end(&mut start).map_err(read_err)?;
        if HEADER.starts_with(&start) {
            return Ok(0);
        }
        return Err(corrupt("not a cwlogs-mock journal (bad header)".into()));
    }
    let mut header = vec![0u8; HEADER.len()];
    input.read_exact(&mut header).map_err(read_err)?;
    if header != HEADER {
        return Err(corrupt("not a cwlogs-mock journal (bad header)".into()));
    }
    let mut offset = HEADER.len() as u64;
    let mut max_lsn = 0;
    let mut head = [0u8; FRAME_HEAD];
    let mut payload = Vec::new();
    loop {
        let torn = |at: u64| {
            tracing::warn!(
                journal = %path.display(),
                offset = at,
                "dropping a frame cut short at the end of the journal (a crash mid-write; it \
                 was never acknowledged)"
            );
        };
        if offset == len {
            break;
        }
        if len - offset < FRAME_HEAD as u64 {
            torn(offset);
            break;
        }
        input.read_exact(&mut head).map_err(read_err)?;
        let size = u32::from_le_bytes([head[0], head[1], head[2], head[3]]);
        let crc = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
        let lsn = u64::from_le_bytes(head[8..16].try_into().unwrap_or_default());
        let end = offset + FRAME_HEAD as u64 + u64::from(size);
        if end > len {
            torn(offset);
            break;
        }
        if size > MAX_FRAME {
            return Err(corrupt(format!(
                "frame at byte {offset} claims {size} bytes"
            )));
        }
        payload.resize(size as usize, 0);
        input.read_exact(&mut payload).map_err(read_err)?;
        let mut check = crc32fast::Hasher::new();
        check.update(&lsn.to_le_bytes());
        check.update(&payload);
        if check.finalize() != crc {
            if end == len {
                torn(offset);
                break;
            }
            return Err(corrupt(format!(
                "checksum mismatch in the frame at byte {offset}, with more frames after it"
            )));
        }
        if lsn <= max_lsn {
            return Err(corrupt(format!(
                "the frame at byte {offset} has LSN {lsn}, not above the one before ({max_lsn})"
            )));
        }
        let record = codec::decode(&payload)
            .map_err(|e| corrupt(format!("the frame at byte {offset} does not parse: {e}")))?;
        out_of_range(&record, lsn).map_or(Ok(()), |what| {
            Err(corrupt(format!(
                "the frame at byte {offset}: {what} is out of range (at most {})",
                MAX_COUNTER - 1
            )))
        })?;
        apply(record, store, lsn);
        max_lsn = lsn;
        offset = end;
    }
    Ok(max_lsn)
}

/// How far the journal has got: the highest LSN as durable as configured, or why it stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Progress {
    Written(u64),
    Failed(String),
}

#[derive(Debug)]
struct Pending {
    /// Frames not yet handed to the writer.
    buffer: Vec<u8>,
    /// The LSN the next change gets.
    next_lsn: u64,
    /// Set by [`Journal::rotate`]; the writer answers on the channel once the old file is closed.
    rotate: Option<std::sync::mpsc::Sender<io::Result<()>>>,
    /// Set by [`Journal::close`].
    closing: bool,
}

#[derive(Debug)]
struct Shared {
    pending: Mutex<Pending>,
    wake: Condvar,
    progress: watch::Sender<Progress>,
    durability: Durability,
    flush_every: Duration,
    /// Bytes written to the current file since it was created (for the compaction threshold).
    written_bytes: AtomicU64,
}

fn lock(pending: &Mutex<Pending>) -> MutexGuard<'_, Pending> {
    pending.lock().unwrap_or_else(|p| p.into_inner())
}

/// The journal of one running mock: takes changes from the store, writes them on its own thread.
#[derive(Debug)]
pub(crate) struct Journal {
    shared: Arc<Shared>,
    writer: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl ChangeLog for Journal {
    fn record(&self, change: &Change<'_>) -> u64 {
        // Encoded straight into the buffer under the journal's lock: the binary form is mostly a
        // copy of the messages, cheaper than encoding apart and copying again.
        let mut pending = lock(&self.shared.pending);
        let lsn = pending.next_lsn;
        pending.next_lsn += 1;
        frame(&mut pending.buffer, lsn, change);
        let wake =
            self.shared.durability != Durability::Periodic || pending.buffer.len() >= FLUSH_ABOVE;
        drop(pending);
        if wake {
            self.shared.wake.notify_one();
        }
        lsn
    }
}

impl Journal {
    /// Creates an empty journal at `path` (replacing one already replayed) whose first change
    /// gets `next_lsn`, and starts its writer thread.
    pub(crate) fn create(
        path: &Path,
        next_lsn: u64,
        durability: Durability,
        flush_every: Duration,
    ) -> Result<Self, StateFileError> {
        let file = new_file(path).map_err(|source| StateFileError::Write {
            path: path.to_owned(),
            source,
        })?;
        let (progress, _) = watch::channel(Progress::Written(next_lsn - 1));
        let shared = Arc::new(Shared {
            pending: Mutex::new(Pending {
                buffer: Vec::new(),
                next_lsn,
                rotate: None,
                closing: false,
            }),
            wake: Condvar::new(),
            progress,
            durability,
            flush_every,
            written_bytes: AtomicU64::new(0),
        });
        let writer = {
            let shared = Arc::clone(&shared);
            let at = path.to_owned();
            std::thread::Builder::new()
                .name("cwlogs-mock-journal".into())
                .spawn(move || write_loop(&shared, &at, file))
                .map_err(|source| StateFileError::Write {
                    path: path.to_owned(),
                    source,
                })?
        };
        Ok(Self {
            shared,
            writer: Mutex::new(Some(writer)),
        })
    }

    /// Waits until every change recorded so far is as durable as configured. `Err` when the
    /// journal could not be written: the changes are in memory only.
    pub(crate) async fn durable(&self) -> Result<(), String> {
        if self.shared.durability == Durability::Periodic {
            // Nothing to wait for, but a journal that stopped working is still said so.
            return match &*self.shared.progress.borrow() {
                Progress::Failed(reason) => Err(reason.clone()),
                Progress::Written(_) => Ok(()),
            };
        }
        let target = lock(&self.shared.pending).next_lsn - 1;
        let mut progress = self.shared.progress.subscribe();
        let reached = progress
            .wait_for(|p| match p {
                Progress::Written(lsn) => *lsn >= target,
                Progress::Failed(_) => true,
            })
            .await;
        match reached.as_deref() {
            Ok(Progress::Written(_)) => Ok(()),
            Ok(Progress::Failed(reason)) => Err(reason.clone()),
            Err(_) => Err("the journal has stopped".into()),
        }
    }

    /// Bytes written to the journal since it was created or last rotated.
    pub(crate) fn size(&self) -> u64 {
        self.shared.written_bytes.load(Ordering::Relaxed)
    }

    /// Writes and syncs what is pending, renames the file to `PATH.old` and goes on in a new
    /// file at `PATH`. Blocking. Every change recorded before the call is in the old file.
    pub(crate) fn rotate(&self) -> io::Result<()> {
        let (tx, rx) = std::sync::mpsc::channel();
        lock(&self.shared.pending).rotate = Some(tx);
        self.shared.wake.notify_one();
        rx.recv()
            .unwrap_or_else(|_| Err(io::Error::other("the journal writer has stopped")))
    }

    /// Writes and syncs what is pending and stops the writer. Blocking.
    pub(crate) fn close(&self) {
        lock(&self.shared.pending).closing = true;
        self.shared.wake.notify_one();
        let writer = self.writer.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(writer) = writer {
            let _ = writer.join();
        }
    }
}

impl Drop for Journal {
    fn drop(&mut self) {
        self.close();
    }
}

/// The path the old file goes to while it is compacted.
pub(crate) fn old_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".old");
    PathBuf::from(name)
}

/// Where a rotation makes the next file before moving it into place.
pub(crate) fn new_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".new");
    PathBuf::from(name)
}

fn new_file(path: &Path) -> io::Result<File> {
    let mut file = OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .open(path)?;
    file.write_all(HEADER)?;
    file.sync_all()?;
    sync_dir(path);
    Ok(file)
}

/// Makes a file's creation or rename durable where the platform allows opening a directory.
pub(crate) fn sync_dir(path: &Path) {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Ok(dir) = File::open(dir) {
            let _ = dir.sync_all();
        }
    }
}

/// Moves the journal to `PATH.old` and goes on in a new file at `PATH`. The new file is made
/// first, under a temporary name, so that a failure leaves the journal where it was; an `.old`
/// that is still there (a compaction that failed) is never overwritten: its changes would be in
/// no file.
fn rotate_file(path: &Path, file: &mut File, shared: &Shared) -> io::Result<()> {
    let old = old_path(path);
    if old.exists() {
        return Err(io::Error::other(format!(
            "{} is still there from a compaction that did not finish",
            old.display()
        )));
    }
    file.sync_data()?;
    let fresh_path = new_path(path);
    let fresh = new_file(&fresh_path)?;
    fs::rename(path, &old)?;
    if let Err(e) = fs::rename(&fresh_path, path) {
        // Put the journal back; the writer keeps the file it had.
        let _ = fs::rename(&old, path);
        let _ = fs::remove_file(&fresh_path);
        return Err(e);
    }
    sync_dir(path);
    *file = fresh;
    shared.written_bytes.store(0, Ordering::Relaxed);
    Ok(())
}

fn write_loop(shared: &Shared, path: &Path, mut file: File) {
    let mut failed: Option<String> = None;
    loop {
        let (bytes, upto, rotate, closing) = {
            let mut pending = lock(&shared.pending);
            let mut flush_due = false;
            loop {
                let ready = pending.rotate.is_some()
                    || pending.closing
                    || (!pending.buffer.is_empty()
                        && (shared.durability != Durability::Periodic
                            || flush_due
                            || pending.buffer.len() >= FLUSH_ABOVE));
                if ready {
                    break;
                }
                if shared.durability == Durability::Periodic {
                    let (p, timeout) = shared
                        .wake
                        .wait_timeout(pending, shared.flush_every)
                        .unwrap_or_else(|p| p.into_inner());
                    pending = p;
                    flush_due |= timeout.timed_out();
                } else {
                    pending = shared.wake.wait(pending).unwrap_or_else(|p| p.into_inner());
                }
            }
            (
                std::mem::take(&mut pending.buffer),
                pending.next_lsn - 1,
                pending.rotate.take(),
                pending.closing,
            )
        };
        if failed.is_none() && !bytes.is_empty() {
            let sync = shared.durability != Durability::Os;
            let result =
                file.write_all(&bytes)
                    .and_then(|()| if sync { file.sync_data() } else { Ok(()) });
            match result {
                Ok(()) => {
                    shared
                        .written_bytes
                        .fetch_add(bytes.len() as u64, Ordering::Relaxed);
                    shared.progress.send_replace(Progress::Written(upto));
                }
                Err(e) => {
                    let reason = format!("cannot write the journal {}: {e}", path.display());
                    tracing::error!("{reason}; changes from now on are not durable");
                    shared
                        .progress
                        .send_replace(Progress::Failed(reason.clone()));
                    failed = Some(reason);
                }
            }
        } else if failed.is_none() {
            shared.progress.send_replace(Progress::Written(upto));
        }
        if let Some(done) = rotate {
            let _ = done.send(rotate_file(path, &mut file, shared));
        }
        if closing {
            let _ = file.sync_data();
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::store::{GroupSettings, LogStream, StoredEvent};

    fn temp(tag: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("cwlogs-mock-journal-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir.join("state.json.journal")
    }

    fn settings() -> GroupSettings {
        GroupSettings {
            log_group_class: "STANDARD".into(),
            ..GroupSettings::default()
        }
    }

    /// A store whose changes go to a journal at `path`.
    fn journaled(path: &Path, durability: Durability) -> (Arc<Store>, Arc<Journal>) {
        let store = Arc::new(Store::new());
        let journal =
            Arc::new(Journal::create(path, 1, durability, Duration::from_millis(10)).unwrap());
        assert!(store.set_change_log(Arc::clone(&journal) as Arc<dyn ChangeLog>));
        (store, journal)
    }

    fn events(store: &Store, group: &str, stream: &str) -> Vec<String> {
        let s = store.group(group).unwrap().stream(stream).unwrap();
        let state = s.lock();
        state.events.iter().map(|e| e.message.to_string()).collect()
    }

    fn put(store: &Store, group: &str, stream: &str, messages: &[&str]) {
        let s = store.group(group).unwrap().stream(stream).unwrap();
        put_to(store, &s, group, messages);
    }

    /// A put committed to `s`, which may no longer be linked into the store (a put that raced
    /// a delete).
    fn put_to(store: &Store, s: &LogStream, group: &str, messages: &[&str]) {
        let stream = s.name.as_str();
        let mut state = s.lock();
        let first = store.reserve_event_seqs(messages.len() as u64);
        let new: Vec<StoredEvent> = messages
            .iter()
            .zip(first..)
            .map(|(m, seq)| StoredEvent {
                timestamp: 1,
                ingestion_time: 2,
                message: (*m).into(),
                seq,
            })
            .collect();
        state.accepted_puts += 1;
        state.lsn = store.record(&Change::Append {
            group,
            stream,
            stream_id: s.id,
            events: &new,
            accepted_puts: state.accepted_puts,
            last_batch: None,
        });
        state.append(new);
    }

    #[tokio::test]
    async fn every_change_replays_into_an_empty_store() {
        let path = temp("replay");
        for durability in [Durability::Always, Durability::Os, Durability::Periodic] {
            let (store, journal) = journaled(&path, durability);
            let g = store.create_group("g", 5, settings()).unwrap();
            store.create_stream(&g, "s", 6).unwrap();
            store.create_stream(&g, "gone", 6).unwrap();
            put(&store, "g", "s", &["a", "b"]);
            store.update_settings(&g, |s| s.retention_in_days = Some(7));
            store.delete_stream(&g, "gone").unwrap();
            let h = store.create_group("h", 5, settings()).unwrap();
            store.create_stream(&h, "t", 6).unwrap();
            store.delete_group("h").unwrap();
            journal.durable().await.unwrap();
            journal.close();

            let restored = Store::new();
            let max = replay(&path, &restored).unwrap();
            assert_eq!(max, 9, "{durability:?}");
            assert_eq!(events(&restored, "g", "s"), ["a", "b"]);
            let g = restored.group("g").unwrap();
            assert_eq!(g.settings().retention_in_days, Some(7));
            assert!(g.stream("gone").is_none());
            assert!(restored.group("h").is_none());
            assert_eq!(g.stream("s").unwrap().lock().accepted_puts, 1);
            // New sequence numbers go past the replayed ones.
            assert!(restored.reserve_event_seqs(1) >= 2);
        }
    }

    #[tokio::test]
    async fn changes_a_snapshot_already_holds_are_not_applied_twice() {
        let path = temp("idempotent");
        let (store, journal) = journaled(&path, Durability::Os);
        let g = store.create_group("g", 5, settings()).unwrap();
        store.create_stream(&g, "s", 6).unwrap();
        put(&store, "g", "s", &["a"]);
        journal.durable().await.unwrap();
        journal.close();
        // Replaying twice over the same store is what replaying over a snapshot that already
        // holds the changes amounts to.
        let restored = Store::new();
        replay(&path, &restored).unwrap();
        replay(&path, &restored).unwrap();
        assert_eq!(events(&restored, "g", "s"), ["a"]);
    }

    #[tokio::test]
    async fn a_torn_tail_is_dropped_and_corruption_before_the_end_refused() {
        let path = temp("torn");
        let (store, journal) = journaled(&path, Durability::Os);
        let g = store.create_group("g", 5, settings()).unwrap();
        store.create_stream(&g, "s", 6).unwrap();
        put(&store, "g", "s", &["a"]);
        put(&store, "g", "s", &["b"]);
        journal.durable().await.unwrap();
        journal.close();
        let whole = fs::read(&path).unwrap();
        // Cut anywhere inside the last frame: the first put survives, the second is dropped.
        for cut in 1..20 {
            fs::write(&path, &whole[..whole.len() - cut]).unwrap();
            let restored = Store::new();
            replay(&path, &restored).unwrap();
            assert_eq!(events(&restored, "g", "s"), ["a"], "cut {cut}");
        }
        // A flipped byte in a frame with frames after it is corruption, named with its offset.
        let mut bad = whole.clone();
        bad[HEADER.len() + FRAME_HEAD + 3] ^= 0x20;
        fs::write(&path, &bad).unwrap();
        let err = replay(&path, &Store::new()).unwrap_err().to_string();
        assert!(
            err.contains("checksum mismatch") && err.contains("byte 22"),
            "{err}"
        );
        fs::write(&path, b"something else\n").unwrap();
        let err = replay(&path, &Store::new()).unwrap_err().to_string();
        assert!(err.contains("bad header"), "{err}");
    }

    #[tokio::test]
    async fn a_put_that_raced_a_delete_is_not_replayed_into_a_namesake() {
        let path = temp("namesake");
        let (store, journal) = journaled(&path, Durability::Os);
        let g = store.create_group("g", 5, settings()).unwrap();
        let old = store.create_stream(&g, "s", 6).unwrap();
        // The stream is deleted and created again while a put still holds the old one.
        store.delete_stream(&g, "s").unwrap();
        store.create_stream(&g, "s", 7).unwrap();
        put_to(&store, &old, "g", &["stale"]);
        put(&store, "g", "s", &["fresh"]);
        // A group deleted under a settings change and a stream creation records neither.
        let gone = store.create_group("gone", 5, settings()).unwrap();
        store.delete_group("gone").unwrap();
        store.create_group("gone", 8, settings()).unwrap();
        store.update_settings(&gone, |s| s.retention_in_days = Some(1));
        assert!(store.create_stream(&gone, "t", 9).is_err());
        journal.durable().await.unwrap();
        journal.close();

        let restored = Store::new();
        replay(&path, &restored).unwrap();
        assert_eq!(events(&restored, "g", "s"), ["fresh"]);
        let again = restored.group("gone").unwrap();
        assert_eq!(again.settings().retention_in_days, None);
        assert!(again.stream("t").is_none());
    }

    #[tokio::test]
    async fn a_rotation_never_overwrites_an_old_file_left_by_a_failed_compaction() {
        let path = temp("old-left");
        let (store, journal) = journaled(&path, Durability::Os);
        store.create_group("g", 5, settings()).unwrap();
        journal.rotate().unwrap();
        store.create_group("h", 5, settings()).unwrap();
        let err = journal.rotate().unwrap_err().to_string();
        assert!(err.contains("did not finish"), "{err}");
        journal.durable().await.unwrap();
        journal.close();
        let restored = Store::new();
        replay(&old_path(&path), &restored).unwrap();
        replay(&path, &restored).unwrap();
        assert!(restored.group("g").is_some() && restored.group("h").is_some());
    }

    #[tokio::test]
    async fn rotation_keeps_earlier_changes_in_the_old_file() {
        let path = temp("rotate");
        let (store, journal) = journaled(&path, Durability::Os);
        let g = store.create_group("g", 5, settings()).unwrap();
        journal.rotate().unwrap();
        store.create_stream(&g, "s", 6).unwrap();
        journal.durable().await.unwrap();
        journal.close();
        let restored = Store::new();
        assert_eq!(replay(&old_path(&path), &restored).unwrap(), 1);
        assert_eq!(replay(&path, &restored).unwrap(), 2);
        assert!(restored.group("g").unwrap().stream("s").is_some());
    }
}
