"""pytest fixtures that run cwlogs-mock: ``cwlogs_mock`` (per test) and ``cwlogs_mock_session``.

Registered through the ``pytest11`` entry point, so installing the wheel is enough. Extra flags for
every server they start come from the ``cwlogs_mock_args`` ini option.
"""

import shlex

import pytest

from . import Server


def pytest_addoption(parser):
    parser.addini(
        "cwlogs_mock_args",
        "extra cwlogs-mock flags for the cwlogs_mock fixtures (e.g. --token-mode strict)",
        default="",
    )


def _args(config):
    return shlex.split(config.getini("cwlogs_mock_args"))


@pytest.fixture(scope="session")
def cwlogs_mock_session(pytestconfig):
    """One cwlogs-mock for the whole session; call ``.reset()`` for a clean store."""
    with Server(args=_args(pytestconfig)) as server:
        yield server


@pytest.fixture
def cwlogs_mock(pytestconfig):
    """A fresh cwlogs-mock for one test (it starts in milliseconds), stopped after it."""
    with Server(args=_args(pytestconfig)) as server:
        yield server
