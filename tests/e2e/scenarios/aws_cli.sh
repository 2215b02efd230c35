#!/usr/bin/env bash
# End-to-end: the AWS CLI drives a real cwlogs-mock (strict token mode) through create, put (first
# without a token, then with the returned one), describe, get, filter, delete and the error cases.
# Usage: aws_cli.sh BIN_DIR   (BIN_DIR holds cwlogs-mock; the AWS CLI must be on PATH)
set -euo pipefail

bin_dir=${1:?usage: aws_cli.sh BIN_DIR}
scenario=aws_cli
# shellcheck source=../lib.sh
source "$(dirname "$0")/../lib.sh"

# Dummy credentials and a region from the environment only: never the caller's AWS config.
export AWS_ACCESS_KEY_ID=AKIDE2ETEST AWS_SECRET_ACCESS_KEY=e2e-secret AWS_DEFAULT_REGION=eu-west-1
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_PAGER=""
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL AWS_ENDPOINT_URL_CLOUDWATCH_LOGS || true

# Port 0: the mock picks a free loopback port and prints its endpoint on the first stdout line.
start_mock --token-mode strict --log-format json

echo "aws_cli: cwlogs-mock at $endpoint"

logs() {
    aws logs --endpoint-url "$endpoint" --output json "$@"
}

# check JSON PYTHON_EXPR: evaluates the expression with `d` bound to the JSON on stdin.
check() {
    python3 -c '
import json, sys
d = json.load(sys.stdin)
ok = eval(sys.argv[1])
if not ok:
    sys.exit("check failed: " + sys.argv[1] + "\n" + json.dumps(d, indent=1)[:2000])
' "$1"
}

# expect_error ERROR_NAME CLI_ARGS...: the command must fail and stderr must name the error.
expect_error() {
    local name=$1
    shift
    if logs "$@" >"$work/out" 2>"$work/err"; then
        fail "expected $name from: aws logs $*"
    fi
    grep -q "$name" "$work/err" || fail "stderr does not name $name: $(cat "$work/err")"
}

now=$(python3 -c 'import time; print(int(time.time() * 1000))')
group=/e2e/app
stream=web-1

# Create.
logs create-log-group --log-group-name "$group"
logs create-log-stream --log-group-name "$group" --log-stream-name "$stream"
logs create-log-stream --log-group-name "$group" --log-stream-name other

# Put: first without a token, then with the one returned.
logs put-log-events --log-group-name "$group" --log-stream-name "$stream" \
    --log-events "[{\"timestamp\":$now,\"message\":\"hello ERROR one\"},{\"timestamp\":$((now + 1)),\"message\":\"{\\\"level\\\":\\\"error\\\",\\\"n\\\":1}\"}]" \
    >"$work/put1"
token1=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["nextSequenceToken"])' "$work/put1")
check '"rejectedLogEventsInfo" not in d and len(d["nextSequenceToken"]) == 56 and d["nextSequenceToken"].isdigit()' <"$work/put1"

logs put-log-events --log-group-name "$group" --log-stream-name "$stream" --sequence-token "$token1" \
    --log-events "[{\"timestamp\":$((now + 2)),\"message\":\"second WARN two\"},{\"timestamp\":$((now + 3)),\"message\":\"third INFO\"}]" \
    >"$work/put2"
token2=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["nextSequenceToken"])' "$work/put2")
[ "$token2" \> "$token1" ] || fail "tokens must grow: $token1 then $token2"

# Describe.
logs describe-log-groups --log-group-name-prefix /e2e | check \
    'len(d["logGroups"]) == 1 and d["logGroups"][0]["logGroupName"] == "/e2e/app" and d["logGroups"][0]["arn"].endswith(":log-group:/e2e/app:*")'
logs describe-log-streams --log-group-name "$group" | check \
    '[s["logStreamName"] for s in d["logStreams"]] == ["other", "web-1"] and d["logStreams"][1]["uploadSequenceToken"] == "'"$token2"'" and d["logStreams"][1]["storedBytes"] == 0 and "uploadSequenceToken" not in d["logStreams"][0]'
logs describe-log-streams --log-group-name "$group" --order-by LastEventTime --descending | check \
    'd["logStreams"][0]["logStreamName"] == "web-1" and d["logStreams"][0]["lastEventTimestamp"] == '"$((now + 3))"

