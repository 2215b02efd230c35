//! The pieces of `cwlogs-ship` worth testing apart from the binary: how a line becomes an event,
//! and the report it prints.

mod rfc3339;

use crate::report::{DeliveryReport, Tally};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use token_core::{Event, UnixMillis};

/// Where an event's timestamp comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimestampMode {
    /// The time the line was read.
    Now,
    /// A leading integer of milliseconds since the epoch, followed by one space or tab, which is
    /// removed from the message. Lines without one get the read time.
    PrefixMs,
    /// A leading RFC 3339 / ISO 8601 timestamp with a UTC offset (`2026-12-04T19:52:55.123Z`,
    /// `2026-12-04 19:52:55+01:00`), followed by a space, a tab or the end of the line. The message
    /// is the whole line, timestamp included, as people read it. Lines without one get the read
    /// time.
    PrefixRfc3339,
    /// The named top-level field of a JSON object line: milliseconds since the epoch, as a number
    /// or as a string holding that number, or an RFC 3339 timestamp string. The message is the
    /// whole line. Lines without it get the read time.
    JsonField(String),
}

impl FromStr for TimestampMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "now" => Ok(TimestampMode::Now),
            "prefix-ms" => Ok(TimestampMode::PrefixMs),
            "prefix-rfc3339" => Ok(TimestampMode::PrefixRfc3339),
            _ => match s.strip_prefix("json-field=") {
                Some(name) if !name.is_empty() => Ok(TimestampMode::JsonField(name.to_owned())),
                _ => Err(format!(
                    "unknown timestamp mode {s:?}: expected now, prefix-ms, prefix-rfc3339 or \
                     json-field=NAME"
                )),
            },
        }
    }
}

impl fmt::Display for TimestampMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TimestampMode::Now => f.write_str("now"),
            TimestampMode::PrefixMs => f.write_str("prefix-ms"),
            TimestampMode::PrefixRfc3339 => f.write_str("prefix-rfc3339"),
            TimestampMode::JsonField(name) => write!(f, "json-field={name}"),
        }
    }
}

/// A line turned into an event, and whether its timestamp had to fall back to the read time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedLine {
    /// The event to send.
    pub event: Event,
    /// Why the line's timestamp could not be read, when the mode asked for one and the event got
    /// the read time instead; `None` otherwise.
    pub timestamp_fallback: Option<String>,
}

/// Turns one line (without its line ending) into an event; `None` for a line whose message would
/// be empty, which AWS refuses (the caller counts those as skipped).
pub fn parse_line(line: &str, mode: &TimestampMode, now: UnixMillis) -> Option<ParsedLine> {
    let read = match mode {
        TimestampMode::Now => Ok((now, line)),
        TimestampMode::PrefixMs => split_prefix_ms(line)
            .ok_or_else(|| "no epoch-milliseconds number and separator at the start".to_owned()),
        TimestampMode::PrefixRfc3339 => prefix_rfc3339(line).map(|at| (at, line)),
        TimestampMode::JsonField(name) => json_field(line, name).map(|at| (at, line)),
    };
    let (timestamp, message, fallback) = match read {
        Ok((at, message)) => (at, message, None),
        Err(why) => (now, line, Some(why)),
    };
    if message.is_empty() {
        return None;
    }
    Some(ParsedLine {
        event: Event::new(timestamp, message),
        timestamp_fallback: fallback,
    })
}

fn split_prefix_ms(line: &str) -> Option<(UnixMillis, &str)> {
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let (number, rest) = line.split_at(digits);
    let rest = rest.strip_prefix([' ', '\t'])?;
    let ms: i64 = number.parse().ok()?;
    Some((UnixMillis(ms), rest))
}

fn prefix_rfc3339(line: &str) -> Result<UnixMillis, String> {
    let parsed = rfc3339::parse_prefix(line).map_err(str::to_owned)?;
    match line.as_bytes().get(parsed.len) {
        None | Some(b' ' | b'\t') => Ok(parsed.at),
        Some(_) => Err("the timestamp at the start is not followed by a space or tab".to_owned()),
    }
}

