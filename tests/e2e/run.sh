#!/usr/bin/env bash
# Runs every end-to-end scenario in tests/e2e/scenarios/ against freshly started binaries.
# Usage: tests/e2e/run.sh BIN_DIR   (BIN_DIR holds cwlogs-mock and cwlogs-ship)
# Each scenario is a bash script that gets BIN_DIR as $1 and exits non-zero on failure.
set -uo pipefail

bin_dir=$(cd "${1:?usage: run.sh BIN_DIR}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
command -v aws >/dev/null || { echo "e2e: the AWS CLI is not on PATH (run 'just venv')"; exit 1; }

passed=0
failed=0
for scenario in "$here"/scenarios/*.sh; do
    [ -e "$scenario" ] || continue
    name=$(basename "$scenario" .sh)
    echo "=== e2e: $name"
    if timeout 600 bash "$scenario" "$bin_dir"; then
        echo "=== e2e: $name ok"
        passed=$((passed + 1))
    else
        echo "=== e2e: $name FAILED"
        failed=$((failed + 1))
    fi
done

echo "e2e: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
