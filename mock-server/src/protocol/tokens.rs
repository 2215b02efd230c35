//! Every token the mock hands out: sequence tokens, GetLogEvents' `f/…/s` and `b/…/s`, and the
//! opaque `nextToken`s of the Describe and Filter operations.
//!
//! Sequence tokens have AWS's form, 56 decimal digits starting `49` (CLOUDWATCH.md §3.1): 17 digits
//! fixed per stream, then a 39-digit counter of accepted puts, so a stream's tokens grow with every
//! put and a token of one stream is never valid for another (or for a deleted and re-created one).
//! GetLogEvents tokens carry a position in the stream the same way.

/// Digits that identify one stream inside its tokens.
fn stream_digits(stream_id: u64) -> String {
    // Mix the id so that neighbouring streams do not share visible prefixes; 15 digits of it.
    let mixed = stream_id
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .rotate_left(17)
        % 1_000_000_000_000_000;
    format!("{mixed:015}")
}

/// The sequence token after `accepted_puts` accepted puts to the stream with `stream_id`.
pub fn sequence_token(stream_id: u64, accepted_puts: u64) -> String {
    format!("49{}{accepted_puts:039}", stream_digits(stream_id))
}

/// Which way a GetLogEvents token reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    /// `f/…`: from the position towards the end.
    Forward,
    /// `b/…`: from the position towards the head.
    Backward,
}

/// A GetLogEvents token: `f/<56 digits>/s` or `b/<56 digits>/s`.
pub(crate) fn events_token(direction: Direction, stream_id: u64, position: u64) -> String {
    let d = match direction {
        Direction::Forward => 'f',
        Direction::Backward => 'b',
    };
    format!("{d}/37{}{position:039}/s", stream_digits(stream_id))
}

/// Reads a GetLogEvents token of the stream with `stream_id`; `None` when it is malformed or
/// belongs to another stream.
pub(crate) fn parse_events_token(token: &str, stream_id: u64) -> Option<(Direction, u64)> {
    let (direction, rest) = if let Some(rest) = token.strip_prefix("f/") {
        (Direction::Forward, rest)
    } else if let Some(rest) = token.strip_prefix("b/") {
        (Direction::Backward, rest)
    } else {
        return None;
    };
    // Tokens before 2021 had no `/s`; accept both forms.
    let digits = rest.strip_suffix("/s").unwrap_or(rest);
    if digits.len() != 56 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let expected_prefix = format!("37{}", stream_digits(stream_id));
    if digits[..17] != expected_prefix {
        return None;
    }
    let position = digits[17..].parse::<u128>().ok()?;
    u64::try_from(position).ok().map(|p| (direction, p))
}

/// An opaque pagination token carrying `key` (hex-encoded behind a kind tag, so that a token of
/// one operation is not taken for another's).
pub(crate) fn page_token(kind: &str, key: &str) -> String {
    let mut out = String::with_capacity(kind.len() + 1 + key.len() * 2);
    out.push_str(kind);
    out.push('/');
    for b in key.bytes() {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// Reads a token made by [`page_token`] with the same `kind`.
pub(crate) fn parse_page_token(kind: &str, token: &str) -> Option<String> {
    let hex = token.strip_prefix(kind)?.strip_prefix('/')?;
    if hex.len() % 2 != 0 {
        return None;
    }
    let bytes = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect::<Option<Vec<u8>>>()?;
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_tokens_have_aws_form_and_grow() {
        let a = sequence_token(7, 1);
        let b = sequence_token(7, 2);
        assert_eq!(a.len(), 56);
        assert!(a.starts_with("49"));
        assert!(a.bytes().all(|c| c.is_ascii_digit()));
        assert!(b > a);
        assert_ne!(sequence_token(8, 1), a);
    }

    #[test]
    fn events_tokens_round_trip() {
        let t = events_token(Direction::Forward, 3, 42);
        assert!(t.starts_with("f/") && t.ends_with("/s") && t.len() == 60);
        assert_eq!(parse_events_token(&t, 3), Some((Direction::Forward, 42)));
        assert_eq!(parse_events_token(&t, 4), None);
        let b = events_token(Direction::Backward, 3, 0);
        assert_eq!(parse_events_token(&b, 3), Some((Direction::Backward, 0)));
        assert_eq!(parse_events_token("f/123/s", 3), None);
    }

    #[test]
    fn page_tokens_round_trip() {
        let t = page_token("dlg", "/a/b");
        assert_eq!(parse_page_token("dlg", &t).as_deref(), Some("/a/b"));
        assert_eq!(parse_page_token("dls", &t), None);
        assert_eq!(parse_page_token("dlg", "dlg/zz"), None);
    }
}
