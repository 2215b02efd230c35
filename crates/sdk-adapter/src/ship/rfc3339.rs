//! RFC 3339 (the internet profile of ISO 8601) timestamps, as log lines and JSON fields carry
//! them: `2026-12-04T19:52:55Z`, `2026-12-04T19:52:55.123+01:00`, `2026-12-04 19:52:55,5-0800`.
//!
//! Accepted: a `T`, `t` or space between date and time; a fraction of any length after `.` or
//! `,` (ISO 8601 allows both), truncated to milliseconds; `Z`, `z`, `±HH:MM` or `±HHMM` as the
//! offset; second 60 (a leap second), read as the last millisecond of its minute so that order is
//! kept. Refused, with the reason: a timestamp without an offset (local time cannot be placed
//! without a zone the line does not name), and any field out of range.

use token_core::UnixMillis;

/// A timestamp read from the start of `text`: the instant and how many bytes it took.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Parsed {
    /// The instant, in milliseconds since the epoch.
    pub(crate) at: UnixMillis,
    /// Bytes of `text` the timestamp occupies.
    pub(crate) len: usize,
}

/// Reads an RFC 3339 timestamp at the start of `text`; the error says why there is none.
pub(crate) fn parse_prefix(text: &str) -> Result<Parsed, &'static str> {
    let mut c = Cursor {
        b: text.as_bytes(),
        at: 0,
    };
    let year = c
        .digits(4)
        .ok_or("no RFC 3339 date (YYYY-MM-DD) at the start")?;
    c.expect(b'-')
        .ok_or("no RFC 3339 date (YYYY-MM-DD) at the start")?;
    let month = c.digits(2).ok_or("malformed month")?;
    c.expect(b'-').ok_or("malformed date")?;
    let day = c.digits(2).ok_or("malformed day")?;
    if !(1..=12).contains(&month) {
        return Err("month out of range");
    }
    if day < 1 || day > days_in_month(year, month) {
        return Err("day out of range for its month");
    }
    match c.next() {
        Some(b'T' | b't' | b' ') => {}
        _ => return Err("a date without a time"),
    }
    let hour = c.digits(2).ok_or("malformed hour")?;
    c.expect(b':').ok_or("malformed time (HH:MM:SS)")?;
    let minute = c.digits(2).ok_or("malformed minute")?;
    c.expect(b':').ok_or("malformed time (HH:MM:SS)")?;
    let second = c.digits(2).ok_or("malformed second")?;
    if hour > 23 || minute > 59 || second > 60 {
        return Err("time out of range");
    }
    let mut millis = 0;
    if matches!(c.peek(), Some(b'.' | b',')) {
        c.at += 1;
        let start = c.at;
        while c.peek().is_some_and(|b| b.is_ascii_digit()) {
            c.at += 1;
        }
        let fraction = &c.b[start..c.at];
        if fraction.is_empty() {
            return Err("a decimal separator without digits");
        }
        // The first three digits are the milliseconds; the rest is truncated.
        for i in 0..3 {
            millis = millis * 10 + fraction.get(i).map_or(0, |d| i64::from(d - b'0'));
        }
    }
    let offset_minutes = match c.next() {
        Some(b'Z' | b'z') => 0,
        Some(sign @ (b'+' | b'-')) => {
            let hours = c.digits(2).ok_or("malformed UTC offset")?;
            if c.peek() == Some(b':') {
                c.at += 1;
            }
            let minutes = c.digits(2).ok_or("malformed UTC offset")?;
            if hours > 23 || minutes > 59 {
                return Err("UTC offset out of range");
            }
            let total = hours * 60 + minutes;
            if sign == b'-' {
                -total
            } else {
                total
            }
        }
        _ => return Err("no UTC offset (Z or ±HH:MM), so the time cannot be placed"),
    };
    // A leap second is read as the last millisecond of its minute, which keeps the order of lines.
    let (second, millis) = if second == 60 {
        (59, 999)
    } else {
        (second, millis)
    };
    let days = days_from_civil(year, month, day);
    let local_seconds = days * 86_400 + hour * 3_600 + minute * 60 + second;
    let utc_seconds = local_seconds - offset_minutes * 60;
    Ok(Parsed {
        at: UnixMillis(utc_seconds * 1_000 + millis),
        len: c.at,
    })
}

