"""Real processes for the fault tests: a Redis server of the test's own (stopped and started
again at will) and ``bentoml serve`` of the production profile on it (``live_service``, 2 workers),
killed with SIGKILL and started again at will."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from serving_helpers import KEYS

from serving.key_hashing import hash_key
from tests.conftest import free_port

SERVING_TESTS = Path(__file__).resolve().parents[1] / "serving"


class RedisServer:
    """``redis-server`` on a free port, keeping its data in an append-only file in ``folder``, so a
    stop and start reloads it (as a production Redis configured for durability does)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = [
            "redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder),
            "--appendonly", "yes", "--save", "", "--logfile", str(self.folder / "redis.log"),
        ]
        self.process = subprocess.Popen(command)
        deadline = time.monotonic() + 20
        while subprocess.run(["redis-cli", "-p", str(self.port), "ping"], capture_output=True).stdout != b"PONG\n":
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("redis-server did not start:\n" + (self.folder / "redis.log").read_text()[-2000:])
            time.sleep(0.1)

    def stop(self) -> None:
        """A clean stop (SIGTERM: the append-only file is flushed, then the process ends)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


def production_env(data: Path, redis_url: str, redis_port: int) -> dict[str, str]:
    """The production profile on ``data``, with the online store and the live state in that Redis."""
    env = {
        **os.environ,
        "BACKORDER_PROFILE": "production",
        "BACKORDER_ALLOW_DEV_KEY": "false",
        "BACKORDER_API_KEYS": json.dumps({key: {"hash": hash_key(key), "roles": roles} for key, roles in KEYS.items()}),
        "BACKORDER_DATA_DIR": str(data),
        "BACKORDER_ONLINE_STORE": "redis",
        "BACKORDER_REDIS_CONNECTION_STRING": f"127.0.0.1:{redis_port}",
        "BACKORDER_LIVE__REDIS_URL": redis_url,
        "BACKORDER_LIVE__KEY_PREFIX": "faults",
        "BACKORDER_SERVICE_WORKERS": "2",
        # Clients that never pause get 503s in milliseconds while Redis is down: a limit they cannot
        # reach keeps the limiter (and its fallback to per-worker counting) in the path, not in the way.
        "BACKORDER_RATE_LIMIT__PER_SECOND": "100000",
        "BACKORDER_RATE_LIMIT__BURST": "100000",
        "BENTOML_HOME": str(data / "bentoml"),
        "BENTOML_DO_NOT_TRACK": "true",
        "OMP_NUM_THREADS": "1",
    }
    env.pop("BACKORDER_CONFIG", None)
    return env


class Served:
    """``bentoml serve live_service:RiskService`` in a process group of its own."""

    def __init__(self, data: Path, env: dict[str, str]) -> None:
        self.data, self.env = data, env
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        command = [
            str(Path(sys.executable).parent / "bentoml"), "serve", "live_service:RiskService",
            "--host", "127.0.0.1", "--port", str(self.port), "--working-dir", str(SERVING_TESTS),
        ]
        with open(self.data / "serve.log", "ab") as log:
            self.process = subprocess.Popen(
                command, env=self.env, cwd=self.data, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + 120
        while self.get("/readyz")[0] != 200:
            if self.process.poll() is not None or time.monotonic() > deadline:
                log = (self.data / "serve.log").read_text()[-3000:]
                raise AssertionError("bentoml serve did not get ready:\n" + log)
            time.sleep(0.5)

    def kill(self) -> None:
        """SIGKILL to the server and its workers at once (a power cut of the service, not of the machine).
        The workers are killed by process id too: they may run in process groups of their own, and
        one left running would go on retrying its stores for the rest of the test session."""
        import psutil

        if self.process is not None and self.process.poll() is None:
            workers = psutil.Process(self.process.pid).children(recursive=True)
            os.killpg(self.process.pid, signal.SIGKILL)
            for worker in workers:
                try:
                    worker.kill()
                except psutil.NoSuchProcess:
                    pass
            self.process.wait(timeout=30)
            psutil.wait_procs(workers, timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    def call(self, method: str, path: str, body: dict | None = None, key: str = "oms-key") -> Answer:
        """One request on a new connection (either worker may answer); None for no answer at all."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Authorization", f"Bearer {key}")
        request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return Answer(response.status, response.headers, response.read())
        except urllib.error.HTTPError as exc:
            return Answer(exc.code, exc.headers, exc.read())
        except (urllib.error.URLError, http.client.HTTPException, ConnectionError, TimeoutError, OSError):
            return Answer(None, {}, b"")  # HTTPException: an answer cut off mid-body (the server killed) is none

    def get(self, path: str) -> tuple[int | None, bytes]:
        answer = self.call("GET", path)
        return answer.status, answer.raw


class Answer:
    """An HTTP answer (``status`` None: the connection failed or was cut before an answer)."""

    def __init__(self, status: int | None, headers, raw: bytes) -> None:
        self.status, self.raw = status, raw
        self.content_type = headers.get("Content-Type", "")
        self.worker = headers.get("X-Worker-Pid")  # live_service's header: the answering worker

    def json(self) -> dict:
        return json.loads(self.raw)

    def documented(self) -> bool:
        """A JSON ``{error, detail}`` body (the service's documented error shape)."""
        if not self.content_type.startswith("application/json"):
            return False
        body = self.json()
        return isinstance(body, dict) and set(body) >= {"error", "detail"}
