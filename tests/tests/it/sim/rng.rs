//! The simulation's one source of randomness: a SplitMix64 stream seeded by the scenario.
//!
//! Every random choice of a case (fault draws, latencies, tie-breaks between actions at the same
//! virtual instant) comes from here, in the order the simulation makes them, so a seed and a
//! scenario replay exactly.

/// A small, seeded, deterministic generator: token-core's SplitMix64, so that the simulation and
/// the writer it drives share one implementation.
#[derive(Debug, Clone)]
pub struct SimRng(token_core::SplitMix64);

impl SimRng {
    /// A generator whose whole stream is fixed by `seed`.
    pub fn new(seed: u64) -> Self {
        Self(token_core::SplitMix64::new(seed))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// A number uniformly drawn from `lo..=hi` (`lo` when the range is empty).
    pub fn between(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        let span = (hi - lo) as u64 + 1;
        lo + (self.next_u64() % span) as i64
    }

    /// True with a chance of `permille` in a thousand.
    pub fn chance(&mut self, permille: u16) -> bool {
        self.next_u64() % 1_000 < u64::from(permille)
    }
}
