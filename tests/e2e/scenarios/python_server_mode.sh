#!/usr/bin/env bash
# End-to-end: a pytest file written like moto's server-mode tests (TEST_SERVER_MODE=true,
# TEST_SERVER_MODE_ENDPOINT, POST /moto-api/reset before each test, GET /_localstack/health for
# readiness) runs unchanged against cwlogs-mock started with no flags, through boto3 with retries
# off, so the mock's defaults must neither throttle nor fault.
# Usage: python_server_mode.sh BIN_DIR   (BIN_DIR holds cwlogs-mock; python3 with boto3 and pytest
# must be on PATH, as `just venv` provides)
set -euo pipefail

bin_dir=${1:?usage: python_server_mode.sh BIN_DIR}
here=$(cd "$(dirname "$0")/.." && pwd)
scenario=python_server_mode
# shellcheck source=../lib.sh
source "$(dirname "$0")/../lib.sh"

python3 -c 'import boto3, pytest' 2>/dev/null || fail "python3 on PATH lacks boto3 or pytest (run 'just venv')"
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL AWS_ENDPOINT_URL_CLOUDWATCH_LOGS || true
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null

# No flags but a free port: the defaults are what is tested.
start_mock

TEST_SERVER_MODE=true TEST_SERVER_MODE_ENDPOINT="$endpoint" \
    python3 -m pytest -q -p no:cacheprovider "$here/python/test_moto_server_mode.py" \
    || fail "the moto-style server-mode tests failed"
echo "python_server_mode: ok"
