#!/usr/bin/env python3
"""Generate mock-server/src/catalogue/model.rs from botocore's CloudWatch Logs service model.

The table holds only facts from the model (operation and shape names, types and
constraints), never its documentation prose, so the mock can validate inputs the
way the real service describes them without us transcribing the model by hand.

Usage:
    generate.py            write src/catalogue/model.rs
    generate.py --stdout   print the generated text instead
    generate.py --check    exit 1 (with a short diff) when the checked-in file differs
"""

import difflib
import gzip
import json
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
VERSION_FILE = os.path.join(HERE, "BOTOCORE_VERSION")
OUTPUT = os.path.join(HERE, os.pardir, "src", "catalogue", "model.rs")
SERVICE, API_VERSION = "logs", "2014-03-28"


def fail(message):
    # Exit 2 distinguishes "cannot generate" from --check's "generated but differs".
    print(f"generate.py: {message}", file=sys.stderr)
    sys.exit(2)


def load_model():
    with open(VERSION_FILE, encoding="utf-8") as f:
        pinned = f.read().strip()
    try:
        import botocore
    except ImportError:
        fail(f"botocore is not installed; install botocore=={pinned}")
    # A different botocore may carry a different model; regenerating from it would
    # silently change the table, so the pin is enforced rather than advisory.
    if botocore.__version__ != pinned:
        fail(f"botocore {botocore.__version__} is installed but {VERSION_FILE} pins {pinned}")
    base = os.path.join(os.path.dirname(botocore.__file__), "data", SERVICE, API_VERSION)
    gz = os.path.join(base, "service-2.json.gz")
    if os.path.exists(gz):
        with gzip.open(gz, "rt", encoding="utf-8") as f:
            return pinned, json.load(f)
    with open(os.path.join(base, "service-2.json"), encoding="utf-8") as f:
        return pinned, json.load(f)


def rust_str(s):
    # Plain literal for names and enum values: escape only what Rust requires, and
    # anything non-printable, so the text reads as the model spells it.
    out = []
    for ch in s:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch.isprintable():
            out.append(ch)
        else:
            out.append(f"\\u{{{ord(ch):x}}}")
    return '"' + "".join(out) + '"'


def rust_raw_str(s):
    # Patterns must survive verbatim (the mock prints them in validation messages),
    # so use a raw literal with just enough hashes that no `"#...` inside closes it.
    hashes = 0
    while '"' + "#" * hashes in s:
        hashes += 1
    return "r" + "#" * hashes + '"' + s + '"' + "#" * hashes


def opt(value):
    return "None" if value is None else f"Some({value})"


def whole(shape_name, shape, key):
    # Lengths and integer ranges are whole numbers; the model may still write 1.0,
    # but a real fraction means we would be guessing at what it meant.
    value = shape.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        fail(f"shape {shape_name}: {key} is not a number: {value!r}")
    if isinstance(value, float):
        if not value.is_integer():
            fail(f"shape {shape_name}: {key} has a fractional part: {value!r}")
        value = int(value)
    return value


def length(shape_name, shape, key):
    value = whole(shape_name, shape, key)
    if value is not None and value < 0:
        fail(f"shape {shape_name}: negative {key}: {value}")
    return value


def real(shape_name, shape, key):
    value = shape.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        fail(f"shape {shape_name}: {key} is not a finite number: {value!r}")
    text = repr(float(value))  # repr round-trips, and always has a '.' or an exponent
    return text if ("." in text or "e" in text) else text + ".0"


def reachable(model):
    # Only shapes an input can contain matter to validation; outputs and errors are
    # left out so the table stays about what clients send.
    shapes, seen = model["shapes"], set()
    stack = [op["input"]["shape"] for op in model["operations"].values() if "input" in op]
    while stack:
        name = stack.pop()
        if name in seen:  # the seen-set is what makes recursive shapes terminate
            continue
        if name not in shapes:
            fail(f"shape {name} is referenced but not defined")
        seen.add(name)
        shape = shapes[name]
        stack.extend(m["shape"] for m in shape.get("members", {}).values())
        stack.extend(shape[k]["shape"] for k in ("member", "key", "value") if k in shape)
    return sorted(seen)


def members(name, shape, ids, union):
    required = set(shape.get("required", []))
    unknown = required - set(shape.get("members", {}))
    if unknown:
        fail(f"shape {name}: required names unknown members {sorted(unknown)}")
    parts = []
    for member, ref in shape.get("members", {}).items():  # model order is kept deliberately
        is_required = "true" if (member in required and not union) else "false"
        parts.append(
            f"Member {{ name: {rust_str(member)}, shape: ShapeId({ids[ref['shape']]}), "
            f"required: {is_required} }}"
        )
    return "&[" + ", ".join(parts) + "]"


