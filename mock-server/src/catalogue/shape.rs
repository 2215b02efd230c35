//! The types of the generated table: shapes as the service model describes them, facts only.

/// Index of a shape in the generated table (`model::SHAPES`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct ShapeId(pub(crate) u16);

/// One named shape of the model.
#[derive(Debug)]
pub(crate) struct Shape {
    /// The model's name for it (`LogGroupName`, `PutLogEventsRequest`, ...).
    pub(crate) name: &'static str,
    /// Its type and constraints.
    pub(crate) kind: Kind,
}

/// A shape's type with the constraints the model puts on it. Lengths count what AWS counts:
/// UTF-16 code units of a string, entries of a list or map, bytes of a blob.
#[derive(Debug)]
pub(crate) enum Kind {
    /// A string: length bounds, a (Java) regular expression it must match whole, allowed values.
    String {
        /// Shortest allowed length.
        min: Option<u64>,
        /// Longest allowed length.
        max: Option<u64>,
        /// The model's pattern, verbatim (AWS prints it so in its messages).
        pattern: Option<&'static str>,
        /// The enum values, in model order; empty when any value is allowed.
        values: &'static [&'static str],
    },
    /// A 32-bit integer with optional bounds.
    Integer {
        /// Smallest allowed value.
        min: Option<i64>,
        /// Largest allowed value.
        max: Option<i64>,
    },
    /// A 64-bit integer with optional bounds.
    Long {
        /// Smallest allowed value.
        min: Option<i64>,
        /// Largest allowed value.
        max: Option<i64>,
    },
    /// A double with optional bounds.
    Double {
        /// Smallest allowed value.
        min: Option<f64>,
        /// Largest allowed value.
        max: Option<f64>,
    },
    /// `true` or `false`.
    Boolean,
    /// A list of `member` shapes.
    List {
        /// The items' shape.
        member: ShapeId,
        /// Fewest items.
        min: Option<u64>,
        /// Most items.
        max: Option<u64>,
    },
    /// A map from `key` shapes to `value` shapes.
    Map {
        /// The keys' shape.
        key: ShapeId,
        /// The values' shape.
        value: ShapeId,
        /// Fewest entries.
        min: Option<u64>,
        /// Most entries.
        max: Option<u64>,
    },
    /// A structure: named members, some required.
    Structure {
        /// The members, in model order.
        members: &'static [Member],
    },
    /// A structure of which exactly one member is set.
    Union {
        /// The possible members.
        members: &'static [Member],
    },
}

/// One member of a structure or union.
#[derive(Debug)]
pub(crate) struct Member {
    /// The member's name on the wire (`logGroupName`).
    pub(crate) name: &'static str,
    /// Its shape.
    pub(crate) shape: ShapeId,
    /// Whether the model requires it.
    pub(crate) required: bool,
}

impl Shape {
    /// The member `name` of a structure or union shape.
    pub(crate) fn member(&self, name: &str) -> Option<&'static Member> {
        match &self.kind {
            Kind::Structure { members } | Kind::Union { members } => {
                members.iter().find(|m| m.name == name)
            }
            _ => None,
        }
    }
}
