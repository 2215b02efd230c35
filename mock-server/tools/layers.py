#!/usr/bin/env python3
"""Fails when a module of cwlogs-mock imports from a layer above its own, or when modules import
each other in a circle.

The layers, top to bottom, are the folders (or single files) of mock-server/src; a module may use
its own layer and the ones below. An import is any `crate::<layer>` path in the code (not in
comments), or `super::` inside a layer folder. The facade (lib.rs) and the binary (src/bin) stand
above every layer. Run from anywhere: `python3 mock-server/tools/layers.py`.
"""

import pathlib
import re
import sys

# Top to bottom: see the crate documentation in lib.rs for what each layer is.
LAYERS = [
    "server",
    "admin",
    "persistence",
    "chaos",
    "pipeline",
    "service",
    "protocol",
    "catalogue",
    "config",
    "clock",
    "error",
]
# The ground layers know nothing of each other except that configuration reports errors.
SAME_RANK = {"config": 8, "clock": 8, "error": 9}

SRC = pathlib.Path(__file__).resolve().parent.parent / "src"
PATH = re.compile(r"\bcrate::([a-z_]+)(?:::([a-z_]+))?")
SUPER = re.compile(r"\bsuper::([a-z_]+)")


def rank(layer):
    return SAME_RANK.get(layer, LAYERS.index(layer))


def module_of(path):
    """(layer, module) of a source file: `service/put.rs` is ("service", "service::put")."""
    rel = path.relative_to(SRC).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "mod":
        parts.pop()
    return parts[0], "::".join(parts)


def code_lines(text):
    """The file's lines without comments and string contents (a doc link is not an import)."""
    for line in text.splitlines():
        line = re.sub(r'"(?:\\.|[^"\\])*"', '""', line)
        yield line.split("//", 1)[0]


def main():
    modules = {}
    for path in sorted(SRC.rglob("*.rs")):
        rel = path.relative_to(SRC)
        if rel.parts[0] == "bin" or rel.name == "lib.rs" or rel.name == "tests.rs":
            continue
        layer, module = module_of(path)
        if layer not in LAYERS:
            print(f"{rel}: folder {layer!r} is not a known layer; add it to LAYERS in {__file__}")
            return 1
        modules[module] = (layer, path)
    problems = []
    edges = {m: set() for m in modules}
    for module, (layer, path) in modules.items():
        in_tests = False
        for n, line in enumerate(code_lines(path.read_text()), 1):
            if "#[cfg(test)]" in line:
                in_tests = True  # unit tests may reach anywhere below the facade
            if in_tests:
                continue
            targets = []
            for m in PATH.finditer(line):
                top, sub = m.group(1), m.group(2)
                if top not in LAYERS:
                    continue
                target = f"{top}::{sub}" if sub and f"{top}::{sub}" in modules else top
                targets.append(target)
            if "/" in str(path.relative_to(SRC)):
                parent = module.rsplit("::", 1)[0] if "::" in module else module
                for m in SUPER.finditer(line):
                    target = f"{parent}::{m.group(1)}"
                    targets.append(target if target in modules else parent)
            for target in targets:
                target_layer = target.split("::")[0]
                if rank(target_layer) < rank(layer):
                    problems.append(
                        f"{path.relative_to(SRC)}:{n}: {layer} imports {target}, a layer above it"
                    )
                if target != module and target in modules:
                    edges[module].add(target)
    # Circles: a depth-first search for a back edge.
    state = {}

    def visit(module, stack):
        state[module] = "open"
        stack.append(module)
        for target in sorted(edges[module]):
            if state.get(target) == "open":
                circle = stack[stack.index(target):] + [target]
                problems.append("import circle: " + " -> ".join(circle))
            elif target not in state:
                visit(target, stack)
        stack.pop()
        state[module] = "done"

    for module in sorted(modules):
        if module not in state:
            visit(module, [])
    for p in problems:
        print(p)
    if problems:
        print(f"{len(problems)} layering problem(s) in {SRC}")
        return 1
    print(f"layers: {len(modules)} modules in {len(LAYERS)} layers, every import points down, no circle")
    return 0


if __name__ == "__main__":
    sys.exit(main())
