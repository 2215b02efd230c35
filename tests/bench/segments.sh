#!/usr/bin/env bash
# Throughput as a stream grows: four back-to-back 5 s cwlogs-load segments (4 connections, one
# shared stream, 100 events of 50 B) against one cwlogs-mock, printing requests/s and errors per
# segment. SPREAD=MS spreads each batch's events over MS ms, so every batch overlaps the previous
# ones in time and the store must insert into the middle of the stream.
# Usage: [SPREAD=1000] tests/bench/segments.sh PATH/TO/cwlogs-mock LABEL
# (cwlogs-load from target/release; build it with `cargo build --release -p cwlogs-tests`.)
set -euo pipefail
bin=$1; label=$2
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
"$bin" --port 0 --throttle off --max-stored-bytes none >"$work/mock.out" 2>"$work/mock.err" &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
endpoint=""
for _ in $(seq 1 100); do
    endpoint=$(sed -n 's/^cwlogs-mock listening on \(http:[^ ]*\).*/\1/p' "$work/mock.out")
    [ -n "$endpoint" ] && break
    sleep 0.05
done
[ -n "$endpoint" ] || { echo "segments: no endpoint from $bin" >&2; exit 1; }
line="$label"
for seg in 1 2 3 4; do
    "$root/target/release/cwlogs-load" --endpoint "$endpoint" --connections 4 --shared-stream \
        --events-per-batch 100 --event-bytes 50 --duration 5 --spread-ms "${SPREAD:-0}" --json \
        --server-pid "$pid" >"$work/load-$seg.json"
    line="$line $(python3 -c "import json, sys; d = json.load(open(sys.argv[1])); print(round(d['requests_per_s']), sum(d['errors'].values()), sep='/')" "$work/load-$seg.json")"
done
echo "$line   (requests/s/errors per 5 s segment)"
