//! The operation catalogue: every operation of the CloudWatch Logs service model and the
//! constraints of its input, as data.
//!
//! [`model`] is generated from botocore's `service-2.json` by `mock-server/catalogue/generate.py`
//! (the botocore version is pinned in `mock-server/catalogue/BOTOCORE_VERSION`, and a test
//! regenerates the file and fails on any difference); [`shape`] holds the types it is written in.
//! Only facts are taken from the model: names, types, required members, lengths, patterns, enum
//! values, ranges. Nothing here reads a request: [`crate::protocol`] names each request's operation
//! with [`Operation::from_name`] and validates its body against these shapes.
//!
//! This is the lowest layer of the mock above its configuration: it imports nothing of the mock.

pub(crate) mod model;
pub(crate) mod shape;

pub use model::{Operation, BOTOCORE_VERSION, OPERATION_COUNT};

use shape::{Shape, ShapeId};

impl ShapeId {
    /// The shape this id names.
    pub(crate) fn shape(self) -> &'static Shape {
        &model::SHAPES[usize::from(self.0)]
    }
}
