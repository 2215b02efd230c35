//! Support for the adapter-vs-mock tier: scenarios, the runner, the oracle and the invariants.

pub mod invariants;
pub mod oracle;
pub mod run;
pub mod scenario;
pub mod strategies;
