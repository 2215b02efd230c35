#!/usr/bin/env bash
# What each `--durability` setting costs on the standard workload (4 connections, distinct streams,
# 100 events of 200 B, 1 s warm-up, 5 s measured): cwlogs-mock in memory, then with a state file
# under periodic, os (also with compactions inside the run) and always, alternating, ROUNDS times
# (default 2). Prints requests/s, p50 and
# p99 latency per run, and the ratio to the in-memory run of the same round.
# Usage: [ROUNDS=2] tests/bench/durability.sh [PATH/TO/cwlogs-mock]
# (release builds: cargo build --release --locked -p cwlogs-tests -p mock-server --bin cwlogs-load --bin cwlogs-mock)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${1:-$root/target/release/cwlogs-mock}
work=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$work"' EXIT

run() { # mode -> "requests/s p50_ms p99_ms"
    local mode=$1 state=()
    rm -rf "$work/state" && mkdir -p "$work/state"
    case $mode in
        memory) ;;
        # The journal checked every 500 ms instead of 30 s, so that compactions (folding the
        # journal into the state file past 64 MiB or the file's size) fall inside the 5 s.
        os+compaction) state=(--state-file "$work/state/s.json" --durability os --state-save-interval-ms 500) ;;
        *) state=(--state-file "$work/state/s.json" --durability "$mode") ;;
    esac
    "$bin" --port 0 --throttle off --max-stored-bytes none "${state[@]}" >"$work/mock.out" 2>"$work/mock.err" &
    pid=$!
    local endpoint=""
    for _ in $(seq 1 100); do
        endpoint=$(sed -n 's/^cwlogs-mock listening on \(http:[^ ]*\).*/\1/p' "$work/mock.out")
        [ -n "$endpoint" ] && break
        sleep 0.05
    done
    [ -n "$endpoint" ] || { echo "durability: no endpoint from $bin ($mode)" >&2; cat "$work/mock.err" >&2; exit 1; }
    "$root/target/release/cwlogs-load" --endpoint "$endpoint" --connections 4 --events-per-batch 100 \
        --event-bytes 200 --warmup 1 --duration 5 --json --server-pid "$pid" >"$work/load.json"
    kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; pid=""
    python3 - "$work/load.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
errors = sum(d["errors"].values())
lat = d["latency_us"]
print(round(d["requests_per_s"]), round(lat["p50"] / 1000, 2), round(lat["p99"] / 1000, 2), errors)
PY
}

echo "| round | durability | requests/s | p50 ms | p99 ms | errors | vs memory |"
echo "|---|---|---|---|---|---|---|"
for round in $(seq 1 "${ROUNDS:-2}"); do
    base=""
    for mode in memory periodic os os+compaction always; do
        read -r rps p50 p99 errors < <(run "$mode")
        [ "$mode" = memory ] && base=$rps
        ratio=$(python3 -c "print(f'{$rps / $base:.2f}')")
        echo "| $round | $mode | $rps | $p50 | $p99 | $errors | $ratio |"
    done
done
