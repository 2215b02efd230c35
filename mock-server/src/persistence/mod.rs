//! Persisting the store between runs (`--state-file PATH`).
//!
//! The file is JSON: an envelope naming the format and its version around whatever the store
//! serialises to. Three promises:
//! - **Atomic saves**: the new state is written to a temporary file next to the target, flushed to
//!   disk, then renamed over it, so a crash mid-save leaves either the old or the new file, never half.
//! - **A corrupt file is never overwritten**: saving is only possible through a [`StateFile`], and one
//!   exists only after the file at its path was read successfully (or did not exist). A file that
//!   does not parse stops the start with a message naming the path and the parser's position.
//! - **Periodic saves** run off the request path: the snapshot is taken by a caller-supplied closure
//!   (which holds store locks only while copying) and the write happens on a blocking thread.

use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

pub(crate) mod snapshot;

use crate::error::StateFileError;
use crate::service::store::Store;
use snapshot::StoreSnapshot;

/// The `format` field of every state file; anything else is refused.
pub(crate) const FORMAT: &str = "cwlogs-mock-state";
/// The envelope version this build writes and reads.
pub(crate) const VERSION: u32 = 1;

#[derive(Serialize)]
struct EnvelopeOut<'a, T> {
    format: &'a str,
    version: u32,
    store: &'a T,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EnvelopeIn<T> {
    format: String,
    version: u32,
    store: T,
}

/// A state file that was found readable (or absent) and may therefore be saved to.
#[derive(Debug, Clone)]
pub(crate) struct StateFile {
    path: PathBuf,
}

impl StateFile {
    /// Opens the state file at `path`: returns the handle and the stored state, or `None` when the
    /// file does not exist yet (a first run). A file that exists but is unreadable or corrupt is an
    /// error, and no handle is returned, so nothing can overwrite it.
    pub(crate) fn open<T: DeserializeOwned>(
        path: &Path,
    ) -> Result<(Self, Option<T>), StateFileError> {
        let bytes = match fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Ok((
                    Self {
                        path: path.to_owned(),
                    },
                    None,
                ))
            }
            Err(source) => {
                return Err(StateFileError::Read {
                    path: path.to_owned(),
                    source,
                })
            }
        };
        let corrupt = |reason: String| StateFileError::Corrupt {
            path: path.to_owned(),
            reason,
        };
        let envelope: EnvelopeIn<T> = serde_json::from_slice(&bytes).map_err(|e| {
            corrupt(if bytes.is_empty() {
                "the file is empty".to_owned()
            } else {
                e.to_string()
            })
        })?;
        if envelope.format != FORMAT {
            return Err(corrupt(format!(
                "format is {:?}, expected {FORMAT:?}",
                envelope.format
            )));
        }
        if envelope.version != VERSION {
            return Err(corrupt(format!(
                "version {} is not supported; this build reads version {VERSION}",
                envelope.version
            )));
        }
        Ok((
            Self {
                path: path.to_owned(),
            },
            Some(envelope.store),
        ))
    }

    /// Opens the state file at `path` and loads what it holds into the empty `store`. A file that
    /// names a group or stream twice is refused like any other corrupt file.
    pub(crate) fn load_store(path: &Path, store: &Store) -> Result<Self, StateFileError> {
        let (file, snapshot) = Self::open::<StoreSnapshot>(path)?;
        if let Some(snapshot) = snapshot {
            snapshot
                .restore_into(store)
                .map_err(|reason| StateFileError::Corrupt {
                    path: path.to_owned(),
                    reason,
                })?;
        }
        Ok(file)
    }

    /// Saves a snapshot of `store` (see [`StateFile::save`]).
    pub(crate) fn save_store(&self, store: &Store) -> Result<(), StateFileError> {
        self.save(&StoreSnapshot::take(store))
    }

    /// The temporary file a save writes before renaming: in the same directory, so that the
    /// rename stays on one file system and is atomic.
    fn temp_path(&self) -> PathBuf {
        let mut name = self
            .path
            .file_name()
            .map(|n| n.to_os_string())
            .unwrap_or_else(|| "state".into());
        name.push(format!(".tmp-{}", std::process::id()));
        self.path.with_file_name(name)
    }

    /// Saves `state` atomically: write a temporary file, flush it to disk, rename it over the
    /// state file. Blocking; call it from a blocking thread in async code.
    pub(crate) fn save<T: Serialize>(&self, state: &T) -> Result<(), StateFileError> {
        let envelope = EnvelopeOut {
            format: FORMAT,
            version: VERSION,
            store: state,
        };
        let bytes = serde_json::to_vec(&envelope).map_err(|e| StateFileError::Serialize {
            path: self.path.clone(),
            reason: e.to_string(),
        })?;
        let temp = self.temp_path();
        let write_err = |source| StateFileError::Write {
            path: self.path.clone(),
            source,
        };
        let result = (|| {
            let mut file = fs::File::create(&temp)?;
            file.write_all(&bytes)?;
            file.sync_all()?;
            fs::rename(&temp, &self.path)
        })();
        if let Err(e) = result {
            // Leave no stray temporary file behind; the old state file is untouched either way.
            let _ = fs::remove_file(&temp);
            return Err(write_err(e));
        }
        // Make the rename itself durable where the platform allows opening a directory.
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            if let Ok(dir) = fs::File::open(dir) {
                let _ = dir.sync_all();
            }
        }
        Ok(())
    }

    /// Starts a task that saves a fresh snapshot every `every` until the returned handle is
    /// stopped or dropped. A failed save is logged and retried at the next tick: a full disk must
    /// not take the mock down mid-test.
    pub(crate) fn spawn_periodic<T, F>(&self, every: Duration, snapshot: F) -> PeriodicSave
    where
        T: Serialize + Send + 'static,
        F: Fn() -> T + Send + Sync + 'static,
    {
        let file = self.clone();
        let snapshot = Arc::new(snapshot);
        let (stop_tx, mut stop_rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let mut ticks = tokio::time::interval(every);
            // The first tick fires at once; the state was just loaded, so skip it.
            ticks.tick().await;
            loop {
                tokio::select! {
                    _ = ticks.tick() => {}
                    _ = &mut stop_rx => break,
                }
                let file = file.clone();
                let snapshot = Arc::clone(&snapshot);
                let saved = tokio::task::spawn_blocking(move || file.save(&snapshot())).await;
                match saved {
                    Ok(Ok(())) => tracing::debug!("state file saved"),
                    Ok(Err(e)) => tracing::warn!("periodic save failed: {e}"),
                    Err(e) => tracing::warn!("periodic save task failed: {e}"),
                }
            }
        });
        PeriodicSave {
            stop: Some(stop_tx),
            task: Some(task),
        }
    }
}

