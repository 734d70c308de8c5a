"""Throughput of ``bentoml serve`` with 1 and with 2 worker processes on the committed example
order, and print the figures.

    .venv/bin/python benchmarks/bench_serving_workers.py --config production.yaml --key KEY
    .venv/bin/python benchmarks/bench_serving_workers.py --config production.yaml --key KEY \\
        --workers 1 2 --clients 8 --seconds 30

``--config`` is a settings file of a trained world with a ``backorder_risk`` champion whose SKUs
include those of ``examples/score_request.json`` (production profile: Redis online store and live
state, a PostgreSQL registry, artifacts where its settings say); ``--key`` is an API key with the
``oms`` role in it. For each worker count the real service starts (``service_workers`` set by
``BACKORDER_SERVICE_WORKERS``), is warmed up, then ``--clients`` threads post the example order
back to back for ``--seconds`` seconds, a new connection per request so every worker gets work.
Printed per worker count: requests/s, p50 and p99 latency of the answered requests, and errors
(any status but 200, or no answer within 30 s).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from settings import load_settings

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "score_request.json"
REPO = EXAMPLE.parents[1]


@dataclass
class Tally:
    """Latencies of answered requests and the count of errors, from every client thread."""

    seconds: list[float] = field(default_factory=list)
    errors: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def _post(url: str, body: bytes, key: str) -> int:
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            answer.read()
            return answer.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0


def _client(url: str, body: bytes, key: str, until: float, tally: Tally) -> None:
    while time.perf_counter() < until:
        start = time.perf_counter()
        status = _post(url, body, key)
        took = time.perf_counter() - start
        with tally.lock:
            if status == 200:
                tally.seconds.append(took)
            else:
                tally.errors += 1


def _start(workers: int, port: int, config: Path, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "BACKORDER_CONFIG": str(config),
        "BENTOML_HOME": str(load_settings(config).bentoml_home),
        "BACKORDER_SERVICE_WORKERS": str(workers),
        "BENTOML_DO_NOT_TRACK": "true",
        "DO_NOT_TRACK": "true",
        "MLFLOW_DISABLE_TELEMETRY": "true",
    }
    bentoml = Path(sys.executable).parent / "bentoml"
    with open(log, "wb") as sink:
        process = subprocess.Popen(
            [str(bentoml), "serve", "serving.service:RiskService", "--host", "127.0.0.1", "--port", str(port)],
            env=env, cwd=REPO, stdout=sink, stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"bentoml serve exited ({process.returncode}); see {log}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as answer:
                if answer.status == 200:
                    return process
        except OSError:
            time.sleep(0.5)
    process.terminate()
    raise SystemExit(f"bentoml serve not ready within 300 s; see {log}")


def measure(workers: int, args: argparse.Namespace, log: Path) -> Tally:
    """The example order posted by ``args.clients`` threads for ``args.seconds`` on ``workers`` workers."""
    process = _start(workers, args.port, args.config, log)
    url, body = f"http://127.0.0.1:{args.port}/v1/score", EXAMPLE.read_bytes()
    try:
        for _ in range(10 * workers):
            if _post(url, body, args.key) != 200:
                raise SystemExit(f"the example order is not answered 200 on {workers} worker(s); see {log}")
        tally = Tally()
        until = time.perf_counter() + args.seconds
        threads = [
            threading.Thread(target=_client, args=(url, body, args.key, until, tally)) for _ in range(args.clients)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return tally
    finally:
        process.terminate()
        process.wait(60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, required=True, help="settings file of a trained world")
    parser.add_argument("--key", required=True, help="API key with the oms role")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--port", type=int, default=3019)
    args = parser.parse_args()
    args.config = args.config.resolve()
    logs = load_settings(args.config).data_dir
    for workers in args.workers:
        tally = measure(workers, args, logs / f"serve-{workers}-workers.log")
        ms = np.array(tally.seconds) * 1000
        answered = len(ms)
        print(
            f"{workers} worker(s), {args.clients} clients, {args.seconds:.0f} s: "
            f"{answered / args.seconds:.1f} req/s  p50 {np.percentile(ms, 50):.1f} ms  "
            f"p99 {np.percentile(ms, 99):.1f} ms  errors {tally.errors} (of {answered + tally.errors})",
            flush=True,
        )


if __name__ == "__main__":
    main()
