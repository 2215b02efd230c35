//! Persisting the store between runs (`--state-file PATH`).
//!
//! The file is JSON: an envelope naming the format and its version around whatever the store
//! serialises to. Three promises:
//! - **Atomic saves**: the new state is written to a temporary file next to the target, flushed to
//!   disk, then renamed over it, so a crash mid-save leaves either the old or the new file, never half.
//! - **A corrupt file is never overwritten**: saving is only possible through a [`StateFile`], and one
//!   exists only after the file at its path was read successfully (or did not exist). A file that
//!   does not parse stops the start with a message naming the path and the parser's position.
//! - **Streamed saves**: the JSON goes to the file as it is produced, one stream at a time from a
//!   copy that shares its events' chunks, so saving holds no copy of the messages.
//!
//! Between saves, the journal (`journal.rs`) makes every acknowledged change durable;
//! `durable.rs` puts the two together.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

pub(crate) mod codec;
pub(crate) mod durable;
pub(crate) mod journal;
pub(crate) mod snapshot;

use crate::error::StateFileError;
use crate::service::store::Store;
use snapshot::{LiveStore, StoreSnapshot};

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

    /// Opens the state file at `path` and loads what it holds into the empty `store`; returns the
    /// handle and the highest LSN the file records. A file that names a group or stream twice,
    /// or holds a counter out of range, is refused like any other corrupt file.
    pub(crate) fn load_store(path: &Path, store: &Store) -> Result<(Self, u64), StateFileError> {
        let (file, snapshot) = Self::open::<StoreSnapshot>(path)?;
        let mut max_lsn = 0;
        if let Some(snapshot) = snapshot {
            max_lsn = snapshot
                .restore_into(store)
                .map_err(|reason| StateFileError::Corrupt {
                    path: path.to_owned(),
                    reason,
                })?;
        }
        Ok((file, max_lsn))
    }

    /// Saves the live `store`, one stream at a time (see [`StateFile::save`]).
    pub(crate) fn save_store(&self, store: &Store) -> Result<u64, StateFileError> {
        self.save(&LiveStore(store))
    }

    /// The state file's path.
    pub(crate) fn path(&self) -> &Path {
        &self.path
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
    /// state file; returns the file's size. The JSON is streamed to the file as it is produced,
    /// so saving holds no copy of the state. Blocking; call it from a blocking thread in async code.
    pub(crate) fn save<T: Serialize>(&self, state: &T) -> Result<u64, StateFileError> {
        let envelope = EnvelopeOut {
            format: FORMAT,
            version: VERSION,
            store: state,
        };
        let temp = self.temp_path();
        let write_err = |source| StateFileError::Write {
            path: self.path.clone(),
            source,
        };
        let result = (|| {
            let file = fs::File::create(&temp)?;
            let mut out = io::BufWriter::with_capacity(1 << 20, file);
            serde_json::to_writer(&mut out, &envelope).map_err(io::Error::other)?;
            let file = out.into_inner().map_err(io::IntoInnerError::into_error)?;
            file.sync_all()?;
            let size = file.metadata()?.len();
            fs::rename(&temp, &self.path)?;
            Ok(size)
        })();
        let size = match result {
            Ok(size) => size,
            Err(e) => {
                // Leave no stray temporary file behind; the old state file is untouched either way.
                let _ = fs::remove_file(&temp);
                return Err(write_err(e));
            }
        };
        // Make the rename itself durable where the platform allows opening a directory.
        journal::sync_dir(&self.path);
        Ok(size)
    }

    /// Removes the temporary files of saves that a crash interrupted (issue 20: every killed save
    /// left `PATH.tmp-<pid>` behind, 698 MB after 7 kills). Returns how many were removed.
    pub(crate) fn remove_stale_temporaries(path: &Path) -> usize {
        let Some(name) = path.file_name().map(|n| n.to_string_lossy().into_owned()) else {
            return 0;
        };
        let prefix = format!("{name}.tmp-");
        let dir = match path.parent().filter(|d| !d.as_os_str().is_empty()) {
            Some(dir) => dir.to_owned(),
            None => PathBuf::from("."),
        };
        let Ok(entries) = fs::read_dir(&dir) else {
            return 0;
        };
        let mut removed = 0;
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().starts_with(&prefix)
                && fs::remove_file(entry.path()).is_ok()
            {
                tracing::info!(path = %entry.path().display(), "removed the temporary file of an interrupted save");
                removed += 1;
            }
        }
        removed
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
            save_interval_ms: ms,
            ..StateConfig::default()
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
}
