//! The library of the workspace-level test package `cwlogs-tests`: the engine of the `cwlogs-load`
//! load tool ([`load`]), which `just bench` drives. The tests themselves are in `tests/tests/`
//! (each tier with its own support modules there), the real-client scenarios in `tests/e2e/`.
//!
//! It is not published and is not an API for users: the libraries to import are `token-core`,
//! `sdk-adapter` and `mock-server`.

pub mod load;
