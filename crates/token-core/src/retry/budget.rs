//! The retry budget: a token bucket in thousandths of a retry. Retries withdraw a whole retry,
//! successes refund a fraction, and time refills one retry per interval. A budget bounds the
//! total retry rate however many batches fail, which a per-request attempt cap cannot.

use crate::config::RetryBudget;
use crate::time::UnixMillis;

const ONE: u64 = 1_000;

#[derive(Debug, Clone)]
pub(crate) struct Budget {
    config: RetryBudget,
    milli: u64,
    last_refill: Option<UnixMillis>,
}

/// Why a withdrawal failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Empty {
    /// A retry will be available at this instant.
    Until(UnixMillis),
    /// The budget never refills by time.
    Forever,
}

impl Budget {
    pub(crate) fn new(config: RetryBudget) -> Self {
        Self {
            config,
            milli: u64::from(config.max_retries) * ONE,
            last_refill: None,
        }
    }

    fn capacity(&self) -> u64 {
        u64::from(self.config.max_retries) * ONE
    }

    fn refill(&mut self, now: UnixMillis) {
        let interval = self.config.refill_interval_ms;
        let Some(last) = self.last_refill else {
            self.last_refill = Some(now);
            return;
        };
        if interval <= 0 {
            return;
        }
        let elapsed = now.since(last);
        if elapsed < interval {
            return;
        }
        let intervals = elapsed / interval;
        self.milli = (self.milli + (intervals as u64).saturating_mul(ONE)).min(self.capacity());
        self.last_refill = Some(last.plus_ms(intervals * interval));
    }

    /// Spend one retry, or say when one will be available.
    pub(crate) fn withdraw(&mut self, now: UnixMillis) -> Result<(), Empty> {
        self.refill(now);
        if self.milli >= ONE {
            self.milli -= ONE;
            return Ok(());
        }
        match (self.config.refill_interval_ms, self.last_refill) {
            (interval, Some(last)) if interval > 0 => Err(Empty::Until(last.plus_ms(interval))),
            _ => Err(Empty::Forever),
        }
    }

    /// A request succeeded: earn back a fraction of a retry.
    pub(crate) fn deposit(&mut self, now: UnixMillis) {
        self.refill(now);
        self.milli =
            (self.milli + u64::from(self.config.refund_per_success_milli)).min(self.capacity());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget(max_retries: u32, refund: u32, interval: i64) -> Budget {
        Budget::new(RetryBudget {
            max_retries,
            refund_per_success_milli: refund,
            refill_interval_ms: interval,
        })
    }

    #[test]
    fn spends_the_initial_retries_then_waits_for_the_refill() {
        let mut b = budget(2, 0, 1_000);
        let t = UnixMillis(10_000);
        assert_eq!(b.withdraw(t), Ok(()));
        assert_eq!(b.withdraw(t), Ok(()));
        assert_eq!(b.withdraw(t), Err(Empty::Until(UnixMillis(11_000))));
        assert_eq!(
            b.withdraw(UnixMillis(10_999)),
            Err(Empty::Until(UnixMillis(11_000)))
        );
        assert_eq!(b.withdraw(UnixMillis(11_000)), Ok(()));
    }

    #[test]
    fn without_refill_an_empty_budget_stays_empty_until_successes_refund_it() {
        let mut b = budget(1, 500, 0);
        let t = UnixMillis(0);
        assert_eq!(b.withdraw(t), Ok(()));
        assert_eq!(b.withdraw(t), Err(Empty::Forever));
        b.deposit(t);
        assert_eq!(b.withdraw(t), Err(Empty::Forever));
        b.deposit(t);
        assert_eq!(b.withdraw(t), Ok(()));
    }

    #[test]
    fn never_saves_more_than_its_capacity() {
        let mut b = budget(1, 1_000, 1);
        b.deposit(UnixMillis(0));
        b.deposit(UnixMillis(1_000_000));
        assert_eq!(b.withdraw(UnixMillis(1_000_000)), Ok(()));
        assert!(b.withdraw(UnixMillis(1_000_000)).is_err());
    }
}
