"""Latency and throughput of the scoring service in-process, and print the figures.

    .venv/bin/python benchmarks/bench_serving.py                    # 1,000 SKUs x 3 DCs
    .venv/bin/python benchmarks/bench_serving.py --requests 500 --lines 20
    .venv/bin/python benchmarks/bench_serving.py --demo-world       # real HTTP on the demo world

``--demo-world`` needs a trained demo world (settings.data_dir, e.g. ``BACKORDER_DATA_DIR``) and
measures, with ``examples/score_request.json`` (10 lines): the raw in-process online-feature read
plus ``predict_proba``; ``bentoml serve`` over real HTTP (sequential p50/p99 and requests/s with 8
concurrent clients); and ``mlflow models serve -m models:/backorder_risk@champion`` with the same
10 lines' model inputs. Both servers run at once, and the raw in-process call and the two servers'
sequential requests take turns, so the three p50s come from the same minutes of a machine whose
speed drifts.

Builds the real service (``RiskService.to_asgi()``) on generated components: a LightGBM risk
model (100 trees) fitted on generated order lines, an in-memory feature reader, stock and open
POs. Each request goes through HTTP parsing, auth, features, the model, TreeSHAP reasons,
promise dates and actions, and a committed prediction-log transaction. Figures:
sequential p50/p99 latency of one order, and lines per second for batches of orders.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd

from features.order_line import request_features
from serving.registry import LoadedModel
from serving.runtime import RISK, Components, Runtime, build_runtime
from serving.scoring import FrameFeatureReader
from serving.supply import FrameSupply
from settings import Settings, load_settings

TODAY = pd.Timestamp("2026-03-02")
KEY = "bench-key"


def components(
    n_skus: int, seed: int, sku_format: str = "SKU{:05d}", locations: tuple[str, ...] = ("DC1", "DC2", "DC3")
) -> Components:
    """The generated world: ``n_skus`` SKUs (ids ``sku_format.format(i)``) at each of ``locations``."""
    rng = np.random.default_rng(seed)
    keys = pd.MultiIndex.from_product(
        [[sku_format.format(i) for i in range(n_skus)], list(locations)], names=["sku_id", "location_id"]
    ).to_frame(index=False)
    stock = keys.assign(on_hand=rng.integers(0, 80, len(keys)).astype(float), allocated=0.0)
    online = keys.assign(
        available=stock["on_hand"],
        demand_mean_28d=rng.gamma(2.0, 3.0, len(keys)),
        lead_time_mean=rng.uniform(5, 30, len(keys)),
    )
    n_po = n_skus
    inbound = pd.DataFrame(
        {
            "po_id": [f"PO{i}" for i in range(n_po)],
            "sku_id": keys["sku_id"].iloc[:: len(locations)].to_numpy()[:n_po],
            "location_id": locations[0],
            "quantity": 200.0,
            "promised_date": TODAY + pd.to_timedelta(rng.integers(1, 40, n_po), unit="D"),
            "delay_p10": 0.0,
            "delay_p50": 2.0,
            "delay_p90": 6.0,
        }
    )
    n = 20_000
    rows = online.sample(n, replace=True, random_state=seed).reset_index(drop=True)
    requests = pd.DataFrame(
        {
            "quantity": rng.integers(1, 100, n).astype(float),
            "request_time": TODAY,
            "requested_date": TODAY + pd.to_timedelta(rng.integers(0, 30, n), unit="D"),
            "customer_tier": rng.choice(["gold", "silver", "bronze"], n),
        }
    )
    X = pd.concat(
        [rows.drop(columns=["sku_id", "location_id"]), request_features(requests, rows)], axis=1
    )
    logit = 0.06 * X["shortfall_qty"] - 0.05 * X["days_until_requested"] - 1.0
    y = rng.random(n) < 1 / (1 + np.exp(-logit))
    model = lgb.LGBMClassifier(n_estimators=100, num_leaves=31, verbose=-1).fit(X, y)
    return Components(
        models={RISK: LoadedModel(RISK, "1", "provided", model)},
        reader=FrameFeatureReader(online),
        supply=FrameSupply(stock, inbound),
    )


def order(rng: np.random.Generator, i: int, n_lines: int, n_skus: int) -> dict:
    skus = rng.integers(0, n_skus, n_lines)
    return {
        "order_id": f"O{i}",
        "customer_id": f"C{i % 50}",
        "customer_tier": ["gold", "silver", "bronze"][i % 3],
        "lines": [
            {
                "line_id": str(k),
                "sku_id": f"SKU{s:05d}",
                "location_id": "DC1",
                "quantity": int(rng.integers(1, 60)),
                "requested_date": str((TODAY + pd.Timedelta(days=int(rng.integers(0, 20)))).date()),
            }
            for k, s in enumerate(skus)
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skus", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--lines", type=int, default=10)
    parser.add_argument("--batch-orders", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--demo-world", action="store_true", help="real HTTP on the trained demo world")
    parser.add_argument("--port", type=int, default=3017)
    args = parser.parse_args()
    if args.demo_world:
        demo_world(args.requests, args.port)
        return

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # starlette asks for httpx2 in its TestClient
        from starlette.testclient import TestClient

    from serving.service import RiskService, in_process_app

    rng = np.random.default_rng(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(data_dir=Path(tmp), api_keys={KEY: ["oms"]}, allow_dev_key=False)
        runtime: Runtime = build_runtime(
            settings, components(args.skus, args.seed), today=lambda: TODAY
        )
        RiskService.inner.runtime_factory = staticmethod(lambda: runtime)
        headers = {"Authorization": f"Bearer {KEY}"}
        with TestClient(in_process_app()) as client:
            bodies = [order(rng, i, args.lines, args.skus) for i in range(args.requests)]
            client.post("/v1/score", json=bodies[0], headers=headers).raise_for_status()  # warm
            latencies = []
            for body in bodies:
                start = time.perf_counter()
                client.post("/v1/score", json=body, headers=headers).raise_for_status()
                latencies.append(time.perf_counter() - start)
            ms = np.array(latencies) * 1000
            print(f"single order, {args.lines} lines, {args.requests} sequential requests:")
            print(f"  p50 {np.percentile(ms, 50):.1f} ms  p99 {np.percentile(ms, 99):.1f} ms")

            batch = {"orders": bodies[: args.batch_orders]}
            n_lines = args.batch_orders * args.lines
            start = time.perf_counter()
            for _ in range(3):
                client.post("/v1/score/batch", json=batch, headers=headers).raise_for_status()
            seconds = (time.perf_counter() - start) / 3
            print(f"batch of {args.batch_orders} orders ({n_lines} lines):")
            print(f"  {seconds * 1000:.0f} ms per batch, {n_lines / seconds:,.0f} lines/s")
        runtime.log.close()


EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "score_request.json"


def _post(url: str, body: bytes, headers: dict[str, str]) -> float:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json", **headers})
    start = time.perf_counter()
    with urllib.request.urlopen(request, timeout=30) as answer:
        answer.read()
    return time.perf_counter() - start


def _sequential(targets: list[Callable[[], float]], n: int) -> list[np.ndarray]:
    """Latencies (ms) of ``n`` sequential calls per target (each returns its seconds), taking turns.

    Taking turns, every target sees the same machine: on a shared 2-core VM the speed drifts by
    a third within minutes, which decided a comparison made one target after the other.
    """
    for target in targets:
        for _ in range(10):
            target()  # warm-up
    ms = [[] for _ in targets]
    for _ in range(n):
        for k, target in enumerate(targets):
            ms[k].append(target() * 1000)
    return [np.array(m) for m in ms]


def _throughput(url: str, body: bytes, headers: dict[str, str], n: int, clients: int = 8) -> float:
    """Requests per second with ``clients`` concurrent clients."""
    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(lambda _: _post(url, body, headers), range(n)))
    return n / (time.perf_counter() - start)


def _wait(url: str, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(url)


def serving_env(settings: Settings, **extra: str) -> dict[str, str]:
    """This process's environment for a served child: this venv's tools first on PATH, the
    settings' BentoML home, telemetry off, plus ``extra``."""
    bin_dir = Path(sys.executable).parent
    return {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ.get('PATH', '')}",
        "BENTOML_HOME": str(settings.bentoml_home),
        "BENTOML_DO_NOT_TRACK": "true",
        "DO_NOT_TRACK": "true",
        "MLFLOW_DISABLE_TELEMETRY": "true",
        **extra,
    }


