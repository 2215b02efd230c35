//! Capped exponential backoff with full jitter: the delay is uniform in `[0, min(cap, base·2^n)]`.
//! Full jitter spreads writers that failed together, so they do not retry together.

use crate::rng::SplitMix64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Backoff {
    pub(crate) base_ms: i64,
    pub(crate) cap_ms: i64,
}

impl Backoff {
    /// The upper bound of the delay after `failures` consecutive failures (1 = first failure).
    pub(crate) fn max_delay(&self, failures: u32) -> i64 {
        let exp = failures.saturating_sub(1).min(62);
        let grown = self.base_ms.saturating_mul(1i64 << exp);
        grown.min(self.cap_ms).max(0)
    }

    /// A delay drawn uniformly from `[0, max_delay(failures)]`.
    pub(crate) fn delay(&self, failures: u32, rng: &mut SplitMix64) -> i64 {
        rng.up_to(self.max_delay(failures) as u64) as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bound_doubles_then_stays_at_the_cap() {
        let b = Backoff {
            base_ms: 100,
            cap_ms: 1_000,
        };
        assert_eq!(b.max_delay(1), 100);
        assert_eq!(b.max_delay(2), 200);
        assert_eq!(b.max_delay(4), 800);
        assert_eq!(b.max_delay(5), 1_000);
        assert_eq!(b.max_delay(u32::MAX), 1_000);
    }

    #[test]
    fn delays_stay_within_zero_and_the_bound() {
        let b = Backoff {
            base_ms: 50,
            cap_ms: 20_000,
        };
        let mut rng = SplitMix64::new(3);
        for failures in 1..40 {
            let d = b.delay(failures, &mut rng);
            assert!((0..=b.max_delay(failures)).contains(&d));
        }
    }
}
