//! Enforcing the quotas: token buckets per account and operation, and per stream for PutLogEvents.
//!
//! The real service answers a request over its quota with HTTP 400 and the body
//! `{"__type":"ThrottlingException","message":"Rate exceeded"}` (CLOUDWATCH.md §1.4); before 2023 an
//! over-quota put to one stream said `Rate exceeded for logStreamName <name>`. Every AWS SDK classifies
//! that code as a throttle and retries it with backoff (§5), so a mock that throttles realistically lets
//! tests see both the error and the SDK's recovery from it.
//!
//! "Account" here is the caller's SigV4 access key id, the mock's stand-in for an account (unsigned
//! requests share one); AWS keeps these quotas per account and Region.
//!
//! Each bucket holds one second's worth of requests (the burst) and refills continuously at its rate.
//! Time is a parameter of every check: a [`Duration`] on the server's monotonic clock
//! ([`crate::clock::Monotonic`]), so the buckets are deterministic under test and never read a
//! clock themselves.

use crate::chaos::lock;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, RwLock};
use std::time::Duration;

use crate::config::throttle::{ThrottleRates, RATE_EXCEEDED};

/// Why a request was refused, ready to be sent as an AWS error.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Throttled {
    /// The error message: `Rate exceeded`, or `Rate exceeded for logStreamName <name>` for the
    /// per-stream quota.
    pub message: String,
    /// How long until the bucket that refused holds a token again; useful as `x-amz-retry-after`.
    pub retry_after: Duration,
}

impl Throttled {
    /// The `__type` of the error every SDK retries as a throttle.
    pub(crate) const ERROR_TYPE: &'static str = "ThrottlingException";
}

/// One continuous-refill token bucket. The capacity is one second's worth of tokens (at least one, so
/// that a rate below 1/s still lets a request through now and then).
#[derive(Debug, Clone)]
pub(crate) struct TokenBucket {
    rate: f64,
    capacity: f64,
    tokens: f64,
    /// When the bucket was last checked, on the server's monotonic clock.
    last: Duration,
}

impl TokenBucket {
    /// A full bucket for `rate` requests per second, as of `now`.
    pub(crate) fn new(rate: f64, now: Duration) -> Self {
        let capacity = if rate > 0.0 { rate.max(1.0) } else { 0.0 };
        Self {
            rate,
            capacity,
            tokens: capacity,
            last: now,
        }
    }

    fn refill(&mut self, now: Duration) {
        // A `now` earlier than the last check (callers racing between reading the clock and taking
        // the lock) must not drain the bucket: treat it as no time passed.
        let elapsed = now.saturating_sub(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate).min(self.capacity);
        if now > self.last {
            self.last = now;
        }
    }

    /// How long until a token is available, or `None` if one is available now.
    fn wait_for_token(&mut self, now: Duration) -> Option<Duration> {
        self.refill(now);
        if self.tokens >= 1.0 {
            None
        } else if self.rate <= 0.0 {
            Some(Duration::from_secs(1))
        } else {
            // A tiny rate can make the wait longer than a Duration holds: saturate, never panic.
            Some(
                Duration::try_from_secs_f64((1.0 - self.tokens) / self.rate)
                    .unwrap_or(Duration::MAX),
            )
        }
    }

    /// Whether the bucket has refilled to capacity by `now`: then it is the same as a new one.
    fn is_full(&mut self, now: Duration) -> bool {
        self.refill(now);
        self.tokens >= self.capacity
    }

