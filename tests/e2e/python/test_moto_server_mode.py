"""A test file written the way moto's server-mode suites are, run against cwlogs-mock unchanged.

moto's own tests, with ``TEST_SERVER_MODE=true``, talk to a running server at
``TEST_SERVER_MODE_ENDPOINT`` and ``POST /moto-api/reset`` before every test; suites built on that
convention switch to cwlogs-mock by pointing the endpoint at it. Readiness is checked the way
LocalStack users do, with ``GET /_localstack/health``. Nothing here is specific to cwlogs-mock, and
the SDK's retries are off, so a throttle or a fault would fail a test instead of being hidden: the
mock's defaults are deterministic.
"""

import json
import os
import time
import urllib.request

import boto3
import pytest
from botocore.config import Config

SERVER_MODE = os.environ.get("TEST_SERVER_MODE", "false").lower() == "true"
ENDPOINT = os.environ.get("TEST_SERVER_MODE_ENDPOINT", "http://localhost:5000")

pytestmark = pytest.mark.skipif(not SERVER_MODE, reason="needs TEST_SERVER_MODE=true")


def http(method, path):
    request = urllib.request.Request(ENDPOINT + path, method=method, data=b"" if method == "POST" else None)
    with urllib.request.urlopen(request, timeout=10) as answer:
        return answer.status, json.loads(answer.read() or b"{}")


@pytest.fixture(autouse=True)
def reset_server():
    # What moto's test decorators do in server mode before each test.
    status, _ = http("POST", "/moto-api/reset")
    assert status == 200
    yield


@pytest.fixture
def logs():
    return boto3.client(
        "logs",
        region_name="us-east-1",
        endpoint_url=ENDPOINT,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}),
    )


def test_the_server_reports_logs_running():
    status, health = http("GET", "/_localstack/health")
    assert status == 200
    assert health["services"]["logs"] == "running"


def test_put_then_read_back(logs):
    logs.create_log_group(logGroupName="/app/web")
    logs.create_log_stream(logGroupName="/app/web", logStreamName="i-1")
    now = int(time.time() * 1000)
    logs.put_log_events(
        logGroupName="/app/web",
        logStreamName="i-1",
        logEvents=[{"timestamp": now + i, "message": f"line {i}"} for i in range(3)],
    )
    got = logs.get_log_events(logGroupName="/app/web", logStreamName="i-1", startFromHead=True)
    assert [e["message"] for e in got["events"]] == ["line 0", "line 1", "line 2"]


def test_state_was_reset_before_this_test(logs):
    # The previous test's group is gone: /moto-api/reset wiped it.
    assert logs.describe_log_groups()["logGroups"] == []


def test_paging_filter_log_events_faster_than_the_aws_quota(logs):
    # 100 events in pages of 17 is 6 FilterLogEvents calls back to back, past the 5 a second that
    # AWS's quota (and `--throttle aws`) allows; with retries off they pass only unthrottled.
    logs.create_log_group(logGroupName="g")
    logs.create_log_stream(logGroupName="g", logStreamName="s")
    now = int(time.time() * 1000)
    logs.put_log_events(
        logGroupName="g",
        logStreamName="s",
        logEvents=[{"timestamp": now + i, "message": f"event {i}"} for i in range(100)],
    )
    for _ in range(3):
        pages = logs.get_paginator("filter_log_events").paginate(
            logGroupName="g", PaginationConfig={"PageSize": 17}
        )
        messages = [e["message"] for page in pages for e in page["events"]]
        assert messages == [f"event {i}" for i in range(100)]


def test_a_missing_group_is_the_services_error(logs):
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.put_log_events(
            logGroupName="nope",
            logStreamName="s",
            logEvents=[{"timestamp": int(time.time() * 1000), "message": "x"}],
        )
