//! The wire protocol: bytes in, typed requests out; typed answers in, bytes out. No state.
//!
//! - [`envelope`]: the awsJson1_1 envelope, [`ApiRequest`] and [`ApiResponse`];
//! - [`members`]: reading body members as AWS's JSON front end does, and [`members::Violations`],
//!   the model-constraint messages;
//! - [`errors`]: [`ApiError`], AWS's error bodies with their exact texts;
//! - [`names`]: names, identifiers and ARNs of groups and streams;
//! - [`tokens`]: the sequence, paging and event tokens the mock hands out;
//! - [`put_input`] and [`put_json`]: PutLogEvents' typed input and the fast path that reads it
//!   straight from the JSON text.

pub(crate) mod envelope;
pub(crate) mod errors;
pub(crate) mod members;
pub(crate) mod names;
pub(crate) mod put_input;
pub(crate) mod put_json;
pub(crate) mod tokens;

pub use envelope::{ApiRequest, ApiResponse};
pub use errors::ApiError;
