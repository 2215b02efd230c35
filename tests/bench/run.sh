#!/usr/bin/env bash
# `just bench`: every benchmark of issue 8 in one run, then the generated sections of
# BENCHMARKS.md are rewritten from the results (target/bench/*.json).
#
#  1. token-core's criterion benches (cargo bench -p token-core);
#  2. cwlogs-load against cwlogs-mock (release) and, in the same run, against moto's server with
#     the same workloads, and the ratio;
#  3. the sdk-adapter's end-to-end throughput against a plain SDK loop (when the bench binary
#     exists);
#  4. the mock's resident memory before and after storing 1,000,000 events of 200 bytes, and
#     moto's for the same load;
#  5. the transport's ceiling in the same run: cwlogs-baseline (reads each body, answers a fixed
#     success) and cwlogs-baseline --keep (also keeps every body), same workloads as the mock;
#  6. writer workloads over time (issue 17): several connections on one stream whose batches
#     overlap, the same batch repeated, batches a few seconds late, and in-order as the control,
#     each for BENCH_WORKLOAD_DURATION seconds with throughput and server CPU per 5 s;
#  7. reads on a large store (GetLogEvents, FilterLogEvents, DescribeLogStreams) and start-up
#     (empty store, state file of 1,000,000 events), through tests/bench/reads.py and startup.py.
#
# Everything is bounded: each load run by a duration (and the memory runs by a request count),
# every server is started here on 127.0.0.1 and stopped on exit. Knobs (environment):
#   BENCH_DURATION   seconds per measured throughput run (default 10)
#   BENCH_WORKLOAD_DURATION  seconds per writer-workload run (default 60)
#   BENCH_SKIP       space-separated steps to skip: criterion moto memory adapter baseline
#                    workloads reads startup (recorded in machine.env; BENCHMARKS.md then names
#                    them as skipped in their sections)
#   BENCH_WRITE=0    do not rewrite BENCHMARKS.md (results stay in target/bench/)
set -euo pipefail