def _serve(command: list[str], ready_url: str, env: dict[str, str]) -> subprocess.Popen:
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait(ready_url, process)
    except Exception:
        process.terminate()
        raise
    return process


def demo_world(n: int, port: int) -> None:
    from serving.runtime import production_components
    from serving.scoring import line_columns

    settings = load_settings()
    order_body = json.loads(EXAMPLE.read_text())
    runtime = build_runtime(settings, production_components(settings))
    if not runtime.ready:
        raise SystemExit(f"demo world not ready: {runtime.readiness()}")
    runtime.log.close()  # the served process appends to the log; this one only reads features
    scorer = runtime.scorer
    lines = line_columns([order_body])
    features = scorer.features(lines, runtime.clock())

    def raw() -> float:
        start = time.perf_counter()
        frame = scorer.features(lines, runtime.clock())
        scorer.risk_model.predict_proba(frame)
        return time.perf_counter() - start

    bin_dir = Path(sys.executable).parent
    env = serving_env(settings, MLFLOW_TRACKING_URI=settings.tracking_uri)
    base, mlflow_base = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{port + 1}"
    bento = _serve([str(bin_dir / "bentoml"), "serve", "serving.service:RiskService", "--host", "127.0.0.1",
                    "--port", str(port)], f"{base}/readyz", env)
    try:
        mlflow_proc = _serve(
            [str(bin_dir / "mlflow"), "models", "serve", "-m", "models:/backorder_risk@champion", "--env-manager",
             "local", "--host", "127.0.0.1", "--port", str(port + 1)],
            f"{mlflow_base}/ping", env)
    except Exception:
        bento.terminate()
        raise
    payload = json.dumps({"dataframe_split": json.loads(features.to_json(orient="split", index=False))})
    bento_target = (f"{base}/v1/score", json.dumps(order_body).encode(), {"Authorization": "Bearer dev-key"})
    mlflow_target = (f"{mlflow_base}/invocations", payload.encode(), {})
    try:
        raw_ms, bento_ms, mlflow_ms = _sequential(
            [raw, functools.partial(_post, *bento_target), functools.partial(_post, *mlflow_target)], n
        )
        raw_p50 = float(np.percentile(raw_ms, 50))
        print(f"raw in-process online read + request features + predict_proba (10 lines): p50 {raw_p50:.1f} ms")
        p50s = []
        for name, target, ms in (
            ("bentoml /v1/score", bento_target, bento_ms),
            ("mlflow models serve /invocations", mlflow_target, mlflow_ms),
        ):
            rate = _throughput(*target, n)
            p50s.append(float(np.percentile(ms, 50)))
            print(f"{name}: p50 {p50s[-1]:.1f} ms  p99 {np.percentile(ms, 99):.1f} ms  (sequential, n={n}); "
                  f"8 clients {rate:.0f} req/s")
    finally:
        for process in (bento, mlflow_proc):
            process.terminate()
            process.wait(30)
    print(f"bentoml p50 / raw p50 = {p50s[0] / raw_p50:.1f}x (median of paired ratios "
          f"{np.median(bento_ms / raw_ms):.1f}x);  bentoml p50 / mlflow p50 = {p50s[0] / p50s[1]:.2f} (median of "
          f"paired ratios {np.median(bento_ms / mlflow_ms):.2f}, bentoml faster in {np.mean(bento_ms < mlflow_ms):.0%} "
          f"of pairs)")


if __name__ == "__main__":
    main()
