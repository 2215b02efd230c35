//! A fixed-size latency histogram with bounded relative error.
//!
//! Keeping every sample would make memory grow with the run's length; a log-linear histogram
//! (exact below 128 µs, 64 sub-buckets per power of two above) has a constant footprint of a
//! few tens of kilobytes per connection and a relative error under 1/64 (about 1.6 %), which is
//! finer than the run-to-run noise of any loopback measurement.

/// Values below this are counted exactly, one bucket each.
const EXACT: u64 = 128;
/// Sub-buckets per power of two above [`EXACT`].
const SUB: u64 = 64;
/// Enough buckets for every `u64` value.
const BUCKETS: usize = (EXACT + 57 * SUB) as usize;

/// Latencies in microseconds, merged across connections at the end of a run.
#[derive(Clone)]
pub struct Histogram {
    counts: Vec<u64>,
    total: u64,
    sum: u128,
    max: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Histogram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Histogram")
            .field("count", &self.total)
            .field("max", &self.max)
            .finish()
    }
}

impl Histogram {
    /// An empty histogram.
    pub fn new() -> Self {
        Self {
            counts: vec![0; BUCKETS],
            total: 0,
            sum: 0,
            max: 0,
        }
    }

    /// Counts one sample.
    pub fn record(&mut self, value: u64) {
        self.counts[index(value)] += 1;
        self.total += 1;
        self.sum += u128::from(value);
        self.max = self.max.max(value);
    }

    /// Adds every sample of `other` to this histogram.
    pub fn merge(&mut self, other: &Histogram) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.total += other.total;
        self.sum += other.sum;
        self.max = self.max.max(other.max);
    }

    /// The number of samples.
    pub fn count(&self) -> u64 {
        self.total
    }

    /// The largest sample, exactly; 0 when empty.
    pub fn max(&self) -> u64 {
        self.max
    }

    /// The arithmetic mean, exactly; 0 when empty.
    pub fn mean(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            self.sum as f64 / self.total as f64
        }
    }

    /// The nearest-rank percentile `p` (0–100), reported as the upper bound of its bucket
    /// (never above the true maximum), so it errs on the pessimistic side; 0 when empty.
    pub fn percentile(&self, p: f64) -> u64 {
        if self.total == 0 {
            return 0;
        }
        let p = p.clamp(0.0, 100.0);
        let rank = ((p / 100.0) * self.total as f64).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (i, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return upper_bound(i).min(self.max);
            }
        }
        self.max
    }
}

fn index(value: u64) -> usize {
    if value < EXACT {
        return value as usize;
    }
    let msb = 63 - u64::from(value.leading_zeros());
    // Shift so that the top bits land in [SUB, 2*SUB): those are the sub-bucket.
    let shift = msb - 6;
    let mantissa = value >> shift;
    (EXACT + (shift - 1) * SUB + (mantissa - SUB)) as usize
}

fn upper_bound(index: usize) -> u64 {
    let i = index as u64;
    if i < EXACT {
        return i;
    }
    let j = i - EXACT;
    let shift = j / SUB + 1;
    let mantissa = j % SUB + SUB;
    // The top bucket's bound is 2^64, one past u64::MAX: compute wide and clamp.
    let upper = (u128::from(mantissa + 1) << shift) - 1;
    u64::try_from(upper).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_values_are_exact() {
        let mut h = Histogram::new();
        for v in 1..=100 {
            h.record(v);
        }
        assert_eq!(h.percentile(50.0), 50);
        assert_eq!(h.percentile(99.0), 99);
        assert_eq!(h.percentile(100.0), 100);
        assert_eq!(h.max(), 100);
        assert!((h.mean() - 50.5).abs() < 1e-9);
    }

    #[test]
    fn large_values_stay_within_the_relative_error() {
        for v in [
            128u64,
            255,
            256,
            1_000,
            12_345,
            987_654,
            10_000_000_000,
            u64::MAX,
        ] {
            let i = index(v);
            assert!(i < BUCKETS, "index {i} for {v}");
            let hi = upper_bound(i);
            assert!(hi >= v, "upper bound {hi} below {v}");
            assert!((hi - v) as f64 <= v as f64 / 64.0 + 1.0, "{v} -> {hi}");
        }
    }

    #[test]
    fn buckets_are_contiguous_and_ordered() {
        for i in EXACT as usize..BUCKETS - 1 {
            assert_eq!(index(upper_bound(i)), i);
            assert_eq!(index(upper_bound(i) + 1), i + 1);
        }
    }

    #[test]
    fn merge_and_empty() {
        let mut a = Histogram::new();
        assert_eq!(a.percentile(99.0), 0);
        let mut b = Histogram::new();
        b.record(7);
        b.record(3_000);
        a.merge(&b);
        assert_eq!(a.count(), 2);
        assert_eq!(a.percentile(50.0), 7);
        assert_eq!(a.max(), 3_000);
        assert_eq!(a.percentile(100.0), 3_000);
    }
}
