//! The workspace's integration tests, one binary (one link of the AWS SDK, the mock and the
//! adapter instead of one per file), with a module per suite and one support module per suite:
//!
//! - [`sim_token_core_vs_mock`] (tier 1, with [`sim`]): token-core against the mock's decision in
//!   process, on virtual time with seeded faults;
//! - [`adapter_vs_mock`] (tier 2, with [`adapter_vs_mock_support`]): `Shipper`s against a real
//!   `cwlogs-mock` over loopback with fault plans and throttle presets;
//! - [`model_conformance`] (tier 3, with [`model`]): the mock's token semantics against a small
//!   reference model of the service;
//! - [`limits_agree`]: the writer's limits against the mock's, probed at each limit;
//! - [`load_workloads`]: what the load tool's writer workloads store in the mock.

mod adapter_vs_mock_support;
mod model;
mod sim;

mod adapter_vs_mock;
mod limits_agree;
mod load_workloads;
mod model_conformance;
mod sim_token_core_vs_mock;
