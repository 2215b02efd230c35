//! Shared helpers for the workspace-level tests in `tests/tests/`.

pub mod load;
