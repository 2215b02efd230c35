//! The library's own errors: what can go wrong starting, configuring or stopping the mock.
//!
//! Errors that a *client* of the mock sees are not here: those are AWS-shaped responses
//! ([`crate::api_error::ApiError`]), because the mock must answer every request the way AWS would.

use std::io;
use std::path::PathBuf;

/// Everything the `mock-server` library can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The listening socket could not be bound (address in use, permission denied, ...).
    #[error("cannot bind {addr}: {source}")]
    Bind {
        /// The address that was asked for.
        addr: String,
        /// The operating system's reason.
        #[source]
        source: io::Error,
    },
    /// A configuration file could not be read.
    #[error("cannot read config file {path}: {source}")]
    ConfigRead {
        /// The file that was asked for.
        path: PathBuf,
        /// The operating system's reason.
        #[source]
        source: io::Error,
    },
    /// A configuration file was read but is not valid TOML or JSON for [`crate::Config`].
    #[error("invalid config file {path}: {reason}")]
    ConfigParse {
        /// The file that was asked for.
        path: PathBuf,
        /// What the parser said.
        reason: String,
    },
    /// A configuration value is out of its allowed range.
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),
    /// The state file could not be loaded (unreadable or corrupt: it is left untouched) or saved.
    #[error(transparent)]
    StateFile(#[from] crate::state_file::StateFileError),
    /// The server task failed while stopping.
    #[error("server task failed: {0}")]
    Shutdown(String),
}
