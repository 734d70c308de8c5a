"""``bentoml serve`` as a child process for the end-to-end tests, handed over once ready, and
JSON calls to it.

Every served test starts the real server the same way: the ``bentoml`` next to this Python,
127.0.0.1 on a free port, its output in a log file, ready when ``/readyz`` answers 200, and
stopped whatever the test did.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from email.message import Message
from pathlib import Path

from tests.conftest import free_port


@contextmanager
def bentoml_serve(
    target: str,
    env: Mapping[str, str],
    log: Path,
    cwd: Path,
    working_dir: Path | None = None,
    unset: Sequence[str] = (),
    ready_within: float = 120.0,
) -> Iterator[str]:
    """Serve ``target`` (``module:Service``) with ``env`` over this process's environment less
    ``unset``; yields its base URL once ``/readyz`` answers 200 (else fails with the log's end)."""
    port = free_port()
    environment = {**os.environ, "BENTOML_DO_NOT_TRACK": "true", "OMP_NUM_THREADS": "1", **env}
    for name in unset:
        environment.pop(name, None)
    bentoml = str(Path(sys.executable).parent / "bentoml")
    command = [bentoml, "serve", target, "--host", "127.0.0.1", "--port", str(port)]
    if working_dir is not None:
        command += ["--working-dir", str(working_dir)]
    base = f"http://127.0.0.1:{port}"
    with open(log, "wb") as sink:
        process = subprocess.Popen(
            command, env=environment, cwd=cwd, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + ready_within
        while True:
            try:
                with urllib.request.urlopen(f"{base}/readyz", timeout=2) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("bentoml serve did not get ready:\n" + log.read_text()[-3000:])
            time.sleep(0.5)
        yield base
    finally:
        stop(process)


def stop(process: subprocess.Popen, timeout: float = 60.0) -> None:
    """Terminate a child started in a session of its own (``start_new_session``), with its workers (which outlive the
    server when only it is stopped); kill them if it has not ended within ``timeout`` seconds."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=timeout)
    except ProcessLookupError:
        pass


def call_json(base: str, method: str, path: str, body: dict | None, key: str) -> tuple[int, dict, Message]:
    """One request with the bearer ``key`` on a new connection: the status, the JSON answer
    (``{"text": ...}`` for a page) and the headers."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("Authorization", f"Bearer {key}")
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read()
            if response.headers.get_content_type() != "application/json":
                return response.status, {"text": text.decode()}, response.headers
            return response.status, json.loads(text), response.headers
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}"), exc.headers