cd "$(dirname "$0")/../.."
ROOT=$PWD
CARGO=${CARGO:-cargo}
DURATION=${BENCH_DURATION:-10}
WORKLOAD_DURATION=${BENCH_WORKLOAD_DURATION:-60}
SKIP=" ${BENCH_SKIP:-} "
OUT=$ROOT/target/bench
VENV=${BENCH_VENV:-$ROOT/target/venv-bench}
REL=${CARGO_TARGET_DIR:-$ROOT/target}/release
mkdir -p "$OUT"
# Results of an earlier run must not pass for this one's: a skipped step leaves no file at all.
rm -f "$OUT"/*.json "$OUT"/*.cmd "$OUT"/*.status "$OUT"/token-core.txt

skip() { [[ "$SKIP" == *" $1 "* ]]; }
log() { printf '\n== %s\n' "$*" >&2; }

# Servers started here, stopped on any exit (only these PIDs).
PIDS=()
cleanup() {
    for pid in "${PIDS[@]:-}"; do
        [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]:-}"; do
        [ -n "$pid" ] && wait "$pid" 2>/dev/null || true
    done
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# wait_http URL SECONDS: poll until the URL answers at all (any status), or fail.
wait_http() {
    local url=$1 limit=$2 i
    for ((i = 0; i < limit * 10; i++)); do
        if command -v curl >/dev/null; then
            if curl -s -o /dev/null --max-time 1 "$url"; then return 0; fi
        else
            # Without curl, an accepted TCP connection is enough.
            local hostport=${url#http://}
            hostport=${hostport%%/*}
            if (exec 3<>"/dev/tcp/${hostport%:*}/${hostport##*:}") 2>/dev/null; then return 0; fi
        fi
        sleep 0.1
    done
    echo "no answer from $url after ${limit}s" >&2
    return 1
}

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# load NAME ARGS...: one cwlogs-load run; JSON in $OUT/NAME.json, the exact command in NAME.cmd.
load() {
    local name=$1
    shift
    echo "target/release/cwlogs-load $*" >"$OUT/$name.cmd"
    log "cwlogs-load $name: $*"
    "$REL/cwlogs-load" "$@" --json >"$OUT/$name.json"
    python3 - "$OUT/$name.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"   {r['requests_per_s']:.0f} req/s, {r['events_per_s']:.0f} events/s, p50 {r['latency_us']['p50']} us, "
      f"p99 {r['latency_us']['p99']} us, errors {r['errors'] or 'none'}", file=sys.stderr)
PY
}

status=0

# ---- machine and versions -------------------------------------------------------------------
{
    echo "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    # BENCH_COMMIT names the commit when the tree is an export without .git.
    echo "commit=${BENCH_COMMIT:-$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- 2>/dev/null || echo '+dirty')}"
    # Other work on the machine skews every figure: record how busy it was.
    echo "loadavg=$(cut -d' ' -f1-3 /proc/loadavg)"
    echo "cores=$(nproc)"
    echo "memory=$(awk '/^MemTotal:/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
    echo "cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
    echo "rustc=$(rustc --version)"
    echo "duration=$DURATION"
    echo "workload_duration=$WORKLOAD_DURATION"
    # render.py says which steps were skipped, so a missing section reads as "not measured".
    echo "bench_skip=${BENCH_SKIP:-}"
} >"$OUT/machine.env"
cat "$OUT/machine.env" >&2

# ---- 1. token-core criterion benches --------------------------------------------------------
if ! skip criterion; then
    echo "cargo bench -p token-core --locked   # criterion defaults: 3 s warm-up, 5 s measurement, 100 samples" >"$OUT/token-core.cmd"
    log "cargo bench -p token-core --locked"
    if $CARGO bench -p token-core --locked 2>&1 | tee "$OUT/token-core.txt"; then
        echo ok >"$OUT/criterion.status"
    else
        echo failed >"$OUT/criterion.status"
        status=1
    fi
fi

# ---- build ----------------------------------------------------------------------------------
log "release build"
BINS=(--bin cwlogs-mock --bin cwlogs-load --bin cwlogs-baseline)
if [ -f tests/src/bin/cwlogs-adapter-bench.rs ]; then BINS+=(--bin cwlogs-adapter-bench); fi
$CARGO build --release --locked -p mock-server -p cwlogs-tests "${BINS[@]}"

start_mock() {
    local port
    port=$(free_port)
    # No store cap: the throughput runs store several GB, more than the 1 GiB default allows.
    "$REL/cwlogs-mock" --port "$port" --throttle off --max-stored-bytes none >"$OUT/mock-$1.log" 2>&1 &
    MOCK_PID=$!
    PIDS+=("$MOCK_PID")
    MOCK_URL="http://127.0.0.1:$port"
    wait_http "$MOCK_URL/_mock/health" 30
}

stop() {
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

# The workloads every server gets. 4 connections x 100-event batches of 200-byte messages is the
# issue's target workload; the shared-stream variant shows contention on one stream.
WORK_DISTINCT=(--connections 4 --events-per-batch 100 --event-bytes 200 --duration "$DURATION" --warmup 1)
WORK_SHARED=(--connections 4 --shared-stream --events-per-batch 100 --event-bytes 200 --duration "$DURATION" --warmup 1)

# ---- 2a. cwlogs-mock throughput -------------------------------------------------------------
start_mock throughput
echo "mock_version=$("$REL/cwlogs-mock" --version 2>/dev/null || echo 'cwlogs-mock (no --version)')" >>"$OUT/machine.env"
load mock-distinct --endpoint "$MOCK_URL" "${WORK_DISTINCT[@]}" --server-pid "$MOCK_PID"
load mock-shared --endpoint "$MOCK_URL" "${WORK_SHARED[@]}" --server-pid "$MOCK_PID"
# The generator with two threads, to show whether one generator thread was the limit.
load mock-distinct-2t --endpoint "$MOCK_URL" "${WORK_DISTINCT[@]}" --threads 2 --server-pid "$MOCK_PID"
stop "$MOCK_PID"

# ---- 5. the transport's ceiling, same workloads ----------------------------------------------
# plain: reads each body and answers a fixed success; keep: also keeps every body in memory, the
# floor of any server that stores what it is sent (fresh pages cost the kernel per byte).
if ! skip baseline; then
    for kind in plain keep; do
        port=$(free_port)
        flags=()
        [ "$kind" = keep ] && flags=(--keep)
        "$REL/cwlogs-baseline" "${flags[@]}" "$port" >"$OUT/baseline-$kind.log" 2>&1 &
        BASE_PID=$!
        PIDS+=("$BASE_PID")
        wait_http "http://127.0.0.1:$port/" 30
        load "baseline-$kind-distinct" --endpoint "http://127.0.0.1:$port" "${WORK_DISTINCT[@]}" --server-pid "$BASE_PID"
        load "baseline-$kind-shared" --endpoint "http://127.0.0.1:$port" "${WORK_SHARED[@]}" --server-pid "$BASE_PID"
        stop "$BASE_PID"
    done
fi

# ---- 6. writer workloads over time, one shared stream ----------------------------------------
# Small batches (20 x 100 B) so that a minute stores a few GB, not tens; each on a fresh mock.
WORK_WRITERS=(--connections 4 --shared-stream --events-per-batch 20 --event-bytes 100 --duration "$WORKLOAD_DURATION" --warmup 1 --interval 5)
if ! skip workloads; then
    for w in in-order overlap repeat late; do
        case $w in
            in-order) extra=(--live-timestamps) ;;
            overlap) extra=(--live-timestamps --spread-ms 1000) ;;
            repeat) extra=(--live-timestamps --repeat-every 2) ;;
            late) extra=(--late-ms 3000 --late-every 4) ;;
        esac
        start_mock "workload-$w"
        load "workload-$w" --endpoint "$MOCK_URL" "${WORK_WRITERS[@]}" "${extra[@]}" --server-pid "$MOCK_PID"
        stop "$MOCK_PID"
    done
fi

# ---- 2b. moto, same workloads -------------------------------------------------------------
if ! skip moto; then
    if [ ! -x "$VENV/bin/moto_server" ]; then
        log "installing moto[server] into $VENV"
        python3 -m venv "$VENV"
        "$VENV/bin/pip" install --quiet --disable-pip-version-check "moto[server]==5.2.5"
    fi
    echo "moto_version=$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("moto"))')" >>"$OUT/machine.env"
    echo "python=$("$VENV/bin/python" --version)" >>"$OUT/machine.env"
    port=$(free_port)
    "$VENV/bin/moto_server" -H 127.0.0.1 -p "$port" >"$OUT/moto.log" 2>&1 &
    MOTO_PID=$!
    PIDS+=("$MOTO_PID")
    wait_http "http://127.0.0.1:$port/" 60
    load moto-distinct --endpoint "http://127.0.0.1:$port" "${WORK_DISTINCT[@]}" --server-pid "$MOTO_PID"
    load moto-shared --endpoint "http://127.0.0.1:$port" "${WORK_SHARED[@]}" --server-pid "$MOTO_PID"
    stop "$MOTO_PID"
fi

# ---- 4. memory: 1,000,000 stored events of 200 bytes ---------------------------------------
# 10,000 requests of 100 events over 4 connections, into 4 streams; RSS is read from
# /proc/PID/status right before and right after (the server keeps everything in memory).
MEM_WORK=(--connections 4 --events-per-batch 100 --event-bytes 200 --requests 10000 --duration 900)
if ! skip memory; then
    start_mock memory
    sleep 0.5
    before=$(rss_kb "$MOCK_PID")
    load mock-memory --endpoint "$MOCK_URL" "${MEM_WORK[@]}" --server-pid "$MOCK_PID"
    sleep 0.5
    after=$(rss_kb "$MOCK_PID")
    echo "{\"rss_before_kb\": $before, \"rss_after_kb\": $after}" >"$OUT/mock-memory-rss.json"
    stop "$MOCK_PID"
    if ! skip moto; then
        port=$(free_port)
        "$VENV/bin/moto_server" -H 127.0.0.1 -p "$port" >"$OUT/moto-memory.log" 2>&1 &
        MOTO_PID=$!
        PIDS+=("$MOTO_PID")
        wait_http "http://127.0.0.1:$port/" 60
        sleep 0.5
        before=$(rss_kb "$MOTO_PID")
        load moto-memory --endpoint "http://127.0.0.1:$port" "${MEM_WORK[@]}" --server-pid "$MOTO_PID"
        sleep 0.5
        after=$(rss_kb "$MOTO_PID")
        echo "{\"rss_before_kb\": $before, \"rss_after_kb\": $after}" >"$OUT/moto-memory-rss.json"
        stop "$MOTO_PID"
    fi
fi

# ---- 3. sdk-adapter vs a plain SDK loop ---------------------------------------------------
# Each mode runs 3 times, interleaved, each into its own stream; render.py reports the median.
# Then the adapter's memory with a full buffer, against a closed port so nothing drains.
if ! skip adapter && [ -x "$REL/cwlogs-adapter-bench" ]; then
    start_mock adapter
    for rep in 1 2 3; do
        for mode in sdk-loop sequential concurrent; do
            args=(--endpoint "$MOCK_URL" --mode "$mode" --events 1000000 --event-bytes 200 --stream "adapter-$mode-$rep")
            echo "target/release/cwlogs-adapter-bench ${args[*]}" >"$OUT/adapter-$mode-$rep.cmd"
            log "adapter bench: $mode, run $rep"
            "$REL/cwlogs-adapter-bench" "${args[@]}" --json >"$OUT/adapter-$mode-$rep.json" || status=1
        done
    done
    stop "$MOCK_PID"
    closed=$(free_port)
    args=(--endpoint "http://127.0.0.1:$closed" --mode full-buffer --event-bytes 200)
    echo "target/release/cwlogs-adapter-bench ${args[*]}   # nothing listens on that port" >"$OUT/adapter-full-buffer.cmd"
    log "adapter bench: full buffer"
    "$REL/cwlogs-adapter-bench" "${args[@]}" --json >"$OUT/adapter-full-buffer.json" || status=1
fi

# ---- 7. reads on a large store, and start-up ----------------------------------------------
if ! skip reads; then
    args=("$REL/cwlogs-mock" --events 1000000 --streams 10000)
    echo "python3 tests/bench/reads.py target/release/cwlogs-mock ${args[*]:1}" >"$OUT/reads.cmd"
    log "reads: ${args[*]:1}"
    python3 -B tests/bench/reads.py "${args[@]}" --json "$OUT/reads.json" || status=1
fi
if ! skip startup; then
    args=("$REL/cwlogs-mock" --samples 20 --events 1000000)
    echo "python3 tests/bench/startup.py target/release/cwlogs-mock ${args[*]:1}" >"$OUT/startup.cmd"
    log "start-up: ${args[*]:1}"
    python3 -B tests/bench/startup.py "${args[@]}" --json "$OUT/startup.json" || status=1
fi

# ---- summary and BENCHMARKS.md ------------------------------------------------------------
python3 tests/bench/render.py "$OUT" BENCHMARKS.md "${BENCH_WRITE:-1}"
exit $status
