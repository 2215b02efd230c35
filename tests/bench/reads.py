#!/usr/bin/env python3
"""Reads on a large store (issue 17, must-show 5): GetLogEvents paging through N events,
FilterLogEvents with a term and with a JSON pattern over them, DescribeLogStreams paging through M
streams, and the mock's resident memory per stored event beyond the message.

Fills a fresh `cwlogs-mock --throttle off --max-stored-bytes none` through the API (PutLogEvents
batches of 5,000 events of 100 B, JSON messages of which every 10th says "level":"error"), then
times each read from the first request to the last page. Standard library only.

Usage: tests/bench/reads.py PATH/TO/cwlogs-mock [--events 1000000] [--streams 10000] [--json OUT]
(`--json` also writes the figures to OUT, for `just bench`'s generated section.)
"""

import argparse
import json
import time

from mock_process import call, start, stop


def rss_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


class Mock:
    def __init__(self, binary):
        self.p, self.url = start(binary, "--throttle", "off", "--max-stored-bytes", "none")

    def call(self, op, body):
        return call(self.url, op, body)

    def stop(self):
        stop(self.p)


def message(i):
    level = "error" if i % 10 == 0 else "info"
    text = json.dumps({"level": level, "n": i, "msg": "request served"})
    return (text + " " * 100)[:100] if len(text) < 100 else text


RESULTS = {"reads": []}


def timed(name, fn):
    t0 = time.perf_counter()
    pages, items = fn()
    dt = time.perf_counter() - t0
    print(f"{name}: {dt * 1000:.0f} ms, {pages} pages, {items:,} items")
    RESULTS["reads"].append({"read": name, "ms": dt * 1000, "pages": pages, "items": items})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--streams", type=int, default=10_000)
    ap.add_argument("--json", help="also write the figures to this file")
    a = ap.parse_args()
    m = Mock(a.binary)
    try:
        m.call("CreateLogGroup", {"logGroupName": "g"})
        m.call("CreateLogStream", {"logGroupName": "g", "logStreamName": "s"})
        before = rss_bytes(m.p.pid)
        now = int(time.time() * 1000) - 3_600_000
        payload = 0
        for first in range(0, a.events, 5_000):
            batch = [{"timestamp": now + i // 1000, "message": message(i)}
                     for i in range(first, min(first + 5_000, a.events))]
            payload += sum(len(e["message"]) for e in batch)
            m.call("PutLogEvents", {"logGroupName": "g", "logStreamName": "s", "logEvents": batch})
        after = rss_bytes(m.p.pid)
        per_event = (after - before - payload) / a.events
        print(f"memory: {(after - before) / 1e6:.0f} MB for {a.events:,} events of 100 B: "
              f"{per_event:.0f} B per event beyond the message")
        RESULTS.update(events=a.events, streams=a.streams, rss_growth_bytes=after - before,
                       bytes_per_event_beyond_message=per_event)

        def get_all():
            pages, items, token = 0, 0, None
            while True:
                body = {"logGroupName": "g", "logStreamName": "s", "startFromHead": True}
                if token:
                    body["nextToken"] = token
                out = m.call("GetLogEvents", body)
                pages += 1
                items += len(out["events"])
                if out["nextForwardToken"] == token:
                    return pages, items
                token = out["nextForwardToken"]

        def filter_all(pattern):
            def run():
                pages, items, token = 0, 0, None
                while True:
                    body = {"logGroupName": "g", "filterPattern": pattern}
                    if token:
                        body["nextToken"] = token
                    out = m.call("FilterLogEvents", body)
                    pages += 1
                    items += len(out["events"])
                    token = out.get("nextToken")
                    if not token:
                        return pages, items
            return run

        timed(f"GetLogEvents through {a.events:,} events", get_all)
        timed("FilterLogEvents, term pattern \"error\"", filter_all('"error"'))
        timed("FilterLogEvents, JSON pattern { $.level = \"error\" }",
              filter_all('{ $.level = "error" }'))

        for i in range(a.streams):
            m.call("CreateLogStream", {"logGroupName": "g", "logStreamName": f"many-{i:05}"})

        def describe_all():
            pages, items, token = 0, 0, None
            while True:
                body = {"logGroupName": "g"}
                if token:
                    body["nextToken"] = token
                out = m.call("DescribeLogStreams", body)
                pages += 1
                items += len(out["logStreams"])
                token = out.get("nextToken")
                if not token:
                    return pages, items

        timed(f"DescribeLogStreams through {a.streams + 1:,} streams", describe_all)
    finally:
        m.stop()
    if a.json:
        with open(a.json, "w") as f:
            json.dump(RESULTS, f, indent=1)


if __name__ == "__main__":
    main()
