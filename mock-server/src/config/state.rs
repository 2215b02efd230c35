//! The `[state]` section: where the store is persisted between runs, and how often it is saved.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Longest accepted save interval: one day.
pub(crate) const MAX_SAVE_INTERVAL_MS: u64 = 86_400_000;

/// When an answer may say a change was accepted, relative to the journal (`persistence/`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Durability {
    /// After the journal holding the change is synced to disk (`fdatasync`): survives a power
    /// cut. Concurrent requests share one sync (group commit).
    Always,
    /// After the operating system has the journal's bytes (`write`): survives the mock being
    /// killed (SIGKILL, OOM, a panic), not a power cut. The default.
    #[default]
    Os,
    /// At once; the journal is written and synced every `save_interval_ms`: a crash loses up to
    /// that much of what was acknowledged.
    Periodic,
}

impl std::str::FromStr for Durability {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "always" => Ok(Self::Always),
            "os" => Ok(Self::Os),
            "periodic" => Ok(Self::Periodic),
            other => Err(format!(
                "unknown durability {other:?}: expected always, os or periodic"
            )),
        }
    }
}

/// The `[state]` section of the config file.
///
/// ```toml
/// [state]
/// file = "target/cwlogs-mock-state.json"
/// durability = "os"
/// save_interval_ms = 30000
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StateConfig {
    /// Where to load the store from at start and save it to; no persistence when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<PathBuf>,
    /// When an accepted change may be acknowledged: after the journal is synced, after the OS has
    /// it (the default), or at once with a periodic flush.
    pub durability: Durability,
    /// How often, in milliseconds, the mock checks whether to compact the journal into the state
    /// file, and (with `periodic` durability) writes and syncs the journal.
    pub save_interval_ms: u64,
    /// The journal is folded into the state file once it holds more than this many bytes (or
    /// more than the state file itself, if that is larger). At least 4096.
    pub compact_above_bytes: u64,
}

/// Default of [`StateConfig::compact_above_bytes`]: 64 MiB.
pub const DEFAULT_COMPACT_ABOVE_BYTES: u64 = 64 << 20;

impl Default for StateConfig {
    fn default() -> Self {
        Self {
            file: None,
            durability: Durability::Os,
            save_interval_ms: 30_000,
            compact_above_bytes: DEFAULT_COMPACT_ABOVE_BYTES,
        }
    }
}

impl StateConfig {
    /// Checks the interval: at least 10 ms, so that saving cannot starve the server, and at most a
    /// day, which keeps the timer arithmetic far from overflow.
    pub fn validate(&self) -> Result<(), String> {
        if !(10..=MAX_SAVE_INTERVAL_MS).contains(&self.save_interval_ms) {
            return Err(format!(
                "save_interval_ms must be between 10 and {MAX_SAVE_INTERVAL_MS}, got {}",
                self.save_interval_ms
            ));
        }
        if self.compact_above_bytes < 4096 {
            return Err(format!(
                "compact_above_bytes must be at least 4096, got {}",
                self.compact_above_bytes
            ));
        }
        Ok(())
    }
}
