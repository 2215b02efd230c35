//! The writer and the mock must agree on what a valid batch is.

#[test]
fn writer_limits_match_the_documented_service_limits() {
    let limits = token_core::Limits::default();
    assert_eq!(limits.max_batch_bytes, 1_048_576);
    assert_eq!(token_core::Limits::event_size(""), 26);
}