    /// Takes one token if there is one at `now`; otherwise says how long until there will be.
    pub(crate) fn try_take(&mut self, now: Duration) -> Result<(), Duration> {
        match self.wait_for_token(now) {
            None => {
                self.tokens -= 1.0;
                Ok(())
            }
            Some(wait) => Err(wait),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum BucketKey {
    Account { account: String, operation: String },
    Stream { group: String, stream: String },
}

/// What one request asks of the quotas.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ThrottleRequest<'a> {
    /// The account the request belongs to (the access key id, or any stable caller identity).
    pub account: &'a str,
    /// The operation name, as in `X-Amz-Target` after the prefix.
    pub operation: &'a str,
    /// The log group and stream of a PutLogEvents request, when known.
    pub stream: Option<(&'a str, &'a str)>,
    /// Whether the server enforces sequence tokens; only then does the per-stream quota apply.
    pub strict_tokens: bool,
}

/// How many buckets one shard may keep before its full ones are forgotten.
const PRUNE_ABOVE: usize = 4096;

/// How many shards the buckets are spread over, each behind its own lock, so that requests of
/// different accounts, operations and streams do not wait for one another.
const SHARDS: usize = 16;

/// The shard that holds `key`'s bucket.
fn shard_of(key: &BucketKey) -> usize {
    crate::chaos::shard_of(key, SHARDS)
}

/// The buckets in use. Keys come from requests (access key ids, stream names), so clients could
/// invent them without end; a full bucket answers exactly as a missing one (a new bucket starts
/// full), so forgetting the full ones bounds the map by the keys active within about a second of
/// refill and changes no answer.
#[derive(Debug)]
struct Buckets {
    map: HashMap<BucketKey, TokenBucket>,
    /// The size at which the next prune runs: twice what the last one kept, so that many busy
    /// keys do not make every new key pay for a scan.
    prune_at: usize,
}

impl Buckets {
    fn new() -> Self {
        Self {
            map: HashMap::new(),
            prune_at: PRUNE_ABOVE,
        }
    }

    fn clear(&mut self) {
        *self = Self::new();
    }

    /// Before a check that will add a bucket for one of `keys`: forgets the full buckets if the
    /// map is at its prune size. Done before the check looks at any bucket, so that no bucket it
    /// has passed is forgotten before its token is taken.
    fn make_room_for<'k>(&mut self, mut keys: impl Iterator<Item = &'k BucketKey>, now: Duration) {
        if self.map.len() >= self.prune_at && keys.any(|key| !self.map.contains_key(key)) {
            self.map.retain(|_, bucket| !bucket.is_full(now));
            self.prune_at = (self.map.len() * 2).max(PRUNE_ABOVE);
        }
    }
}

/// The quotas of a running mock: rates plus one bucket per account and operation (and per stream).
///
/// Shared by every connection, without a lock every request takes: the rates are read under a
/// read lock (written only by the admin API), a mock without quotas (`--throttle off`, the
/// default) answers from one atomic flag, and the buckets are spread over 16 shards by key. A
/// check holds the locks of the (at most two) shards its buckets are in, taken in shard order,
/// and never across I/O.
#[derive(Debug)]
pub(crate) struct Throttler {
    rates: RwLock<ThrottleRates>,
    /// Whether any quota is set; written under `rates`' write lock.
    any_quota: AtomicBool,
    shards: Vec<Mutex<Buckets>>,
}

fn has_quota(rates: &ThrottleRates) -> bool {
    !rates.per_account.is_empty() || rates.put_log_events_per_stream.is_some()
}

impl Throttler {
    /// A throttler enforcing `rates`.
    pub(crate) fn new(rates: ThrottleRates) -> Self {
        Self {
            any_quota: AtomicBool::new(has_quota(&rates)),
            rates: RwLock::new(rates),
            shards: (0..SHARDS).map(|_| Mutex::new(Buckets::new())).collect(),
        }
    }

