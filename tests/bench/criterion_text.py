"""Reads the figures out of criterion's console output (what `cargo bench` prints, saved by run.sh
as target/bench/token-core.txt).

Criterion's JSON under target/criterion/ holds raw samples, not the estimates it prints, and its
layout changes between versions; the printed `time:` / `thrpt:` lines are the figures a reader of
the log sees, so those are what BENCHMARKS.md quotes.

A result looks like this (a short name shares its line with `time:`, a long one stands alone):

    push_batch_deliver/sequential
                            time:   [12.0 ms 12.5 ms 13.2 ms]
                            thrpt:  [15.1 Melem/s 15.9 Melem/s 16.7 Melem/s]
                     change:
                            time:   [+1.2% +3.0% +4.9%] (p = 0.00 < 0.05)
                            thrpt:  [-4.7% -2.9% -1.2%]

The `change:` block compares with the previous run on this machine and is skipped: its values are
percentages, not figures of this run.
"""
import re

# Seconds per unit of criterion's time estimates.
TIME_UNITS = {"ps": 1e-12, "ns": 1e-9, "µs": 1e-6, "us": 1e-6, "ms": 1e-3, "s": 1.0}
# Elements per second per unit of criterion's element throughput.
ELEM_UNITS = {"elem/s": 1.0, "Kelem/s": 1e3, "Melem/s": 1e6, "Gelem/s": 1e9}

_TRIPLE = re.compile(
    r"^(?P<name>\S.*?)?\s*(?P<kind>time|thrpt):\s*\[\s*"
    r"(?P<lo>[-+\d.eE]+)\s+(?P<lo_u>\S+)\s+"
    r"(?P<mid>[-+\d.eE]+)\s+(?P<mid_u>\S+)\s+"
    r"(?P<hi>[-+\d.eE]+)\s+(?P<hi_u>\S+)\s*\]"
)
# A benchmark id alone on its line: `group/function` (criterion ids have no spaces).
_NAME = re.compile(r"^(?P<name>[^\s:]+/[^\s:]+)\s*$")


def _value(number, unit, units):
    if unit not in units:
        return None
    return float(number) * units[unit]


def parse(text):
    """Returns [{name, time_s: (lo, mid, hi), elems_per_s: (lo, mid, hi) or None}] in file order.

    Only results with a `time:` line are returned; `change:` blocks and progress lines
    (`Benchmarking ...`) are ignored, as is anything that is not a recognised unit.
    """
    results = []
    current = None
    in_change = False
    for line in text.splitlines():
        if line.startswith("Benchmarking "):
            continue
        stripped = line.strip()
        if stripped == "change:":
            in_change = True
            continue
        m = _NAME.match(line)
        if m:
            current = m.group("name")
            in_change = False
            continue
        m = _TRIPLE.match(line)
        if not m:
            continue
        if m.group("name"):
            current = m.group("name").strip()
            in_change = False
        if in_change or current is None:
            continue
        units = TIME_UNITS if m.group("kind") == "time" else ELEM_UNITS
        triple = tuple(
            _value(m.group(k), m.group(k + "_u"), units) for k in ("lo", "mid", "hi")
        )
        if None in triple:
            continue
        if m.group("kind") == "time":
            results.append({"name": current, "time_s": triple, "elems_per_s": None})
        elif results and results[-1]["name"] == current and results[-1]["elems_per_s"] is None:
            # Throughput is printed right after the time of the same benchmark; for elements
            # the interval is reversed (the lowest time gives the highest rate): keep it low..high.
            results[-1]["elems_per_s"] = tuple(sorted(triple))
    return results