/// A running periodic save; stops when [`PeriodicSave::stop`] is awaited or when dropped.
#[derive(Debug)]
pub(crate) struct PeriodicSave {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl PeriodicSave {
    /// Stops the task and waits until any save in progress has finished, so that a final save
    /// after this cannot race with it.
    pub(crate) async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for PeriodicSave {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::state::StateConfig;
    use std::sync::atomic::{AtomicU64, Ordering};

    /// A fresh directory under the system temp dir, removed on drop.
    pub(crate) struct TempDir(PathBuf);

    impl TempDir {
        pub(crate) fn new(tag: &str) -> Self {
            static NEXT: AtomicU64 = AtomicU64::new(0);
            let dir = std::env::temp_dir().join(format!(
                "cwlogs-mock-{tag}-{}-{}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            ));
            fs::create_dir_all(&dir).unwrap();
            Self(dir)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    type State = Vec<(String, u64)>;

    #[test]
    fn save_intervals_are_bounded() {
        let at = |ms| StateConfig {
            file: None,
            save_interval_ms: ms,
        };
        assert!(at(9).validate().unwrap_err().contains("between 10 and"));
        assert!(at(u64::MAX).validate().is_err());
        at(10).validate().unwrap();
        StateConfig::default().validate().unwrap();
    }

    #[test]
    fn a_missing_file_is_a_first_run_and_saves_round_trip() {
        let dir = TempDir::new("roundtrip");
        let path = dir.0.join("state.json");
        let (file, loaded) = StateFile::open::<State>(&path).unwrap();
        assert!(loaded.is_none());
        let state: State = vec![("a".into(), 1), ("b".into(), 2)];
        file.save(&state).unwrap();
        let (_, loaded) = StateFile::open::<State>(&path).unwrap();
        assert_eq!(loaded, Some(state));
        // The temporary file was renamed away.
        let names: Vec<_> = fs::read_dir(&dir.0)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("state.json")]);
    }

    #[test]
    fn corrupt_files_are_refused_with_a_clear_message_and_left_alone() {
        let dir = TempDir::new("corrupt");
        for (content, needle) in [
            (
                &b"{\"format\":\"cwlogs-mock-state\",\"version\":1,\"store\":[[\"a\""[..],
                "line 1",
            ),
            (b"", "empty"),
            (
                b"{\"format\":\"other\",\"version\":1,\"store\":[]}",
                "expected \"cwlogs-mock-state\"",
            ),
            (
                b"{\"format\":\"cwlogs-mock-state\",\"version\":9,\"store\":[]}",
                "version 9",
            ),
        ] {
            let path = dir.0.join("state.json");
            fs::write(&path, content).unwrap();
            let err = StateFile::open::<State>(&path).unwrap_err();
            let text = err.to_string();
            assert!(text.contains(&path.display().to_string()), "{text}");
            assert!(text.contains(needle), "{text}");
            assert!(text.contains("not overwritten"), "{text}");
            assert_eq!(fs::read(&path).unwrap(), content);
        }
    }

    #[test]
    fn a_failed_save_keeps_the_old_file_and_leaves_no_temporary() {
        let dir = TempDir::new("failed");
        let path = dir.0.join("state.json");
        let (file, _) = StateFile::open::<State>(&path).unwrap();
        file.save(&vec![("old".to_owned(), 1)]).unwrap();
        // A directory where the temporary file should go makes the write fail.
        fs::create_dir(file.temp_path()).unwrap();
        assert!(matches!(
            file.save(&vec![("new".to_owned(), 2)]),
            Err(StateFileError::Write { .. })
        ));
        fs::remove_dir(file.temp_path()).unwrap();
        let (_, loaded) = StateFile::open::<State>(&path).unwrap();
        assert_eq!(loaded, Some(vec![("old".to_owned(), 1)]));
    }

    #[tokio::test]
    async fn periodic_saves_write_fresh_snapshots_until_stopped() {
        let dir = TempDir::new("periodic");
        let path = dir.0.join("state.json");
        let (file, _) = StateFile::open::<State>(&path).unwrap();
        let counter = Arc::new(AtomicU64::new(0));
        let c = Arc::clone(&counter);
        let saver = file.spawn_periodic(Duration::from_millis(10), move || {
            vec![("n".to_owned(), c.fetch_add(1, Ordering::SeqCst))]
        });
        // Bounded wait: at most 5 s for two saves.
        for _ in 0..500 {
            if counter.load(Ordering::SeqCst) >= 2 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        saver.stop().await;
        let taken = counter.load(Ordering::SeqCst);
        assert!(taken >= 2, "only {taken} snapshots taken");
        let (_, loaded) = StateFile::open::<State>(&path).unwrap();
        assert_eq!(loaded, Some(vec![("n".to_owned(), taken - 1)]));
    }
}
