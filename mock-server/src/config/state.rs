//! The `[state]` section: where the store is persisted between runs, and how often it is saved.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Longest accepted save interval: one day.
pub(crate) const MAX_SAVE_INTERVAL_MS: u64 = 86_400_000;

/// The `[state]` section of the config file.
///
/// ```toml
/// [state]
/// file = "target/cwlogs-mock-state.json"
/// save_interval_ms = 30000
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StateConfig {
    /// Where to load the store from at start and save it to; no persistence when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<PathBuf>,
    /// How often to save while running, in milliseconds (there is always a save on clean shutdown).
    pub save_interval_ms: u64,
}

impl Default for StateConfig {
    fn default() -> Self {
        Self {
            file: None,
            save_interval_ms: 30_000,
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
        Ok(())
    }
}
