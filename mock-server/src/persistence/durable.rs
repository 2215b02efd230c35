//! The state file and its journal together: what `--state-file PATH` does from start to stop.
//!
//! - **Start**: remove the temporary files of interrupted saves; load `PATH`; replay
//!   `PATH.journal.old` (a compaction the mock was killed in) and `PATH.journal`, write the result
//!   to `PATH` and drop them; open a fresh journal next to `PATH` (which proves the directory
//!   writable before anything is accepted: an unwritable path stops the start) and attach it.
//! - **Running**: every change goes to the journal before its answer (`journal.rs`). Every
//!   `save_interval_ms` the journal's size is checked; past `compact_above_bytes` (or the state
//!   file's own size, if larger) it is compacted on a blocking thread: the journal is rotated to
//!   `PATH.journal.old`, the live store is streamed into `PATH`, and the old journal removed.
//!   Compaction takes each stream's lock only to share its events' chunks, and copies no message.
//! - **Stop**: the journal is synced and closed, the store saved to `PATH`, the journal removed.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::config::state::StateConfig;
use crate::error::StateFileError;
use crate::persistence::journal::{self, Journal};
use crate::persistence::StateFile;
use crate::service::store::{ChangeLog, Store};
use crate::service::State;

/// A store kept durable in a state file and its journal.
#[derive(Debug)]
pub(crate) struct Durable {
    file: StateFile,
    journal: Arc<Journal>,
    state: Arc<State>,
    compactor: Option<(
        tokio::sync::oneshot::Sender<()>,
        tokio::task::JoinHandle<()>,
    )>,
}

/// The journal's path for a state file at `path`.
pub(crate) fn journal_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".journal");
    PathBuf::from(name)
}

impl Durable {
    /// Loads the state file and journals into the empty `store` and attaches a fresh journal.
    /// Blocking (it reads and writes the whole state once); runs before the server serves.
    pub(crate) fn open(
        config: &StateConfig,
        path: &Path,
        state: Arc<State>,
    ) -> Result<Self, StateFileError> {
        let store = &state.store;
        StateFile::remove_stale_temporaries(path);
        let (file, mut max_lsn) = StateFile::load_store(path, store)?;
        let journal_at = journal_path(path);
        let old = journal::old_path(&journal_at);
        // A rotation the mock was killed in may have left its new, still empty file.
        let _ = fs::remove_file(journal::new_path(&journal_at));
        let journals_left = old.exists() || journal_at.exists();
        for replayed in [&old, &journal_at] {
            max_lsn = max_lsn.max(journal::replay(replayed, store)?);
        }
        store.recount_stored_bytes();
        // What was replayed is folded into the state file before the journals go. Without
        // journals the file already is the state, and rewriting it would only slow the start
        // (365 ms to load 1,000,000 events, BENCHMARKS.md); creating the journal next to it
        // proves the directory writable either way, before anything is accepted.
        if journals_left {
            file.save_store(store)?;
        }
        for replayed in [&old, &journal_at] {
            match fs::remove_file(replayed) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(source) => {
                    return Err(StateFileError::Write {
                        path: replayed.clone(),
                        source,
                    })
                }
            }
        }
        let journal = Arc::new(Journal::create(
            &journal_at,
            max_lsn + 1,
            config.durability,
            Duration::from_millis(config.save_interval_ms),
        )?);
        store.set_change_log(Arc::clone(&journal) as Arc<dyn ChangeLog>);
        Ok(Self {
            file,
            journal,
            state,
            compactor: None,
        })
    }

    /// The journal, for the server to wait on before answering.
    pub(crate) fn journal(&self) -> &Arc<Journal> {
        &self.journal
    }

    /// Starts checking every `every` whether the journal should be compacted.
    pub(crate) fn spawn_compactor(&mut self, every: Duration, compact_above: u64) {
        let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
        let file = self.file.clone();
        let journal = Arc::clone(&self.journal);
        let state = Arc::clone(&self.state);
        let task = tokio::spawn(async move {
            let mut ticks = tokio::time::interval(every);
            ticks.tick().await;
            let mut snapshot_size = 0u64;
            loop {
                tokio::select! {
                    _ = ticks.tick() => {}
                    _ = &mut stopped => break,
                }
                if journal.size() < compact_above.max(snapshot_size) {
                    continue;
                }
                let (file, journal, state) =
                    (file.clone(), Arc::clone(&journal), Arc::clone(&state));
                let compacted =
                    tokio::task::spawn_blocking(move || compact(&file, &journal, &state.store))
                        .await;
                match compacted {
                    Ok(Ok(size)) => {
                        snapshot_size = size;
                        tracing::debug!(bytes = size, "journal compacted into the state file");
                    }
                    Ok(Err(e)) => tracing::warn!("compaction failed, retried later: {e}"),
                    Err(e) => tracing::warn!("compaction task failed: {e}"),
                }
            }
        });
        self.compactor = Some((stop, task));
    }

    /// Stops compaction, closes the journal and saves the store; the journal is then removed.
    /// Blocking parts run on a blocking thread.
    pub(crate) async fn close(mut self) -> Result<(), StateFileError> {
        if let Some((stop, task)) = self.compactor.take() {
            let _ = stop.send(());
            let _ = task.await;
        }
        let file = self.file.clone();
        let journal = Arc::clone(&self.journal);
        let state = Arc::clone(&self.state);
        let saved = tokio::task::spawn_blocking(move || {
            journal.close();
            file.save_store(&state.store)?;
            let journal_at = journal_path(file.path());
            for path in [journal::old_path(&journal_at), journal_at] {
                let _ = fs::remove_file(path);
            }
            Ok::<(), StateFileError>(())
        })
        .await;
        saved.unwrap_or_else(|e| {
            Err(StateFileError::Serialize {
                path: PathBuf::new(),
                reason: format!("the final save did not finish: {e}"),
            })
        })
    }
}

impl Drop for Durable {
    fn drop(&mut self) {
        // Dropped without `close` (the server was dropped): stop compacting; the journal closes
        // when its last holder drops, and what it holds is replayed at the next start.
        if let Some((_, task)) = self.compactor.take() {
            task.abort();
        }
    }
}

/// Rotates the journal (unless an earlier compaction left `.old`), streams the store into the
/// state file, drops the old journal. A crash at any point leaves a state file and journals that
/// replay to everything acknowledged.
fn compact(file: &StateFile, journal: &Journal, store: &Store) -> Result<u64, StateFileError> {
    let journal_at = journal_path(file.path());
    let old = journal::old_path(&journal_at);
    // After a compaction whose save failed, `.old` still holds changes the state file lacks: save
    // again before rotating (everything in it was applied before this save starts), never rotate
    // over it.
    if !old.exists() {
        journal.rotate().map_err(|source| StateFileError::Write {
            path: journal_at.clone(),
            source,
        })?;
    }
    let size = file.save_store(store)?;
    fs::remove_file(&old).map_err(|source| StateFileError::Write { path: old, source })?;
    Ok(size)
}
