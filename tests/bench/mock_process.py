"""A cwlogs-mock child process for the bench scripts: start it on a free port, call its API, stop it.
Standard library only."""

import json
import subprocess
import sys
import urllib.error
import urllib.request


def start(binary, *args):
    """Starts `binary --port 0 ARGS`; returns the process and its endpoint once it listens."""
    p = subprocess.Popen([binary, "--port", "0", *args], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True)
    line = p.stdout.readline()
    if not line.startswith("cwlogs-mock listening on "):
        p.kill()
        sys.exit(f"{binary}: no endpoint line: {line!r}")
    return p, line.split()[3]


def call(url, op, body):
    """One CloudWatch Logs API call; a refused one ends the script with AWS's answer."""
    req = urllib.request.Request(url + "/", data=json.dumps(body).encode(), method="POST")
    req.add_header("X-Amz-Target", "Logs_20140328." + op)
    req.add_header("Content-Type", "application/x-amz-json-1.1")
    try:
        with urllib.request.urlopen(req, timeout=600) as r:
            return json.loads(r.read())
    except urllib.error.HTTPError as e:
        sys.exit(f"{op}: HTTP {e.code}: {e.read()[:300]!r}")


def stop(p):
    """SIGTERM, then wait (a state file is saved on the way out)."""
    p.terminate()
    p.wait(60)
