//! cwlogs-mock: a CloudWatch Logs server on the real awsJson1_1 wire protocol.
//!
//! It is for tests and CI: any AWS SDK or the AWS CLI can talk to it through `--endpoint-url`.
//! It keeps everything in memory and is not a production log store.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod background_writer;
pub mod faults;
pub mod state_file;
pub mod stats;
pub mod throttle;
pub mod wire;
