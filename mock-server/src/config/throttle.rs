//! The `[throttle]` section: request-rate quotas as configured (a preset and overrides).
//!
//! The quotas are data here; [`crate::chaos::throttle`] keeps the token buckets that enforce them.
//! A preset holds the quotas of one era of the service (CLOUDWATCH.md §3.3): `aws` today's, `legacy`
//! the pre-2023 ones with the per-stream PutLogEvents quota, `off` none.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The message of an account-wide throttle, byte for byte the real one.
pub(crate) const RATE_EXCEEDED: &str = "Rate exceeded";

/// A named set of quotas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ThrottlePreset {
    /// Today's quotas (DescribeLogStreams 25/s, PutLogEvents 5,000/s per account, no per-stream quota).
    Aws,
    /// The pre-2023 quotas (PutLogEvents 5/s per stream and 1,500/s per account, DescribeLogStreams 5/s).
    Legacy,
    /// No throttling at all: the default, because a test suite must not pass on a fast machine and
    /// fail on a slow one (a client paging FilterLogEvents faster than 5 calls a second would).
    /// Quotas are opt-in.
    #[default]
    Off,
}

impl FromStr for ThrottlePreset {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "aws" => Ok(Self::Aws),
            "legacy" => Ok(Self::Legacy),
            "off" => Ok(Self::Off),
            other => Err(format!(
                "unknown throttle preset {other:?}: expected one of aws, legacy, off"
            )),
        }
    }
}

impl fmt::Display for ThrottlePreset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Aws => "aws",
            Self::Legacy => "legacy",
            Self::Off => "off",
        })
    }
}

/// The quotas in force: requests per second per account for each operation, and optionally per stream
/// for PutLogEvents. An operation absent from `per_account` is not throttled.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThrottleRates {
    /// Requests per second per account, by operation name (`PutLogEvents`, `DescribeLogStreams`, ...).
    #[serde(default)]
    pub per_account: BTreeMap<String, f64>,
    /// PutLogEvents requests per second per log stream; applied only when tokens are strict, because
    /// the per-stream quota went away together with sequence tokens in 2023.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub put_log_events_per_stream: Option<f64>,
}

impl ThrottleRates {
    /// The quotas of a preset (CLOUDWATCH.md §3.3 and issue 5).
    pub fn preset(preset: ThrottlePreset) -> Self {
        // Quotas both eras share (archived user guide): they never changed in the sources we have.
        let common = [
            ("CreateLogStream", 50.0),
            ("GetLogEvents", 10.0),
            ("FilterLogEvents", 5.0),
            ("DescribeLogGroups", 5.0),
        ];
        let (era, per_stream): (&[(&str, f64)], _) = match preset {
            ThrottlePreset::Off => return Self::default(),
            ThrottlePreset::Aws => (
                &[("DescribeLogStreams", 25.0), ("PutLogEvents", 5000.0)],
                None,
            ),
            ThrottlePreset::Legacy => (
                &[("DescribeLogStreams", 5.0), ("PutLogEvents", 1500.0)],
                Some(5.0),
            ),
        };
        Self {
            per_account: common
                .iter()
                .chain(era)
                .map(|(op, rate)| ((*op).to_owned(), *rate))
                .collect(),
            put_log_events_per_stream: per_stream,
        }
    }

    /// Applies overrides on top of these rates: every operation named in `overrides` gets the new
    /// rate, and a per-stream rate given there replaces this one.
    pub fn with_overrides(mut self, overrides: &ThrottleRates) -> Self {
        for (op, rate) in &overrides.per_account {
            self.per_account.insert(op.clone(), *rate);
        }
        if overrides.put_log_events_per_stream.is_some() {
            self.put_log_events_per_stream = overrides.put_log_events_per_stream;
        }
        self
    }

    /// Checks that every rate is a finite number of at least zero; zero means "refuse everything",
    /// which is useful to force throttles in tests.
    pub fn validate(&self) -> Result<(), String> {
        let stream = self
            .put_log_events_per_stream
            .map(|r| ("put_log_events_per_stream".to_owned(), r));
        for (name, rate) in self
            .per_account
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .chain(stream)
        {
            if !rate.is_finite() || rate < 0.0 {
                return Err(format!(
                    "throttle rate for {name} must be a finite number >= 0, got {rate}"
                ));
            }
        }
        Ok(())
    }
}

/// The `[throttle]` section of the config file: a preset plus per-operation overrides.
///
/// ```toml
/// [throttle]
/// preset = "legacy"                # aws, legacy or off (default)
/// put_log_events_per_stream = 2.0  # strict token mode only
/// [throttle.per_account]
/// PutLogEvents = 100.0
/// DescribeLogStreams = 1.0
/// ```
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ThrottleConfig {
    /// The base quotas.
    pub preset: ThrottlePreset,
    /// Requests per second per account, by operation; replaces the preset's rate for each one named.
    pub per_account: BTreeMap<String, f64>,
    /// PutLogEvents per second per stream (strict token mode only); replaces the preset's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub put_log_events_per_stream: Option<f64>,
}

impl ThrottleConfig {
    /// The rates in force: the preset's, with the overrides applied.
    pub fn rates(&self) -> ThrottleRates {
        ThrottleRates::preset(self.preset).with_overrides(&ThrottleRates {
            per_account: self.per_account.clone(),
            put_log_events_per_stream: self.put_log_events_per_stream,
        })
    }

    /// Checks every rate (see [`ThrottleRates::validate`]).
    pub fn validate(&self) -> Result<(), String> {
        self.rates().validate()
    }
}