fn json_field(line: &str, name: &str) -> Result<UnixMillis, String> {
    let value: serde_json::Value =
        serde_json::from_str(line).map_err(|_| "not a JSON line".to_owned())?;
    let object = value
        .as_object()
        .ok_or_else(|| "not a JSON object".to_owned())?;
    let field = object
        .get(name)
        .ok_or_else(|| format!("no field {name:?}"))?;
    let unreadable = || format!("field {name:?} is not epoch milliseconds or RFC 3339");
    match field {
        serde_json::Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))
            .map(UnixMillis)
            .ok_or_else(unreadable),
        serde_json::Value::String(s) => {
            let text = s.trim();
            // Epoch milliseconds as a string (signed, as before RFC 3339 was read), else RFC 3339.
            match text.parse() {
                Ok(ms) => Ok(UnixMillis(ms)),
                Err(_) => rfc3339::parse_whole(text)
                    .map_err(|why| format!("field {name:?} is not a timestamp: {why}")),
            }
        }
        _ => Err(unreadable()),
    }
}

/// The report `cwlogs-ship` prints, as one JSON object with `--report json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ShipReport {
    /// Lines read from every input.
    pub lines_read: u64,
    /// Lines turned into events (empty lines are skipped: AWS refuses empty messages).
    pub events_read: u64,
    /// Empty lines skipped.
    pub empty_lines_skipped: u64,
    /// Lines whose timestamp could not be read and got the read time instead.
    pub timestamp_fallbacks: u64,
    /// Events token-core accepted (a split oversized line counts once per part).
    pub events_accepted: u64,
    /// Events stored by the service.
    pub delivered: u64,
    /// Events rejected by AWS's rules, locally or by the service.
    pub rejected: u64,
    /// Rejected events by reason.
    pub rejected_by_reason: BTreeMap<String, u64>,
    /// Events dropped by policy or failure.
    pub dropped: u64,
    /// Dropped events by reason.
    pub dropped_by_reason: BTreeMap<String, u64>,
    /// Events that may be stored twice: resent (or given up) after an outcome that may have stored
    /// them already. Both token modes report them: Concurrent mode whenever it resends after such
    /// an outcome, Sequential mode only when no DataAlreadyAccepted proves the first attempt landed
    /// (see token-core's [`Report::PossibleDuplicate`](token_core::Report::PossibleDuplicate)).
    pub possible_duplicates: u64,
    /// Events with no final outcome when the flush deadline passed.
    pub undelivered: u64,
    /// Requests sent.
    pub requests: u64,
    /// Resends.
    pub retries: u64,
    /// The error that stopped the writer, if any.
    pub fatal: Option<String>,
    /// Whether every line was delivered or rejected by AWS's rules: the exit status is 0 then.
    pub ok: bool,
}

/// Line counts gathered while reading input.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadCounts {
    /// Lines read.
    pub lines: u64,
    /// Events produced.
    pub events: u64,
    /// Empty lines skipped.
    pub empty: u64,
    /// Timestamp fallbacks.
    pub timestamp_fallbacks: u64,
    /// Events the shipper refused outright (closed or failed push), which are lost to the report
    /// of token-core and must count against success.
    pub refused: u64,
}

impl ShipReport {
    /// Combines the input counts with the shipper's final report.
    pub fn new(read: ReadCounts, delivery: &DeliveryReport) -> ShipReport {
        let t: &Tally = &delivery.total;
        ShipReport {
            lines_read: read.lines,
            events_read: read.events,
            empty_lines_skipped: read.empty,
            timestamp_fallbacks: read.timestamp_fallbacks,
            events_accepted: t.accepted,
            delivered: t.delivered,
            rejected: t.rejected_total(),
            rejected_by_reason: t.rejected.clone(),
            dropped: t.dropped_total() + read.refused,
            dropped_by_reason: {
                let mut by = t.dropped.clone();
                if read.refused > 0 {
                    *by.entry("refused_by_shipper".to_owned()).or_default() += read.refused;
                }
                by
            },
            possible_duplicates: t.possible_duplicates,
            undelivered: t.undelivered,
            requests: t.requests,
            retries: t.retries,
            fatal: t.fatal.clone(),
            ok: t.is_complete() && read.refused == 0,
        }
    }
}

