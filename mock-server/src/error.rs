//! The library's own errors: what can go wrong starting, configuring or stopping the mock.
//!
//! Errors that a *client* of the mock sees are not here: those are AWS-shaped responses
//! ([`crate::protocol::errors::ApiError`]), because the mock must answer every request the way AWS would.

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
    StateFile(#[from] StateFileError),
    /// The server task failed while stopping.
    #[error("server task failed: {0}")]
    Shutdown(String),
}

/// What can go wrong loading or saving a state file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StateFileError {
    /// The file exists but could not be read.
    #[error("cannot read state file {path}: {source}")]
    Read {
        /// The state file.
        path: PathBuf,
        /// The operating system's reason.
        #[source]
        source: io::Error,
    },
    /// The file was read but is not a state file this build understands. It is left untouched.
    #[error(
        "state file {path} is corrupt or not a cwlogs-mock state file ({reason}); refusing to \
         start so that it is not overwritten: fix it, move it away, or pass another --state-file"
    )]
    Corrupt {
        /// The state file.
        path: PathBuf,
        /// What is wrong, with the parser's line and column when it has them.
        reason: String,
    },
    /// Writing the temporary file or renaming it over the state file failed.
    #[error("cannot save state file {path}: {source}")]
    Write {
        /// The state file.
        path: PathBuf,
        /// The operating system's reason.
        #[source]
        source: io::Error,
    },
    /// The state could not be serialised.
    #[error("cannot serialise the state for {path}: {reason}")]
    Serialize {
        /// The state file.
        path: PathBuf,
        /// The serialiser's reason.
        reason: String,
    },
}