def kind(name, shape, ids):
    t = shape.get("type")
    if t == "string":
        values = ", ".join(rust_str(v) for v in shape.get("enum", []))
        pattern = shape.get("pattern")
        pattern = None if pattern is None else rust_raw_str(pattern)
        return (f"Kind::String {{ min: {opt(length(name, shape, 'min'))}, "
                f"max: {opt(length(name, shape, 'max'))}, pattern: {opt(pattern)}, "
                f"values: &[{values}] }}")
    if t in ("integer", "long"):
        variant = "Integer" if t == "integer" else "Long"
        return (f"Kind::{variant} {{ min: {opt(whole(name, shape, 'min'))}, "
                f"max: {opt(whole(name, shape, 'max'))} }}")
    if t in ("double", "float"):
        return (f"Kind::Double {{ min: {opt(real(name, shape, 'min'))}, "
                f"max: {opt(real(name, shape, 'max'))} }}")
    if t == "boolean":
        return "Kind::Boolean"
    if t == "timestamp":
        return "Kind::Timestamp"
    if t == "blob":
        return (f"Kind::Blob {{ min: {opt(length(name, shape, 'min'))}, "
                f"max: {opt(length(name, shape, 'max'))} }}")
    if t == "list":
        return (f"Kind::List {{ member: ShapeId({ids[shape['member']['shape']]}), "
                f"min: {opt(length(name, shape, 'min'))}, max: {opt(length(name, shape, 'max'))} }}")
    if t == "map":
        return (f"Kind::Map {{ key: ShapeId({ids[shape['key']['shape']]}), "
                f"value: ShapeId({ids[shape['value']['shape']]}), "
                f"min: {opt(length(name, shape, 'min'))}, max: {opt(length(name, shape, 'max'))} }}")
    if t == "structure":
        if shape.get("document"):
            return "Kind::Document"
        if shape.get("union"):
            return f"Kind::Union {{ members: {members(name, shape, ids, union=True)} }}"
        return f"Kind::Structure {{ members: {members(name, shape, ids, union=False)} }}"
    fail(f"shape {name} has type {t!r}, which the catalogue has no Kind for")


def generate(version, model):
    operations = sorted(model["operations"])
    for op in operations:
        # Operation names become enum variants, so they must be plain identifiers.
        if not (op.isidentifier() and op.isascii() and op[0].isupper()):
            fail(f"operation name {op!r} is not a usable Rust identifier")
    names = reachable(model)
    ids = {name: i for i, name in enumerate(names)}
    n = len(operations)
    out = [
        f"// @generated by mock-server/catalogue/generate.py from botocore {version}'s "
        f"{SERVICE} {API_VERSION} service model.",
        "// Do not edit by hand: run `just catalogue` to regenerate; a test fails when this "
        "file and the model differ.",
        "",
        "//! The operations of the CloudWatch Logs service model and the constraints of their inputs.",
        "",
        "use super::shape::{Kind, Member, Shape, ShapeId};",
        "",
        "/// The botocore version whose service model this table was generated from.",
        "#[rustfmt::skip]",
        f"pub const BOTOCORE_VERSION: &str = {rust_str(version)};",
        "",
        "/// Every operation of the CloudWatch Logs service model, named as in `X-Amz-Target`.",
        "#[rustfmt::skip]",
        "#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]",
        "pub enum Operation {",
    ]
    for op in operations:
        out += [f"    /// `{op}`.", f"    {op},"]
    out += ["}", "", "#[rustfmt::skip]", "impl Operation {",
            "    /// Every operation, in name order.",
            f"    pub const ALL: [Operation; OPERATION_COUNT] = ["]
    out += [f"        Operation::{op}," for op in operations]
    out += ["    ];", "",
            "    /// The operation's name, as `X-Amz-Target` carries it after "
            f"`{model['metadata']['targetPrefix']}.`.",
            "    pub const fn name(self) -> &'static str {", "        match self {"]
    out += [f"            Operation::{op} => {rust_str(op)}," for op in operations]
    out += ["        }", "    }", "",
            "    /// The operation named `name`, if the model has one.",
            "    pub fn from_name(name: &str) -> Option<Self> {", "        match name {"]
    out += [f"            {rust_str(op)} => Some(Operation::{op})," for op in operations]
    out += ["            _ => None,", "        }", "    }", "",
            "    /// The operation's input shape, or `None` when the model gives it no input.",
            "    pub(crate) const fn input(self) -> Option<ShapeId> {", "        match self {"]
    for op in operations:
        spec = model["operations"][op].get("input")
        target = f"Some(ShapeId({ids[spec['shape']]}))" if spec else "None"
        out.append(f"            Operation::{op} => {target},")
    out += ["        }", "    }", "}", "",
            "/// Every shape reachable from an operation's input, by [`ShapeId`] (index into this table).",
            "#[rustfmt::skip]",
            "pub(crate) static SHAPES: &[Shape] = &["]
    for i, name in enumerate(names):
        shape_kind = kind(name, model["shapes"][name], ids)
        out.append(f"    /* {i} */ Shape {{ name: {rust_str(name)}, kind: {shape_kind} }},")
    out += ["];", "",
            "/// How many operations the model has.",
            "#[rustfmt::skip]",
            f"pub const OPERATION_COUNT: usize = {n};"]
    return "\n".join(out) + "\n"


def main(argv):
    mode = argv[1] if len(argv) > 1 else None
    if len(argv) > 2 or mode not in (None, "--stdout", "--check"):
        print(__doc__, file=sys.stderr)
        return 2
    text = generate(*load_model())
    if mode == "--stdout":
        sys.stdout.write(text)
        return 0
    if mode == "--check":
        try:
            with open(OUTPUT, encoding="utf-8", newline="") as f:
                current = f.read()
        except FileNotFoundError:
            current = ""
        if current == text:
            return 0
        diff = difflib.unified_diff(current.splitlines(True), text.splitlines(True),
                                    "checked-in model.rs", "generated model.rs", n=1)
        sys.stdout.writelines(list(diff)[:40])
        print("\nmodel.rs is out of date: run `just catalogue` to regenerate it.")
        return 1
    # newline="" so the file is LF-only whatever platform writes it.
    with open(OUTPUT, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
