//! Configuration of the mock: what the binary's flags and `--config FILE` set.
//!
//! Every section is `#[serde(default)]`, so a config file only names what it changes and new
//! sections (throttling, faults, ...) can be added without breaking existing files.
//!
//! This is the ground every layer stands on: plain data and the checks of its own values, importing
//! nothing of the mock but [`crate::error`]. The sections of the layers above ([`throttle`],
//! [`faults`], [`state`]) live here as data so that the layers that act on them stay one-way.

pub(crate) mod admin;
pub(crate) mod faults;
pub(crate) mod state;
pub(crate) mod throttle;

use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::Error;

/// How `PutLogEvents` treats `sequenceToken` (CLOUDWATCH.md §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenMode {
    /// AWS since January 2023: the token is ignored; `nextSequenceToken` is still returned.
    #[default]
    Current,
    /// AWS before 2023: every put after the first must carry the expected token.
    Strict,
}

impl FromStr for TokenMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "current" => Ok(Self::Current),
            "strict" => Ok(Self::Strict),
            other => Err(format!(
                "unknown token mode {other:?}: expected current or strict"
            )),
        }
    }
}

/// The whole configuration of one mock server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address to listen on. Loopback unless asked otherwise.
    pub bind: IpAddr,
    /// Port to listen on; 0 picks a free one.
    pub port: u16,
    /// Sequence-token semantics.
    pub token_mode: TokenMode,
    /// Region used in ARNs when a request carries no SigV4 credential scope.
    pub region: String,
    /// Account id used in ARNs.
    pub account_id: String,
    /// Service limits; the defaults are today's AWS values.
    pub limits: Limits,
    /// Strict mode only: a put carrying the token that was superseded less than this many ms ago is
    /// accepted too, as the legacy service sometimes let two racing puts through (CLOUDWATCH.md
    /// §3.1). 0 (the default) makes the token a strict compare-and-swap: exactly one racer wins.
    pub legacy_race_window_ms: u64,
    /// GetLogEvents and FilterLogEvents do not show events ingested less than this many ms ago, as
    /// the real service's reads are eventually consistent. 0 (the default) shows them at once.
    pub visibility_delay_ms: u64,
    /// Request-rate quotas: a preset (`aws`, `legacy`, `off`) and per-operation overrides.
    pub throttle: throttle::ThrottleConfig,
    /// The fault plan in force at start: a preset and/or rules, and the seed.
    pub faults: faults::FaultsConfig,
    /// Persistence of the store across restarts.
    pub state: state::StateConfig,
    /// Who may reach the admin API, and how many background writers it starts.
    pub admin: admin::AdminConfig,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            token_mode: TokenMode::Current,
            region: "us-east-1".into(),
            account_id: "123456789012".into(),
            limits: Limits::default(),
            legacy_race_window_ms: 0,
            visibility_delay_ms: 0,
            throttle: throttle::ThrottleConfig::default(),
            faults: faults::FaultsConfig::default(),
            state: state::StateConfig::default(),
            admin: admin::AdminConfig::default(),
        }
    }
}

/// Default of [`Limits::max_stored_bytes`]: 1 GiB of messages. The process holds more than that
/// (about 57 bytes per event beyond the message, BENCHMARKS.md), so with the default a runaway
/// test stops at roughly 1.3 GiB of memory for 200-byte events instead of taking the machine down;
/// the bench's 1,000,000 events of 200 bytes (200 MB) fit five times over.
pub const DEFAULT_MAX_STORED_BYTES: u64 = 1 << 30;

/// Reads a store cap as the flag and the config file spell it: a number of bytes, where `0` means
/// no cap, or `none`.
pub fn parse_stored_bytes_cap(text: &str) -> Result<Option<u64>, String> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("none") {
        return Ok(None);
    }
    match text.parse::<u64>() {
        Ok(0) => Ok(None),
        Ok(bytes) => Ok(Some(bytes)),
        Err(_) => Err(format!(
            "max stored bytes must be a number of bytes, or 0 or none for no cap; got {text:?}"
        )),
    }
}

/// Serde form of [`Limits::max_stored_bytes`]. TOML has no null, so "no cap" is written `0`
/// (and read from `0`, `"none"` or JSON `null`); a written config reads back the same.
mod stored_bytes_cap {
    use serde::{Deserialize, Deserializer, Serializer};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Spelling {
        Bytes(u64),
        Word(String),
    }

    pub(super) fn serialize<S: Serializer>(cap: &Option<u64>, out: S) -> Result<S::Ok, S::Error> {
        out.serialize_u64(cap.unwrap_or(0))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        input: D,
    ) -> Result<Option<u64>, D::Error> {
        match Option::<Spelling>::deserialize(input) {
            Ok(None) | Ok(Some(Spelling::Bytes(0))) => Ok(None),
            Ok(Some(Spelling::Bytes(bytes))) => Ok(Some(bytes)),
            Ok(Some(Spelling::Word(word))) => {
                super::parse_stored_bytes_cap(&word).map_err(serde::de::Error::custom)
            }
            Err(_) => Err(serde::de::Error::custom(
                "max_stored_bytes must be a number of bytes, or 0 or \"none\" for no cap",
            )),
        }
    }
}

