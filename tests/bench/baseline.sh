#!/usr/bin/env bash
# The mock against the transport's ceiling, side by side in one run: cwlogs-load's standard
# workload (4 connections, 100 events of 200 B, 1 s warm-up, 10 s measured) against
# cwlogs-baseline (reads each body, answers a fixed success) and cwlogs-mock (--throttle off),
# on distinct streams and on one shared stream, alternating, ROUNDS times (default 2).
# Usage: tests/bench/baseline.sh   (after cargo build --release --locked -p cwlogs-tests
#        -p mock-server --bin cwlogs-baseline --bin cwlogs-load --bin cwlogs-mock)
set -euo pipefail
cd "$(dirname "$0")/../.."
rel=${CARGO_TARGET_DIR:-target}/release

run() { # server mode
    local work pid ep="" extra=""
    work=$(mktemp -d)
    if [ "$1" = baseline ]; then
        "$rel/cwlogs-baseline" 0 >"$work/out" 2>/dev/null &
    else
        "$rel/cwlogs-mock" --port 0 --throttle off --max-stored-bytes none >"$work/out" 2>/dev/null &
    fi
    pid=$!
    for _ in $(seq 1 100); do
        ep=$(sed -n 's/^.* listening on \(http:[^ ]*\).*/\1/p' "$work/out")
        [ -n "$ep" ] && break
        sleep 0.05
    done
    [ -n "$ep" ] || { echo "baseline: $1 printed no endpoint" >&2; kill "$pid"; exit 1; }
    [ "$2" = shared ] && extra="--shared-stream"
    "$rel/cwlogs-load" --endpoint "$ep" --connections 4 $extra --events-per-batch 100 \
        --event-bytes 200 --duration 10 --warmup 1 --json >"$work/load.json"
    python3 -c "import json, sys; d = json.load(open(sys.argv[1])); print(sys.argv[2], sys.argv[3], round(d['requests_per_s']), 'requests/s, errors', sum(d['errors'].values()))" \
        "$work/load.json" "$1" "$2"
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    rm -rf "$work"
}

for _ in $(seq 1 "${ROUNDS:-2}"); do
    for mode in distinct shared; do
        run baseline "$mode"
        run mock "$mode"
    done
done
