//! Local pre-validation: the time window AWS would reject an event for anyway. Rejecting here saves
//! a request, and lets a batch's 24 h span be measured over events that will actually be stored.

use crate::limits::{Limits, DAY_MS};
use crate::report::RejectReason;
use crate::time::UnixMillis;

#[derive(Debug, Clone, Copy)]
pub(crate) struct Window {
    max_future_ms: i64,
    max_age_ms: i64,
    retention_ms: Option<i64>,
}

impl Window {
    pub(crate) fn new(limits: &Limits, retention_days: Option<u32>) -> Self {
        Self {
            max_future_ms: limits.max_future_ms,
            max_age_ms: limits.max_age_ms,
            retention_ms: retention_days.map(|d| i64::from(d).saturating_mul(DAY_MS)),
        }
    }

    /// Why AWS would reject an event with this timestamp at `now`, if it would. The boundaries
    /// themselves are accepted: "more than 2 h ahead", "older than 14 days".
    #[inline]
    pub(crate) fn check(&self, timestamp: UnixMillis, now: UnixMillis) -> Option<RejectReason> {
        if timestamp > now.plus_ms(self.max_future_ms) {
            Some(RejectReason::TooNew)
        } else if timestamp < now.minus_ms(self.max_age_ms) {
            Some(RejectReason::TooOld)
        } else if matches!(self.retention_ms, Some(r) if timestamp < now.minus_ms(r)) {
            Some(RejectReason::Expired)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::HOUR_MS;

    #[test]
    fn two_hours_ahead_is_accepted_and_one_more_millisecond_is_too_new() {
        let w = Window::new(&Limits::default(), None);
        let now = UnixMillis(1_000 * DAY_MS);
        assert_eq!(w.check(now.plus_ms(2 * HOUR_MS), now), None);
        assert_eq!(
            w.check(now.plus_ms(2 * HOUR_MS + 1), now),
            Some(RejectReason::TooNew)
        );
    }

    #[test]
    fn fourteen_days_old_is_accepted_and_one_more_millisecond_is_too_old() {
        let w = Window::new(&Limits::default(), None);
        let now = UnixMillis(1_000 * DAY_MS);
        assert_eq!(w.check(now.minus_ms(14 * DAY_MS), now), None);
        assert_eq!(
            w.check(now.minus_ms(14 * DAY_MS + 1), now),
            Some(RejectReason::TooOld)
        );
    }

    #[test]
    fn retention_shorter_than_fourteen_days_expires_events_first() {
        let w = Window::new(&Limits::default(), Some(3));
        let now = UnixMillis(1_000 * DAY_MS);
        assert_eq!(w.check(now.minus_ms(3 * DAY_MS), now), None);
        assert_eq!(
            w.check(now.minus_ms(3 * DAY_MS + 1), now),
            Some(RejectReason::Expired)
        );
        assert_eq!(
            w.check(now.minus_ms(15 * DAY_MS), now),
            Some(RejectReason::TooOld)
        );
    }
}