    /// The rates in force.
    pub(crate) fn rates(&self) -> ThrottleRates {
        self.rates.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Replaces the rates and refills every bucket, as after a restart.
    pub(crate) fn set_rates(&self, rates: ThrottleRates) {
        let mut current = self.rates.write().unwrap_or_else(|e| e.into_inner());
        self.any_quota.store(has_quota(&rates), Ordering::Release);
        *current = rates;
        self.reset();
    }

    /// Forgets all bucket state (every bucket is full again).
    pub(crate) fn reset(&self) {
        for shard in &self.shards {
            lock(shard).clear();
        }
    }

    /// Admits or refuses one request at `now`. A request is admitted only if every bucket that applies
    /// has a token; tokens are taken from all of them or from none, so a request refused by the
    /// per-stream quota does not also eat into the account's.
    pub(crate) fn check(
        &self,
        request: &ThrottleRequest<'_>,
        now: Duration,
    ) -> Result<(), Throttled> {
        if !self.any_quota.load(Ordering::Acquire) {
            return Ok(());
        }
        // Copy the two rates out so that the rates lock is held for a lookup, not for the check.
        let (account_rate, stream_rate) = {
            let rates = self.rates.read().unwrap_or_else(|e| e.into_inner());
            let stream_rate = if request.strict_tokens && request.operation == "PutLogEvents" {
                rates.put_log_events_per_stream
            } else {
                None
            };
            (
                rates.per_account.get(request.operation).copied(),
                stream_rate,
            )
        };
        let mut wanted: Vec<(BucketKey, f64, usize)> = Vec::with_capacity(2);
        if let Some(rate) = account_rate {
            let key = BucketKey::Account {
                account: request.account.to_owned(),
                operation: request.operation.to_owned(),
            };
            let shard = shard_of(&key);
            wanted.push((key, rate, shard));
        }
        if let (Some((group, stream)), Some(rate)) = (request.stream, stream_rate) {
            let key = BucketKey::Stream {
                group: group.to_owned(),
                stream: stream.to_owned(),
            };
            let shard = shard_of(&key);
            wanted.push((key, rate, shard));
        }
        if wanted.is_empty() {
            return Ok(());
        }
        // Every shard involved, locked in ascending order so that two checks cannot deadlock.
        let mut indices: Vec<usize> = wanted.iter().map(|w| w.2).collect();
        indices.sort_unstable();
        indices.dedup();
        let mut guards: Vec<(usize, std::sync::MutexGuard<'_, Buckets>)> = indices
            .into_iter()
            .map(|i| (i, lock(&self.shards[i])))
            .collect();
        for (index, guard) in &mut guards {
            let keys = wanted.iter().filter(|w| w.2 == *index).map(|w| &w.0);
            guard.make_room_for(keys, now);
        }
        fn shard_for<'g>(
            guards: &'g mut [(usize, std::sync::MutexGuard<'_, Buckets>)],
            index: usize,
        ) -> &'g mut HashMap<BucketKey, TokenBucket> {
            let at = guards.iter().position(|(i, _)| *i == index).unwrap_or(0);
            &mut guards[at].1.map
        }
        for (key, rate, index) in &wanted {
            let buckets = shard_for(&mut guards, *index);
            let bucket = match buckets.get_mut(key) {
                Some(bucket) => bucket,
                None => buckets
                    .entry(key.clone())
                    .or_insert_with(|| TokenBucket::new(*rate, now)),
            };
            if let Some(retry_after) = bucket.wait_for_token(now) {
                let message = match key {
                    BucketKey::Account { .. } => RATE_EXCEEDED.to_owned(),
                    BucketKey::Stream { stream, .. } => {
                        format!("{RATE_EXCEEDED} for logStreamName {stream}")
                    }
                };
                return Err(Throttled {
                    message,
                    retry_after,
                });
            }
        }
        for (key, _, index) in &wanted {
            if let Some(bucket) = shard_for(&mut guards, *index).get_mut(key) {
                // Cannot fail: wait_for_token just saw a token under the same lock.
                let _ = bucket.try_take(now);
            }
        }
        Ok(())
    }

    /// How many buckets are kept, over every shard.
    #[cfg(test)]
    fn bucket_count(&self) -> usize {
        self.shards.iter().map(|s| lock(s).map.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::throttle::{ThrottleConfig, ThrottlePreset};

    /// A moment on the monotonic clock, far enough from zero that tests can step back from it.
    const T0: Duration = Duration::from_secs(1_000);

    fn put(stream: &str, strict: bool) -> ThrottleRequest<'_> {
        ThrottleRequest {
            account: "acct",
            operation: "PutLogEvents",
            stream: Some(("g", stream)),
            strict_tokens: strict,
        }
    }

    fn op(operation: &str) -> ThrottleRequest<'_> {
        ThrottleRequest {
            account: "acct",
            operation,
            stream: None,
            strict_tokens: false,
        }
    }

    #[test]
    fn presets_carry_the_documented_quotas() {
        let aws = ThrottleRates::preset(ThrottlePreset::Aws);
        assert_eq!(aws.per_account["DescribeLogStreams"], 25.0);
        assert_eq!(aws.per_account["CreateLogStream"], 50.0);
        assert_eq!(aws.per_account["GetLogEvents"], 10.0);
        assert_eq!(aws.per_account["FilterLogEvents"], 5.0);
        assert_eq!(aws.per_account["DescribeLogGroups"], 5.0);
        assert_eq!(aws.per_account["PutLogEvents"], 5000.0);
        assert_eq!(aws.put_log_events_per_stream, None);

        let legacy = ThrottleRates::preset(ThrottlePreset::Legacy);
        assert_eq!(legacy.per_account["PutLogEvents"], 1500.0);
        assert_eq!(legacy.per_account["DescribeLogStreams"], 5.0);
        assert_eq!(legacy.put_log_events_per_stream, Some(5.0));

        assert_eq!(
            ThrottleRates::preset(ThrottlePreset::Off),
            ThrottleRates::default()
        );
    }

    #[test]
    fn preset_names_parse_and_print() {
        for p in [
            ThrottlePreset::Aws,
            ThrottlePreset::Legacy,
            ThrottlePreset::Off,
        ] {
            assert_eq!(p.to_string().parse::<ThrottlePreset>(), Ok(p));
        }
        let err = "fast".parse::<ThrottlePreset>().unwrap_err();
        assert!(err.contains("aws, legacy, off"), "{err}");
    }

    #[test]
    fn a_burst_of_one_seconds_worth_passes_then_the_next_is_refused() {
        let t = Throttler::new(ThrottleRates::preset(ThrottlePreset::Aws));
        let now = T0;
        for _ in 0..25 {
            t.check(&op("DescribeLogStreams"), now).unwrap();
        }
        let refused = t.check(&op("DescribeLogStreams"), now).unwrap_err();
        assert_eq!(refused.message, "Rate exceeded");
        assert!(refused.retry_after > Duration::ZERO);
        assert!(refused.retry_after <= Duration::from_millis(40));
    }

    #[test]
    fn buckets_refill_with_time() {
        let t = Throttler::new(ThrottleRates::preset(ThrottlePreset::Aws));
        let now = T0;
        for _ in 0..5 {
            t.check(&op("FilterLogEvents"), now).unwrap();
        }
        assert!(t.check(&op("FilterLogEvents"), now).is_err());
        // 5/s refills one token every 200 ms.
        assert!(t
            .check(&op("FilterLogEvents"), now + Duration::from_millis(199))
            .is_err());
        t.check(&op("FilterLogEvents"), now + Duration::from_millis(201))
            .unwrap();
    }

    #[test]
    fn operations_and_accounts_have_separate_buckets() {
        let t = Throttler::new(ThrottleRates::preset(ThrottlePreset::Aws));
        let now = T0;
        for _ in 0..5 {
            t.check(&op("FilterLogEvents"), now).unwrap();
        }
        assert!(t.check(&op("FilterLogEvents"), now).is_err());
        t.check(&op("DescribeLogGroups"), now).unwrap();
        let other_account = ThrottleRequest {
            account: "other",
            ..op("FilterLogEvents")
        };
        t.check(&other_account, now).unwrap();
    }

    #[test]
    fn invented_keys_do_not_grow_the_buckets_without_bound_nor_free_a_drained_one() {
        let t = Throttler::new(ThrottleRates::preset(ThrottlePreset::Aws));
        fn as_account(account: &str) -> ThrottleRequest<'_> {
            ThrottleRequest {
                account,
                ..op("FilterLogEvents")
            }
        }
        let now = T0;
        let keys = 3 * SHARDS * PRUNE_ABOVE;
        for i in 0..keys {
            // Each key at its own second, past the earlier keys' refill: they are full again.
            let at = now + Duration::from_secs(i as u64);
            t.check(&as_account(&format!("AKIA{i:016}")), at).unwrap();
        }
        assert!(
            t.bucket_count() <= SHARDS * PRUNE_ABOVE,
            "{}",
            t.bucket_count()
        );
        assert!(t.shards.iter().all(|s| lock(s).map.len() <= PRUNE_ABOVE));
        // A drained bucket is kept however many keys come: at its own time it is still empty.
        let far = now + Duration::from_secs(10 * keys as u64);
        for _ in 0..5 {
            t.check(&as_account("pinned"), far).unwrap();
        }
        for i in 0..2 * SHARDS * PRUNE_ABOVE {
            t.check(&as_account(&format!("ASIA{i:016}")), far).unwrap();
        }
        assert!(
            t.check(&as_account("pinned"), far).is_err(),
            "the drained bucket was forgotten"
        );
    }

    #[test]
    fn a_prune_during_a_check_still_charges_every_bucket_the_check_passed() {
        let t = Throttler::new(ThrottleRates {
            per_account: [("PutLogEvents".to_owned(), 1.0)].into(),
            put_log_events_per_stream: Some(100.0),
        });
        let account = BucketKey::Account {
            account: "acct".into(),
            operation: "PutLogEvents".into(),
        };
        let shard = shard_of(&account);
        let stream_key = |name: &str| BucketKey::Stream {
            group: "g".into(),
            stream: name.into(),
        };
        // A new stream whose bucket lands in the account's shard, so that its check prunes there.
        let fresh = (0..)
            .map(|i| format!("fresh{i}"))
            .find(|name| shard_of(&stream_key(name)) == shard)
            .unwrap();
        let start = T0;
        t.check(&put("s0", true), start).unwrap();
        // Two seconds on, the account's bucket is full again (idle), and other keys fill its
        // shard to the prune size.
        let now = start + Duration::from_secs(2);
        let mut i = 0;
        while lock(&t.shards[shard]).map.len() < PRUNE_ABOVE {
            let other = format!("other{i}");
            i += 1;
            let key = BucketKey::Account {
                account: other.clone(),
                operation: "PutLogEvents".into(),
            };
            if shard_of(&key) != shard {
                continue;
            }
            let request = ThrottleRequest {
                account: &other,
                ..put("s0", false)
            };
            t.check(&request, now).unwrap();
        }
        assert_eq!(lock(&t.shards[shard]).map.len(), PRUNE_ABOVE);
        // A put to a new stream prunes; it must still take the account's only token.
        t.check(&put(&fresh, true), now).unwrap();
        let refused = t.check(&put(&fresh, true), now).unwrap_err();
        assert_eq!(refused.message, RATE_EXCEEDED);
    }

    #[test]
    fn unlisted_operations_and_the_off_preset_are_never_throttled() {
        let aws = Throttler::new(ThrottleRates::preset(ThrottlePreset::Aws));
        let off = Throttler::new(ThrottleRates::preset(ThrottlePreset::Off));
        let now = T0;
        for _ in 0..10_000 {
            aws.check(&op("CreateLogGroup"), now).unwrap();
            off.check(&op("FilterLogEvents"), now).unwrap();
        }
    }

    #[test]
    fn per_stream_quota_applies_only_to_strict_puts_and_names_the_stream() {
        let t = Throttler::new(ThrottleRates::preset(ThrottlePreset::Legacy));
        let now = T0;
        for _ in 0..5 {
            t.check(&put("s1", true), now).unwrap();
        }
        let refused = t.check(&put("s1", true), now).unwrap_err();
        assert_eq!(refused.message, "Rate exceeded for logStreamName s1");
        // Another stream has its own bucket, and current-mode puts skip the per-stream quota.
        t.check(&put("s2", true), now).unwrap();
        t.check(&put("s1", false), now).unwrap();
    }

    #[test]
    fn a_refusal_by_one_bucket_takes_no_token_from_the_other() {
        let rates = ThrottleRates {
            per_account: [("PutLogEvents".to_owned(), 3.0)].into(),
            put_log_events_per_stream: Some(1.0),
        };
        let t = Throttler::new(rates);
        let now = T0;
        t.check(&put("a", true), now).unwrap();
        // Refused per stream: the account bucket must still hold two tokens.
        for _ in 0..5 {
            assert!(t.check(&put("a", true), now).is_err());
        }
        t.check(&put("b", true), now).unwrap();
        t.check(&put("c", true), now).unwrap();
        let refused = t.check(&put("d", true), now).unwrap_err();
        assert_eq!(refused.message, "Rate exceeded");
    }

    #[test]
    fn overrides_replace_single_rates_and_zero_refuses_everything() {
        let overrides = ThrottleRates {
            per_account: [("GetLogEvents".to_owned(), 0.0)].into(),
            put_log_events_per_stream: Some(2.0),
        };
        let rates = ThrottleRates::preset(ThrottlePreset::Aws).with_overrides(&overrides);
        assert_eq!(rates.per_account["GetLogEvents"], 0.0);
        assert_eq!(rates.per_account["PutLogEvents"], 5000.0);
        assert_eq!(rates.put_log_events_per_stream, Some(2.0));
        rates.validate().unwrap();
        let t = Throttler::new(rates);
        assert!(t.check(&op("GetLogEvents"), T0).is_err());
    }

    #[test]
    fn the_config_section_applies_overrides_to_its_preset() {
        let config: ThrottleConfig = toml::from_str(
            "preset = \"legacy\"\nput_log_events_per_stream = 2.0\n[per_account]\nPutLogEvents = 100.0\n",
        )
        .unwrap();
        let rates = config.rates();
        assert_eq!(rates.per_account["PutLogEvents"], 100.0);
        assert_eq!(rates.per_account["DescribeLogStreams"], 5.0);
        assert_eq!(rates.put_log_events_per_stream, Some(2.0));
        config.validate().unwrap();
        // No quotas unless asked for: the default is deterministic (issue 19).
        assert_eq!(
            ThrottleConfig::default().rates(),
            ThrottleRates::preset(ThrottlePreset::Off)
        );
        assert!(ThrottleConfig::default().rates().per_account.is_empty());
        let err = toml::from_str::<ThrottleConfig>("preset = \"fast\"").unwrap_err();
        assert!(err.to_string().contains("fast"), "{err}");
    }

    #[test]
    fn invalid_rates_are_reported_by_name() {
        let bad = ThrottleRates {
            per_account: [("PutLogEvents".to_owned(), -1.0)].into(),
            put_log_events_per_stream: None,
        };
        let err = bad.validate().unwrap_err();
        assert!(
            err.contains("PutLogEvents") && err.contains(">= 0"),
            "{err}"
        );
    }

    #[test]
    fn a_clock_that_steps_back_does_not_drain_the_bucket() {
        let mut bucket = TokenBucket::new(2.0, T0 + Duration::from_secs(3600));
        bucket.try_take(T0).unwrap();
        bucket.try_take(T0).unwrap();
        assert!(bucket.try_take(T0).is_err());
    }

    #[test]
    fn absurdly_small_rates_saturate_the_wait_instead_of_panicking() {
        let mut bucket = TokenBucket::new(1e-300, T0);
        let now = T0;
        bucket.try_take(now).unwrap();
        assert_eq!(bucket.try_take(now).unwrap_err(), Duration::MAX);
    }

    #[test]
    fn rates_below_one_per_second_still_admit_one_request() {
        let mut bucket = TokenBucket::new(0.5, T0);
        let now = T0;
        bucket.try_take(now).unwrap();
        let wait = bucket.try_take(now).unwrap_err();
        assert!(wait > Duration::from_millis(1900) && wait <= Duration::from_secs(2));
    }

    #[test]
    fn set_rates_takes_effect_with_full_buckets() {
        let t = Throttler::new(ThrottleRates::preset(ThrottlePreset::Legacy));
        let now = T0;
        for _ in 0..5 {
            t.check(&op("DescribeLogStreams"), now).unwrap();
        }
        assert!(t.check(&op("DescribeLogStreams"), now).is_err());
        t.set_rates(ThrottleRates::preset(ThrottlePreset::Aws));
        assert_eq!(t.rates().per_account["DescribeLogStreams"], 25.0);
        t.check(&op("DescribeLogStreams"), now).unwrap();
    }
}
