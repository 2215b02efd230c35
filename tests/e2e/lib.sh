# Shared by the e2e scenarios (sourced, never run): a scratch directory removed on exit, `fail`
# with the tails of the processes' stderr, and `start_mock`, which starts cwlogs-mock on a free
# loopback port and waits for the endpoint it prints on its first stdout line.
# The sourcing script sets `scenario` (its name, for messages) and `bin_dir` first.

work=$(mktemp -d)
mock_pid=""
cleanup() {
    if [ -n "$mock_pid" ]; then
        kill "$mock_pid" 2>/dev/null || true
        wait "$mock_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

# Prints the reason and the last lines of every `*.err` file in $work, then exits 1.
fail() {
    echo "$scenario: FAIL: $*" >&2
    for f in "$work"/*.err; do
        if [ -s "$f" ]; then
            echo "--- $(basename "$f") (tail)" >&2
            tail -n 20 "$f" >&2
        fi
    done
    exit 1
}

# Starts cwlogs-mock with `--port 0` and the given flags (stdout to $work/mock.out, stderr to
# $work/mock.err), sets `endpoint` and `mock_pid`, and waits until `/_mock/health` answers ok.
# Bounded: 100 checks for the endpoint and 50 for health, 0.1 s apart.
start_mock() {
    "$bin_dir/cwlogs-mock" --port 0 "$@" >"$work/mock.out" 2>"$work/mock.err" &
    mock_pid=$!
    endpoint=""
    for _ in $(seq 1 100); do
        endpoint=$(sed -n 's/^cwlogs-mock listening on \(http:[^ ]*\).*/\1/p' "$work/mock.out" 2>/dev/null || true)
        [ -n "$endpoint" ] && break
        kill -0 "$mock_pid" 2>/dev/null || fail "cwlogs-mock exited at start"
        sleep 0.1
    done
    [ -n "$endpoint" ] || fail "no endpoint printed"
    for _ in $(seq 1 50); do
        if python3 - "$endpoint" <<'PY' 2>/dev/null; then
import json, sys, urllib.request
with urllib.request.urlopen(sys.argv[1] + "/_mock/health", timeout=2) as r:
    assert json.load(r) == {"status": "ok"}
PY
            return 0
        fi
        sleep 0.1
    done
    fail "/_mock/health never answered ok"
}
