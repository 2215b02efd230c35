//! Cutting messages that exceed the per-event limit, always at UTF-8 character boundaries so that
//! no part is invalid UTF-8 (which AWS would reject, and which a `String` cannot hold anyway).

/// The largest index `<= max` that is a character boundary of `s`.
pub(crate) fn floor_char_boundary(s: &str, max: usize) -> usize {
    if max >= s.len() {
        return s.len();
    }
    let mut i = max;
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Splits `message` into parts of at most `max_bytes` bytes each. `max_bytes` must be at least 4
/// so that every part holds at least one character (the configuration guarantees it).
pub(crate) fn split(message: String, max_bytes: usize) -> Vec<String> {
    if message.len() <= max_bytes {
        return vec![message];
    }
    let mut parts = Vec::with_capacity(message.len() / max_bytes + 1);
    let mut rest = message.as_str();
    while !rest.is_empty() {
        let cut =
            floor_char_boundary(rest, max_bytes).max(rest.chars().next().map_or(0, char::len_utf8));
        let (part, tail) = rest.split_at(cut);
        parts.push(part.to_owned());
        rest = tail;
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_never_cuts_a_character_and_keeps_every_byte() {
        // "€" is 3 bytes: with 4-byte parts, each part holds exactly one.
        let msg = "€€€".to_owned();
        let parts = split(msg.clone(), 4);
        assert_eq!(parts, vec!["€", "€", "€"]);
        assert_eq!(parts.concat(), msg);
    }

    #[test]
    fn split_fills_parts_up_to_the_limit() {
        let parts = split("abcdefghij".to_owned(), 4);
        assert_eq!(parts, vec!["abcd", "efgh", "ij"]);
    }

    #[test]
    fn split_of_a_message_that_fits_is_the_message() {
        assert_eq!(split("abcd".to_owned(), 4), vec!["abcd"]);
    }

    #[test]
    fn the_floor_boundary_backs_off_to_a_character_start() {
        let m = "aé"; // 1 + 2 bytes
        assert_eq!(floor_char_boundary(m, 2), 1);
        assert_eq!(floor_char_boundary(m, 3), 3);
        assert_eq!(floor_char_boundary(m, 99), 3);
    }
}
