//! sdk-adapter: drives token-core with the official `aws-sdk-cloudwatchlogs` client on tokio.
//!
//! It moves requests and outcomes between token-core and the SDK; it decides nothing that
//! token-core decides.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

/// The batch limits the adapter enforces, which are token-core's.
pub fn default_limits() -> token_core::Limits {
    token_core::Limits::default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn adapter_uses_token_core_limits() {
        assert_eq!(super::default_limits().max_batch_events, 10_000);
    }
}
