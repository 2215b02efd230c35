#!/usr/bin/env bash
# End-to-end: cwlogs-ship pipes 50,000 lines into a cwlogs-mock (strict token mode) whose
# PutLogEvents calls suffer lost responses, resets before commit, 503s and throttles. The JSON
# report must account for every line, the AWS CLI must read every line back exactly once and in
# order, and a run that cannot deliver must exit non-zero.
# Usage: cwlogs_ship.sh BIN_DIR   (BIN_DIR holds cwlogs-mock and cwlogs-ship; the AWS CLI on PATH)
set -euo pipefail

bin_dir=${1:?usage: cwlogs_ship.sh BIN_DIR}
lines=50000
group=e2e-ship
stream=piped
scenario=cwlogs_ship
# shellcheck source=../lib.sh
source "$(dirname "$0")/../lib.sh"

# Dummy credentials and a region from the environment only: never the caller's AWS config.
export AWS_ACCESS_KEY_ID=AKIDE2ESHIP AWS_SECRET_ACCESS_KEY=e2e-secret AWS_DEFAULT_REGION=eu-west-1
export AWS_REGION=eu-west-1
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_PAGER=""
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL AWS_ENDPOINT_URL_CLOUDWATCH_LOGS || true

# Faults on PutLogEvents only (the read-back must not be disturbed): each kind once at a fixed call,
# then each at random (seeded, so a failure replays).
cat >"$work/mock.json" <<'JSON'
{
  "faults": {
    "seed": 2026,
    "rules": [
      {"name": "lost-2nd",     "operation": "PutLogEvents", "nth": 2, "fault": {"kind": "lost_response"}},
      {"name": "reset-3rd",    "operation": "PutLogEvents", "nth": 3, "fault": {"kind": "reset_before_commit"}},
      {"name": "503-4th",      "operation": "PutLogEvents", "nth": 4, "fault": {"kind": "service_unavailable"}},
      {"name": "throttle-5th", "operation": "PutLogEvents", "nth": 5, "fault": {"kind": "throttle"}},
      {"name": "lost",     "operation": "PutLogEvents", "probability": 0.04, "fault": {"kind": "lost_response"}},
      {"name": "reset",    "operation": "PutLogEvents", "probability": 0.04, "fault": {"kind": "reset_before_commit"}},
      {"name": "503",      "operation": "PutLogEvents", "probability": 0.04, "fault": {"kind": "service_unavailable"}},
      {"name": "throttle", "operation": "PutLogEvents", "probability": 0.04, "fault": {"kind": "throttle"}}
    ]
  }
}
JSON

# Port 0: the mock picks a free loopback port and prints its endpoint on the first stdout line.
start_mock --token-mode strict --throttle off --config "$work/mock.json" --log-format json

echo "cwlogs_ship: cwlogs-mock at $endpoint"

# 1. Ship 50,000 lines (Sequential mode: exactly once on the strict mock, faults or not).
python3 -c "
import sys
out = sys.stdout
for i in range($lines):
    out.write('e2e line %06d\n' % i)
" | "$bin_dir/cwlogs-ship" --log-group "$group" --log-stream "$stream" \
        --endpoint-url "$endpoint" --region eu-west-1 --create --token-mode sequential --max-batch-events 1000 \
        --timestamp now --report json --flush-timeout 120 --request-timeout 5 \
        >"$work/report.json" 2>"$work/ship.err" \
    || fail "cwlogs-ship exited with $? (report: $(cat "$work/report.json"))"

python3 - "$work/report.json" "$lines" <<'PY' || fail "report check failed: $(cat "$work/report.json")"
import json, sys
text = open(sys.argv[1]).read().strip()
assert "\n" not in text, "the report must be one JSON object on one line"
r = json.loads(text)
n = int(sys.argv[2])
checks = {
    "lines_read": r["lines_read"] == n,
    "events_read": r["events_read"] == n,
    "delivered": r["delivered"] == n,
    "rejected": r["rejected"] == 0,
    "dropped": r["dropped"] == 0,
    "undelivered": r["undelivered"] == 0,
    "ok": r["ok"] is True,
    "fatal": r["fatal"] is None,
    "retries (faults were on)": r["retries"] >= 4,
    "requests": r["requests"] > r["retries"],
}
bad = [k for k, ok in checks.items() if not ok]
assert not bad, "unexpected report fields: %s" % bad
print("cwlogs_ship: report ok: delivered %d in %d requests, %d retries, %d possible duplicates"
      % (r["delivered"], r["requests"], r["retries"], r["possible_duplicates"]))
PY

# The faults really fired: every kind at least once.
python3 - "$endpoint" <<'PY' || fail "fault stats check failed"
import json, sys, urllib.request
with urllib.request.urlopen(sys.argv[1] + "/_mock/stats", timeout=5) as r:
    stats = json.load(r)
fired = stats.get("faultsFired", {})
for rule in ("lost-2nd", "reset-3rd", "503-4th", "throttle-5th"):
    assert fired.get(rule, 0) >= 1, "fault %s never fired: %s" % (rule, fired)
print("cwlogs_ship: faults fired: %s" % fired)
PY

# 2. Read back with the AWS CLI (it follows nextToken itself): every line once, in order.
aws logs filter-log-events --endpoint-url "$endpoint" --log-group-name "$group" \
    --log-stream-names "$stream" --output json >"$work/readback.json" \
    || fail "aws logs filter-log-events failed"
python3 - "$work/readback.json" "$lines" <<'PY' || fail "read-back mismatch"
import json, sys
events = json.load(open(sys.argv[1]))["events"]
n = int(sys.argv[2])
got = [e["message"] for e in events]
want = ["e2e line %06d" % i for i in range(n)]
if got != want:
    seen = {}
    for m in got:
        seen[m] = seen.get(m, 0) + 1
    missing = [m for m in want if m not in seen]
    twice = [m for m, c in seen.items() if c > 1]
    raise SystemExit("read %d events, want %d; missing %d (first %s), duplicated %d (first %s)"
                     % (len(got), n, len(missing), missing[:3], len(twice), twice[:3]))
print("cwlogs_ship: read back %d events exactly once, in order" % len(got))
PY

# 3. A run that cannot deliver exits non-zero and says why: no --create, and the group is missing.
set +e
printf 'lost line\n' | "$bin_dir/cwlogs-ship" --log-group e2e-missing --log-stream nowhere \
    --endpoint-url "$endpoint" --region eu-west-1 --report json --flush-timeout 30 \
    >"$work/missing.json" 2>>"$work/ship.err"
status=$?
set -e
[ "$status" -eq 1 ] || fail "undeliverable run exited $status, want 1: $(cat "$work/missing.json")"
python3 - "$work/missing.json" <<'PY' || fail "undeliverable report wrong: $(cat "$work/missing.json")"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["ok"] is False and r["delivered"] == 0, r
assert r["dropped"] + r["undelivered"] == 1, r
print("cwlogs_ship: undeliverable run reported: dropped %s" % r["dropped_by_reason"])
PY

echo "cwlogs_ship: ok"
