#!/usr/bin/env python3
"""Start-up of cwlogs-mock: exec to the first answered request, with an empty store and with a
state file of N events (issue 17, must-show 6).

Each sample starts the binary with `--port 0`, reads the endpoint from the first stdout line (printed
once the listener accepts) and times until `GET /_mock/health` has answered. The state file is
filled once through the API (PutLogEvents batches of 5,000 events of 100 B) and saved by a clean
SIGTERM.

Usage: tests/bench/startup.py PATH/TO/cwlogs-mock [--samples 20] [--events 1000000] [--json OUT]
(`--json` also writes the figures to OUT, for `just bench`'s generated section.)
"""

import argparse
import json
import os
import statistics
import tempfile
import time
import urllib.request

from mock_process import call, stop
from mock_process import start as spawn


def start(binary, *args):
    """Starts the mock and waits for its first answer; returns the time that took."""
    t0 = time.perf_counter()
    p, url = spawn(binary, *args)
    with urllib.request.urlopen(url + "/_mock/health", timeout=30) as r:
        r.read()
    return time.perf_counter() - t0, p, url


def summary(name, seconds):
    ms = sorted(s * 1000 for s in seconds)
    p90 = ms[min(len(ms) - 1, int(len(ms) * 0.9))]
    print(f"{name}: median {statistics.median(ms):.1f} ms, p90 {p90:.1f} ms, "
          f"min {ms[0]:.1f} ms over {len(ms)} starts")
    return {"store": name, "median_ms": statistics.median(ms), "p90_ms": p90, "min_ms": ms[0],
            "starts": len(ms)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--samples", type=int, default=20)
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--json", help="also write the figures to this file")
    a = ap.parse_args()
    results = {"events": a.events}

    empty = []
    for _ in range(a.samples):
        t, p, _ = start(a.binary)
        empty.append(t)
        stop(p)
    results["empty"] = summary("empty store", empty)

    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "state.json")
        _, p, url = start(a.binary, "--state-file", path, "--max-stored-bytes", "none")
        call(url, "CreateLogGroup", {"logGroupName": "g"})
        call(url, "CreateLogStream", {"logGroupName": "g", "logStreamName": "s"})
        now = int(time.time() * 1000)
        message = "x" * 100
        for first in range(0, a.events, 5_000):
            n = min(5_000, a.events - first)
            call(url, "PutLogEvents", {"logGroupName": "g", "logStreamName": "s", "logEvents": [
                {"timestamp": now, "message": message} for _ in range(n)]})
        stop(p)
        size = os.path.getsize(path)
        loads = []
        for _ in range(max(3, a.samples // 4)):
            t, p, url = start(a.binary, "--state-file", path, "--max-stored-bytes", "none")
            loads.append(t)
            stop(p)
        results["state_file"] = summary(f"state file of {a.events:,} events ({size / 1e6:.0f} MB)", loads)
        results["state_file"]["bytes"] = size
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
