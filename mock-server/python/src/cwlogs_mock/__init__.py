"""Start cwlogs-mock, a CloudWatch Logs server on the real wire protocol, from Python.

The wheel installs the ``cwlogs-mock`` binary next to the interpreter; :class:`Server` runs it on a
free loopback port and talks to its admin API. The pytest plugin (``cwlogs_mock.pytest_plugin``)
builds its fixtures on it.
"""

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import threading
import urllib.error
import urllib.parse
import urllib.request

__all__ = ["Server", "ServerError", "binary_path"]

_PREFIX = "cwlogs-mock listening on "


class ServerError(RuntimeError):
    """The server could not start, or an admin call was refused (the message says why)."""


def binary_path():
    """The ``cwlogs-mock`` executable: the one this package installed, else the first on PATH."""
    name = "cwlogs-mock.exe" if os.name == "nt" else "cwlogs-mock"
    candidates = [os.path.join(sysconfig.get_path("scripts"), name)]
    # A user install (pip install --user) puts scripts elsewhere.
    user_scripts = sysconfig.get_path("scripts", f"{os.name}_user")
    if user_scripts:
        candidates.append(os.path.join(user_scripts, name))
    for candidate in candidates:
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which(name)
    if found:
        return found
    raise ServerError(
        f"no {name} executable next to {sys.executable} or on PATH; install the cwlogs-mock wheel"
    )


class Server:
    """One running cwlogs-mock on 127.0.0.1 and a free port.

    ``args`` are extra command-line flags (``["--token-mode", "strict"]``). The server starts in the
    constructor and stops on :meth:`stop` or at the end of a ``with`` block.
    """

    def __init__(self, args=(), binary=None, start_timeout=30.0):
        command = [binary or binary_path(), "--port", "0", "--bind", "127.0.0.1", *args]
        self._process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._stderr = []
        # Drain stderr in the background so that a chatty server never blocks on a full pipe.
        self._stderr_thread = threading.Thread(target=self._drain_stderr, daemon=True)
        self._stderr_thread.start()
        first = self._first_line(start_timeout)
        if not first.startswith(_PREFIX):
            self.stop()
            # The process has exited: let the reader take the rest of what it said (bounded).
            self._stderr_thread.join(5)
            raise ServerError(f"cwlogs-mock did not start: {first.strip() or self.stderr()}")
        #: The endpoint, ``http://127.0.0.1:PORT``.
        self.url = first[len(_PREFIX):].split(" ", 1)[0].strip()
        threading.Thread(target=self._drain_stdout, daemon=True).start()

    def _first_line(self, timeout):
        result = []
        reader = threading.Thread(target=lambda: result.append(self._process.stdout.readline()))
        reader.daemon = True
        reader.start()
        reader.join(timeout)
        if not result:
            self.stop()
            raise ServerError(f"cwlogs-mock printed no endpoint within {timeout} s")
        return result[0]

    def _drain_stdout(self):
        for _ in self._process.stdout:
            pass

    def _drain_stderr(self):
        for line in self._process.stderr:
            self._stderr.append(line)
            del self._stderr[:-200]

    def stderr(self):
        """The last lines the server logged (at most 200)."""
        return "".join(self._stderr)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def __repr__(self):
        return f"Server(url={getattr(self, 'url', None)!r})"

    def stop(self, timeout=10.0):
        """Stops the server (SIGTERM, then SIGKILL after ``timeout``); idempotent."""
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()

    # ---- SDK clients ----

    def client(self, service="logs", region_name="us-east-1", **kwargs):
        """A boto3 client for this server: a region, dummy credentials, and the SDK's retries off
        (so a test sees every error the mock sends) unless ``config=`` says otherwise."""
        try:
            import boto3
            from botocore.config import Config
        except ImportError as e:  # pragma: no cover - depends on the environment
            raise ServerError("Server.client() needs boto3: pip install boto3") from e
        kwargs.setdefault("config", Config(retries={"total_max_attempts": 1, "mode": "standard"}))
        kwargs.setdefault("aws_access_key_id", "testing")
        kwargs.setdefault("aws_secret_access_key", "testing")
        return boto3.client(service, region_name=region_name, endpoint_url=self.url, **kwargs)

    # ---- The admin API ----

    def _admin(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return json.loads(answer.read() or b"null")
        except urllib.error.HTTPError as e:
            detail = e.read().decode(errors="replace")
            raise ServerError(f"{method} {path}: HTTP {e.code}: {detail}") from None

    def reset(self):
        """Empties the store, the counters and the fault plan; stops background writers."""
        self._admin("POST", "/_mock/reset")

    def events(self, group, stream):
        """Every event stored in a stream, in order: dicts with timestamp, message, ingestionTime.
        Unpaginated, unthrottled, not hidden by a visibility delay."""
        query = urllib.parse.urlencode({"logGroupName": group, "logStreamName": stream})
        return self._admin("GET", f"/_mock/events?{query}")["events"]

    def messages(self, group, stream):
        """The messages of a stream, in order."""
        return [e["message"] for e in self.events(group, stream)]

    def set_faults(self, plan):
        """Replaces the fault plan (a dict: ``{"seed": 1, "rules": [...]}``, see the mock's
        README); returns the plan in force."""
        return self._admin("PUT", "/_mock/faults", plan)

    def clear_faults(self):
        """Removes every fault rule."""
        return self._admin("DELETE", "/_mock/faults")

    def stats(self):
        """Counters per operation and per stream (``GET /_mock/stats``)."""
        return self._admin("GET", "/_mock/stats")
