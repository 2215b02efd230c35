"""The pytest plugin as a user meets it: fixtures from the installed wheel, boto3 against them."""

import time

import pytest


def now_ms():
    return int(time.time() * 1000)


def put(logs, group, stream, messages):
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    t = now_ms()
    logs.put_log_events(
        logGroupName=group,
        logStreamName=stream,
        logEvents=[{"timestamp": t + i, "message": m} for i, m in enumerate(messages)],
    )


def test_the_fixture_gives_a_url_and_a_ready_client(cwlogs_mock):
    assert cwlogs_mock.url.startswith("http://127.0.0.1:")
    logs = cwlogs_mock.client()
    put(logs, "app", "web-1", ["a", "b", "c"])
    got = logs.get_log_events(logGroupName="app", logStreamName="web-1", startFromHead=True)
    assert [e["message"] for e in got["events"]] == ["a", "b", "c"]
    assert cwlogs_mock.messages("app", "web-1") == ["a", "b", "c"]


def test_each_test_gets_a_fresh_server(cwlogs_mock):
    assert cwlogs_mock.client().describe_log_groups()["logGroups"] == []


def test_faults_reach_the_client_and_stats_count_them(cwlogs_mock):
    logs = cwlogs_mock.client()
    put(logs, "g", "s", ["before"])
    cwlogs_mock.set_faults(
        {"rules": [{"name": "boom", "operation": "PutLogEvents", "fault": {"kind": "throttle"}}]}
    )
    with pytest.raises(logs.exceptions.ThrottlingException):
        logs.put_log_events(
            logGroupName="g", logStreamName="s", logEvents=[{"timestamp": now_ms(), "message": "x"}]
        )
    cwlogs_mock.clear_faults()
    stats = cwlogs_mock.stats()
    assert stats["faultsFired"] == {"boom": 1}
    assert cwlogs_mock.messages("g", "s") == ["before"]


def test_the_session_server_is_shared_and_reset_on_request(cwlogs_mock_session):
    logs = cwlogs_mock_session.client()
    put(logs, "shared", "s", ["kept"])
    assert cwlogs_mock_session.messages("shared", "s") == ["kept"]
    cwlogs_mock_session.reset()
    assert logs.describe_log_groups()["logGroups"] == []


def test_admin_errors_say_what_is_wrong(cwlogs_mock):
    from cwlogs_mock import ServerError

    with pytest.raises(ServerError, match="404"):
        cwlogs_mock.events("no-such-group", "s")
    with pytest.raises(ServerError, match="400"):
        cwlogs_mock.set_faults({"rules": [{"fault": {"kind": "boom"}}]})


def test_a_server_outside_pytest_stops_with_its_block():
    from cwlogs_mock import Server

    with Server(args=["--token-mode", "strict"]) as server:
        logs = server.client()
        logs.create_log_group(logGroupName="g")
        url = server.url
    import urllib.request

    with pytest.raises(OSError):
        urllib.request.urlopen(url + "/_mock/health", timeout=2)