# Get: from the head, then the forward token is echoed at the end of the stream.
logs get-log-events --log-group-name "$group" --log-stream-name "$stream" --start-from-head >"$work/get"
check '[e["message"] for e in d["events"]][0] == "hello ERROR one" and len(d["events"]) == 4 and d["nextForwardToken"].startswith("f/") and d["nextBackwardToken"].startswith("b/")' <"$work/get"
forward=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["nextForwardToken"])' "$work/get")
logs get-log-events --log-group-name "$group" --log-stream-name "$stream" --next-token "$forward" | check \
    'd["events"] == [] and d["nextForwardToken"] == "'"$forward"'"'
logs get-log-events --log-group-name "$group" --log-stream-name "$stream" --start-time $((now + 1)) --end-time $((now + 3)) --start-from-head | check \
    '[e["timestamp"] for e in d["events"]] == ['"$((now + 1)), $((now + 2))"']'

# Filter: terms, alternatives, exclusions, JSON selector.
logs filter-log-events --log-group-name "$group" --filter-pattern "?ERROR ?WARN" | check \
    '[e["message"] for e in d["events"]] == ["hello ERROR one", "second WARN two"] and all(len(e["eventId"]) == 56 and e["logStreamName"] == "web-1" for e in d["events"])'
logs filter-log-events --log-group-name "$group" --filter-pattern '{ $.level = "error" }' | check \
    'len(d["events"]) == 1 and d["events"][0]["timestamp"] == '"$((now + 1))"
logs filter-log-events --log-group-name "$group" --log-stream-names other | check 'd["events"] == []'

# Error cases: the CLI exits non-zero and names the error.
expect_error ResourceAlreadyExistsException create-log-group --log-group-name "$group"
expect_error ResourceNotFoundException create-log-stream --log-group-name /e2e/missing --log-stream-name s
expect_error InvalidSequenceTokenException put-log-events --log-group-name "$group" --log-stream-name "$stream" \
    --log-events "[{\"timestamp\":$now,\"message\":\"no token\"}]"
grep -q "$token2" "$work/err" || fail "InvalidSequenceTokenException does not carry the expected token"
expect_error DataAlreadyAcceptedException put-log-events --log-group-name "$group" --log-stream-name "$stream" --sequence-token "$token1" \
    --log-events "[{\"timestamp\":$((now + 2)),\"message\":\"second WARN two\"},{\"timestamp\":$((now + 3)),\"message\":\"third INFO\"}]"
expect_error InvalidParameterException put-log-events --log-group-name "$group" --log-stream-name other \
    --log-events "[{\"timestamp\":$now,\"message\":\"b\"},{\"timestamp\":$((now - 1)),\"message\":\"a\"}]"
grep -q "chronological order" "$work/err" || fail "out-of-order message: $(cat "$work/err")"
expect_error InvalidParameterException describe-log-streams --log-group-name "$group" --order-by LastEventTime --log-stream-name-prefix w
expect_error InvalidParameterException put-retention-policy --log-group-name "$group" --retention-in-days 2
expect_error ResourceNotFoundException get-log-events --log-group-name "$group" --log-stream-name missing

# Retention and tags.
logs put-retention-policy --log-group-name "$group" --retention-in-days 7
logs describe-log-groups --log-group-name-prefix /e2e | check 'd["logGroups"][0]["retentionInDays"] == 7'
logs tag-resource --resource-arn "arn:aws:logs:eu-west-1:123456789012:log-group:$group" --tags team=core
logs list-tags-for-resource --resource-arn "arn:aws:logs:eu-west-1:123456789012:log-group:$group" | check 'd["tags"] == {"team": "core"}'

# Delete.
logs delete-log-stream --log-group-name "$group" --log-stream-name "$stream"
expect_error ResourceNotFoundException delete-log-stream --log-group-name "$group" --log-stream-name "$stream"
logs delete-log-group --log-group-name "$group"
logs describe-log-groups | check 'd["logGroups"] == []'

# The mock stops cleanly on SIGTERM.
kill -TERM "$mock_pid"
for _ in $(seq 1 50); do
    kill -0 "$mock_pid" 2>/dev/null || break
    sleep 0.1
done
if kill -0 "$mock_pid" 2>/dev/null; then
    fail "cwlogs-mock did not stop on SIGTERM"
fi
wait "$mock_pid" || fail "cwlogs-mock exited non-zero on SIGTERM"
mock_pid=""
echo "aws_cli: ok"