impl fmt::Display for ShipReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "lines read:          {}", self.lines_read)?;
        writeln!(f, "events read:         {}", self.events_read)?;
        writeln!(f, "delivered:           {}", self.delivered)?;
        writeln!(
            f,
            "rejected:            {} {:?}",
            self.rejected, self.rejected_by_reason
        )?;
        writeln!(
            f,
            "dropped:             {} {:?}",
            self.dropped, self.dropped_by_reason
        )?;
        writeln!(f, "possible duplicates: {}", self.possible_duplicates)?;
        writeln!(f, "undelivered:         {}", self.undelivered)?;
        writeln!(f, "requests:            {}", self.requests)?;
        writeln!(f, "retries:             {}", self.retries)?;
        if let Some(fatal) = &self.fatal {
            writeln!(f, "stopped by:          {fatal}")?;
        }
        write!(
            f,
            "result:              {}",
            if self.ok { "ok" } else { "INCOMPLETE" }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: UnixMillis = UnixMillis(1_700_000_000_000);

    #[test]
    fn modes_parse_and_print() {
        for s in ["now", "prefix-ms", "prefix-rfc3339", "json-field=ts"] {
            assert_eq!(s.parse::<TimestampMode>().unwrap().to_string(), s);
        }
        assert!("json-field=".parse::<TimestampMode>().is_err());
        assert!("later".parse::<TimestampMode>().is_err());
    }

    #[test]
    fn prefix_ms_strips_the_number_and_one_separator() {
        let p = parse_line("1699999999000 hello world", &TimestampMode::PrefixMs, NOW).unwrap();
        assert_eq!(p.event, Event::new(1_699_999_999_000, "hello world"));
        assert_eq!(p.timestamp_fallback, None);
        let p = parse_line("12abc", &TimestampMode::PrefixMs, NOW).unwrap();
        assert_eq!(p.event, Event::new(NOW, "12abc"));
        assert!(p.timestamp_fallback.is_some());
        assert_eq!(
            parse_line("1699999999000 ", &TimestampMode::PrefixMs, NOW),
            None
        );
        let huge = "99999999999999999999999 x";
        assert!(parse_line(huge, &TimestampMode::PrefixMs, NOW)
            .unwrap()
            .timestamp_fallback
            .is_some());
    }

    #[test]
    fn json_field_reads_numbers_and_digit_strings() {
        let mode = TimestampMode::JsonField("ts".into());
        let line = r#"{"ts":1699999999000,"msg":"a"}"#;
        assert_eq!(
            parse_line(line, &mode, NOW).unwrap().event,
            Event::new(1_699_999_999_000, line)
        );
        let line = r#"{"ts":"1699999999001"}"#;
        assert_eq!(
            parse_line(line, &mode, NOW).unwrap().event.timestamp,
            UnixMillis(1_699_999_999_001)
        );
        let line = r#"{"ts":"-5"}"#;
        assert_eq!(
            parse_line(line, &mode, NOW).unwrap().event.timestamp,
            UnixMillis(-5)
        );
        let line = r#"{"ts":"2023-11-14T23:13:20.5+01:00"}"#;
        assert_eq!(
            parse_line(line, &mode, NOW).unwrap().event.timestamp,
            UnixMillis(1_700_000_000_500)
        );
        for (line, why) in [
            (r#"{"other":1}"#, "no field \"ts\""),
            ("not json", "not a JSON line"),
            (r#"[1,2]"#, "not a JSON object"),
            (r#"{"ts":true}"#, "not epoch milliseconds or RFC 3339"),
            (r#"{"ts":"2023-11-14 22:13:20"}"#, "no UTC offset"),
        ] {
            let p = parse_line(line, &mode, NOW).unwrap();
            let reason = p.timestamp_fallback.expect(line);
            assert!(reason.contains(why), "{line}: {reason}");
            assert_eq!(p.event.timestamp, NOW);
        }
    }

    #[test]
    fn prefix_rfc3339_reads_the_start_and_keeps_the_whole_line() {
        let mode = TimestampMode::PrefixRfc3339;
        let line = "2023-11-14T22:13:20.250Z INFO started";
        let p = parse_line(line, &mode, NOW).unwrap();
        assert_eq!(p.event, Event::new(1_700_000_000_250, line));
        assert_eq!(p.timestamp_fallback, None);
        let p = parse_line("2023-11-14T22:13:20Z", &mode, NOW).unwrap();
        assert_eq!(p.event.timestamp, UnixMillis(1_700_000_000_000));
        for (line, why) in [
            ("INFO no timestamp", "no RFC 3339 date"),
            (
                "2023-11-14 22:13:20,123 INFO python logging",
                "no UTC offset",
            ),
            ("2023-11-14T22:13:20Zjunk", "not followed by a space"),
        ] {
            let p = parse_line(line, &mode, NOW).unwrap();
            assert_eq!(p.event, Event::new(NOW, line));
            let reason = p.timestamp_fallback.expect(line);
            assert!(reason.contains(why), "{line}: {reason}");
        }
    }

    #[test]
    fn empty_lines_are_skipped() {
        assert_eq!(parse_line("", &TimestampMode::Now, NOW), None);
    }
}