/// Limits of the service and of the mock itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Largest single event, message bytes plus 26 (1 MiB since April 2025; 262,144 before).
    pub max_event_bytes: usize,
    /// Largest PutLogEvents batch, the sum of message bytes plus 26 per event.
    pub max_batch_bytes: usize,
    /// Most events in one PutLogEvents batch.
    pub max_batch_events: usize,
    /// Largest HTTP request body the mock reads; larger bodies are refused before buffering.
    /// JSON escaping can make a legal 1 MiB batch several times larger on the wire, hence the margin.
    pub max_body_bytes: usize,
    /// Most message bytes (UTF-8 bytes of the messages, nothing else) the whole store keeps; puts
    /// past it are refused with `ServiceQuotaExceededException` (a code no SDK retries) and nothing
    /// already stored is dropped. Default [`DEFAULT_MAX_STORED_BYTES`]; `None`: no cap, spelled
    /// `0` or `"none"` in a config file (and `null` in JSON).
    #[serde(with = "stored_bytes_cap")]
    pub max_stored_bytes: Option<u64>,
    /// Most connections served at once, lowered at start below the process's open-file limit.
    /// When every slot is taken, a new client makes the connection that has waited longest
    /// without a request in service close; when all are serving, it waits in the listen backlog.
    pub max_connections: usize,
    /// A connection must complete a request head within this many ms of its accept or of the
    /// head's first byte, or it is closed. 0: no limit.
    pub header_read_timeout_ms: u64,
    /// A request body must arrive within this many ms of its head, or the connection is closed
    /// without an answer. 0: no limit.
    pub body_read_timeout_ms: u64,
    /// A keep-alive connection with no new request this many ms after its last answer is closed
    /// (longer than the SDKs' own pool idle times, 60-90 s, so that clients close first). 0: no
    /// limit.
    pub idle_timeout_ms: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_event_bytes: 1_048_576,
            max_batch_bytes: 1_048_576,
            max_batch_events: 10_000,
            max_body_bytes: 8 * 1024 * 1024,
            max_stored_bytes: Some(DEFAULT_MAX_STORED_BYTES),
            max_connections: 4096,
            header_read_timeout_ms: 30_000,
            body_read_timeout_ms: 30_000,
            idle_timeout_ms: 120_000,
        }
    }
}

impl Config {
    /// Reads a configuration file: JSON when the name ends in `.json`, TOML otherwise.
    pub fn from_file(path: &Path) -> Result<Self, Error> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::ConfigRead {
            path: path.to_owned(),
            source,
        })?;
        let is_json = path
            .extension()
            .is_some_and(|ext| ext.eq_ignore_ascii_case("json"));
        let parsed = if is_json {
            Self::from_json(&text)
        } else {
            Self::from_toml(&text)
        };
        parsed.map_err(|reason| Error::ConfigParse {
            path: path.to_owned(),
            reason,
        })
    }

    /// Parses a TOML configuration.
    pub fn from_toml(text: &str) -> Result<Self, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    /// Parses a JSON configuration.
    pub fn from_json(text: &str) -> Result<Self, String> {
        serde_json::from_str(text).map_err(|e| e.to_string())
    }

    /// Checks values that the types alone cannot.
    pub fn validate(&self) -> Result<(), Error> {
        if self.account_id.len() != 12 || !self.account_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::InvalidConfig(format!(
                "account id {:?} must be 12 digits",
                self.account_id
            )));
        }
        if self.region.is_empty() {
            return Err(Error::InvalidConfig("region must not be empty".into()));
        }
        if self.limits.max_body_bytes < self.limits.max_batch_bytes {
            return Err(Error::InvalidConfig(
                "limits.max_body_bytes must be at least limits.max_batch_bytes".into(),
            ));
        }
        self.throttle
            .validate()
            .map_err(|e| Error::InvalidConfig(format!("throttle: {e}")))?;
        self.faults
            .plan()
            .map_err(|e| Error::InvalidConfig(format!("faults: {e}")))?;
        self.state
            .validate()
            .map_err(|e| Error::InvalidConfig(format!("state: {e}")))?;
        self.admin
            .validate()
            .map_err(|e| Error::InvalidConfig(format!("admin: {e}")))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_files_give_the_defaults() {
        assert_eq!(Config::from_toml("").unwrap(), Config::default());
        assert_eq!(Config::from_json("{}").unwrap(), Config::default());
    }

    #[test]
    fn an_error_fault_with_a_success_status_is_refused_at_start() {
        let config = Config::from_toml(
            "[[faults.rules]]\nfault = { kind = \"error\", type = \"X\", status = 200 }\n",
        )
        .unwrap();
        let err = config.validate().unwrap_err().to_string();
        assert!(
            err.contains("rules[0].fault.status must be an HTTP error status (400-599), got 200"),
            "{err}"
        );
    }

    #[test]
    fn store_caps_are_read_as_bytes_zero_or_none() {
        assert_eq!(parse_stored_bytes_cap("1024"), Ok(Some(1024)));
        assert_eq!(parse_stored_bytes_cap("0"), Ok(None));
        assert_eq!(parse_stored_bytes_cap("none"), Ok(None));
        assert_eq!(parse_stored_bytes_cap("NONE"), Ok(None));
        let err = parse_stored_bytes_cap("1GiB").unwrap_err();
        assert!(err.contains("\"1GiB\""), "{err}");
        assert!(parse_stored_bytes_cap("-5").is_err());
    }

    #[test]
    fn a_file_names_only_what_it_changes() {
        let config =
            Config::from_toml("token_mode = \"strict\"\n[limits]\nmax_event_bytes = 262144\n")
                .unwrap();
        assert_eq!(config.token_mode, TokenMode::Strict);
        assert_eq!(config.limits.max_event_bytes, 262_144);
        assert_eq!(config.limits.max_batch_events, 10_000);
    }
}
