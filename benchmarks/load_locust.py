"""Load benchmark with Locust, headless, against ``bentoml serve`` on a demo or a generated world.

    BACKORDER_DATA_DIR=data .venv/bin/python benchmarks/load_locust.py                  # 8 and 32 clients, 60 s
    .venv/bin/python benchmarks/load_locust.py --generated --duration 10 --clients 8    # a short run, no demo

Serves a trained demo world (``make demo``; settings.data_dir, e.g. ``BACKORDER_DATA_DIR``), or
with ``--generated`` the generated world of ``benchmarks/load_world.py`` (a 100-tree LightGBM
model, the demo's SKU and location ids; its prediction log in a temporary folder). For each
number of clients, two runs of ``--duration`` seconds each: the clients post the committed example
order (``examples/score_request.json``, 10 lines) to ``POST /v1/score`` without pausing, first
alone, then while one more client posts a large batch (``--batch-orders`` x ``--batch-lines``
lines) to ``POST /v1/score/batch`` back to back. Prints, for the single order: requests per second,
p50 and p99 latency and errors; for the batch: how many were answered and their p50. The users are
``benchmarks/locustfile.py``; Locust runs on the same machine as the service.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

from bench_serving import _serve, serving_env

from settings import load_settings

HERE = Path(__file__).resolve().parent
WARM_UP_REQUESTS = 20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=60, help="seconds per run (default 60)")
    parser.add_argument("--clients", type=int, nargs="+", default=[8, 32], help="order clients per run (default 8 32)")
    parser.add_argument("--batch-orders", type=int, default=100)
    parser.add_argument("--batch-lines", type=int, default=200)
    parser.add_argument("--port", type=int, default=3017)
    parser.add_argument("--generated", action="store_true", help="serve benchmarks/load_world.py, not the demo world")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        run(args, Path(folder))


def run(args: argparse.Namespace, folder: Path) -> None:
    settings = load_settings(data_dir=folder / "data") if args.generated else load_settings()
    bin_dir = Path(sys.executable).parent
    env = serving_env(settings, LOAD_BATCH_ORDERS=str(args.batch_orders), LOAD_BATCH_LINES=str(args.batch_lines))
    target = ["serving.service:RiskService"]
    if args.generated:
        env["BACKORDER_DATA_DIR"] = str(settings.data_dir)
        target = ["load_world:RiskService", "--working-dir", str(HERE)]
    base = f"http://127.0.0.1:{args.port}"
    server = _serve([str(bin_dir / "bentoml"), "serve", *target, "--host", "127.0.0.1", "--port", str(args.port)],
                    f"{base}/readyz", env)
    try:
        warm_up(base)
        print(f"{args.duration} s per run; single order = examples/score_request.json (10 lines); "
              f"batch = {args.batch_orders} orders x {args.batch_lines} lines")
        print(f"{'clients':>7}  {'beside':<6}  {'req/s':>6}  {'p50 ms':>6}  {'p99 ms':>6}  {'errors':>6}  batch")
        for with_batch in (False, True):
            for clients in args.clients:
                prefix = folder / f"run-{clients}-{int(with_batch)}"
                run_locust(base, clients, with_batch, args.duration, prefix, env)
                print(row(clients, with_batch, prefix), flush=True)
    finally:
        server.terminate()
        server.wait(timeout=60)


def warm_up(base: str) -> None:
    """A few sequential orders, so the first measured requests do not pay for first-call costs."""
    body = (HERE.parent / "examples" / "score_request.json").read_bytes()
    for _ in range(WARM_UP_REQUESTS):
        request = urllib.request.Request(f"{base}/v1/score", data=body, method="POST")
        request.add_header("Authorization", "Bearer " + os.environ.get("LOAD_API_KEY", "dev-key"))
        request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=30) as answer:
            answer.read()


def run_locust(base: str, clients: int, with_batch: bool, seconds: int, prefix: Path, env: dict[str, str]) -> None:
    users = clients + int(with_batch)
    command = [
        str(Path(sys.executable).parent / "locust"), "-f", str(HERE / "locustfile.py"), "--headless",
        "--users", str(users), "--spawn-rate", str(users), "--run-time", f"{seconds}s", "--host", base,
        "--csv", str(prefix), "--only-summary", "--loglevel", "WARNING", "OrderUser",
        *(["BatchUser"] if with_batch else []),
    ]
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if not (prefix.parent / f"{prefix.name}_stats.csv").exists():
        raise SystemExit(f"locust failed ({done.returncode}):\n{done.stderr[-3000:]}")


def row(clients: int, with_batch: bool, prefix: Path) -> str:
    with open(prefix.parent / f"{prefix.name}_stats.csv") as f:
        stats = {r["Name"]: r for r in csv.DictReader(f)}
    single = stats["single order"]
    batch = stats.get("batch")
    batch_text = "-"
    if with_batch:  # a batch is listed once answered (or failed); one still running is not
        batch_text = "none answered within the run" if batch is None else (
            f"{batch['Request Count']} answered, {batch['Failure Count']} errors, p50 {batch['50%']} ms"
        )
    return (f"{clients:>7}  {'batch' if with_batch else 'alone':<6}  {float(single['Requests/s']):>6.1f}  "
            f"{single['50%']:>6}  {single['99%']:>6}  {single['Failure Count']:>6}  {batch_text}")


if __name__ == "__main__":
    main()
