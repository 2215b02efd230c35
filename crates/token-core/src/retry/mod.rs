//! Retry, in three pure parts (after tower and smithy-rs): [`classify`] says what an outcome
//! means, [`backoff`] says how long to wait, [`budget`] says whether a retry may be spent at all.

pub(crate) mod backoff;
pub(crate) mod budget;
pub(crate) mod classify;
