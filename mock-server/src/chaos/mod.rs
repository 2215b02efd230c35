//! What a test injects and observes, beyond the service itself: request-rate quotas
//! ([`throttle`]), the seeded fault plan ([`faults`]), background writers that race the client on a
//! stream ([`writers`]), and the counters of everything that happened ([`stats`]).
//!
//! [`controls::Controls`] holds them all for one server and is the pipeline hook through which they
//! act: before the decision (throttle, fault) and after it (lost or slow answers, counting).

pub(crate) mod controls;
pub(crate) mod faults;
pub(crate) mod stats;
pub(crate) mod throttle;
pub(crate) mod writers;

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::{Mutex, MutexGuard};

/// Locks a mutex, recovering from poisoning: every mutex here guards plain values that a panic
/// elsewhere cannot leave half-written in a way that matters to a test mock.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Which of `shards` locks guards `key`: the counters and buckets shared by every connection are
/// split this way so that requests about different keys do not wait for one another.
pub(crate) fn shard_of(key: &impl Hash, shards: usize) -> usize {
    let mut hasher = DefaultHasher::new();
    key.hash(&mut hasher);
    (hasher.finish() % shards as u64) as usize
}
