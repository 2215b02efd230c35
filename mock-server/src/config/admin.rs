//! The `[admin]` section: who may reach the admin API, and how much a caller may start through it.

use serde::{Deserialize, Serialize};

/// Most background writers accepted at once by default.
pub const DEFAULT_MAX_WRITERS: usize = 16;

/// Most background writers a configuration may allow at once.
pub(crate) const MAX_WRITERS_CEILING: usize = 1_024;

/// The `[admin]` section of the config file.
///
/// ```toml
/// [admin]
/// allowed_hosts = ["cwlogs-mock.ci.example.com"]
/// max_writers = 16
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AdminConfig {
    /// Host names (without port) the admin API answers under beyond the ones it always accepts:
    /// IP addresses, `localhost` and `*.localhost`, names without a dot (such as a Compose
    /// service name) and names under `.internal` or `.local`. Matched without regard to case;
    /// they are also accepted as `Origin` hosts.
    pub allowed_hosts: Vec<String>,
    /// Most background writers (`POST /_mock/writers`) running at once, 1 to 1,024.
    pub max_writers: usize,
}

impl Default for AdminConfig {
    fn default() -> Self {
        Self {
            allowed_hosts: Vec::new(),
            max_writers: DEFAULT_MAX_WRITERS,
        }
    }
}

impl AdminConfig {
    /// Checks the writer cap and that every allowed host is a bare host name.
    pub fn validate(&self) -> Result<(), String> {
        if !(1..=MAX_WRITERS_CEILING).contains(&self.max_writers) {
            return Err(format!(
                "max_writers must be between 1 and {MAX_WRITERS_CEILING}, got {}",
                self.max_writers
            ));
        }
        for host in &self.allowed_hosts {
            let bare = !host.is_empty()
                && host
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'));
            if !bare {
                return Err(format!(
                    "allowed_hosts entries are host names without scheme or port \
                     (letters, digits, '-', '.', '_'), got {host:?}"
                ));
            }
        }
        Ok(())
    }
}