/// Reads `text` as exactly one RFC 3339 timestamp (surrounding whitespace allowed).
pub(crate) fn parse_whole(text: &str) -> Result<UnixMillis, &'static str> {
    let text = text.trim();
    let parsed = parse_prefix(text)?;
    if parsed.len == text.len() {
        Ok(parsed.at)
    } else {
        Err("text after the timestamp")
    }
}

struct Cursor<'a> {
    b: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.at).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.at += 1;
        Some(b)
    }

    fn expect(&mut self, want: u8) -> Option<()> {
        (self.next()? == want).then_some(())
    }

    /// Exactly `n` ASCII digits as a number.
    fn digits(&mut self, n: usize) -> Option<i64> {
        let digits = self.b.get(self.at..self.at + n)?;
        if !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        self.at += n;
        Some(
            digits
                .iter()
                .fold(0, |acc, d| acc * 10 + i64::from(d - b'0')),
        )
    }
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to the given proleptic Gregorian date (Howard Hinnant's algorithm, for
/// years 0..=9999 as four digits allow).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(text: &str) -> i64 {
        parse_whole(text)
            .unwrap_or_else(|e| panic!("{text}: {e}"))
            .0
    }

    #[test]
    fn utc_forms_agree_with_known_instants() {
        assert_eq!(ms("1970-01-01T00:00:00Z"), 0);
        // 2023-11-14T22:13:20Z is 1,700,000,000 s after the epoch.
        assert_eq!(ms("2023-11-14T22:13:20Z"), 1_700_000_000_000);
        assert_eq!(ms("2023-11-14t22:13:20.5z"), 1_700_000_000_500);
        assert_eq!(ms("2023-11-14 22:13:20,123456Z"), 1_700_000_000_123);
        assert_eq!(ms("2000-02-29T00:00:00Z"), 951_782_400_000);
        assert_eq!(ms("1969-12-31T23:59:59.999Z"), -1);
    }

    #[test]
    fn offsets_move_the_instant_to_utc() {
        let utc = ms("2023-11-14T22:13:20Z");
        assert_eq!(ms("2023-11-14T23:13:20+01:00"), utc);
        assert_eq!(ms("2023-11-14T14:13:20-0800"), utc);
        assert_eq!(ms("2023-11-15T03:43:20+05:30"), utc);
    }

    #[test]
    fn a_leap_second_is_the_last_millisecond_of_its_minute() {
        assert_eq!(ms("2016-12-31T23:59:60Z"), ms("2016-12-31T23:59:59.999Z"));
    }

    #[test]
    fn the_prefix_reports_its_length() {
        let line = "2023-11-14T22:13:20.123Z INFO started";
        let p = parse_prefix(line).unwrap();
        assert_eq!(p.at, UnixMillis(1_700_000_000_123));
        assert_eq!(&line[p.len..], " INFO started");
    }

    #[test]
    fn malformed_and_out_of_range_timestamps_say_why() {
        for (text, why) in [
            ("hello", "no RFC 3339 date"),
            ("2023-11-14", "without a time"),
            ("2023-11-14T22:13:20", "no UTC offset"),
            ("2023-11-14 22:13:20,123", "no UTC offset"),
            ("2023-13-01T00:00:00Z", "month out of range"),
            ("2023-02-29T00:00:00Z", "day out of range"),
            ("2023-11-14T24:00:00Z", "time out of range"),
            ("2023-11-14T22:13:20.Z", "without digits"),
            ("2023-11-14T22:13:20+2400", "offset out of range"),
            ("2023-11-14T22:13:20+1", "malformed UTC offset"),
            ("2023-11-14T22:13:20Zjunk", "text after"),
            ("２０２３-11-14T22:13:20Z", "no RFC 3339 date"),
        ] {
            let err = parse_whole(text).expect_err(text);
            assert!(err.contains(why), "{text}: {err}");
        }
    }
}
