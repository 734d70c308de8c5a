"""Freshness and latency of scoring against the live state, and print the figures.

    .venv/bin/python benchmarks/live_scoring.py                   # Redis store (production profile)
    .venv/bin/python benchmarks/live_scoring.py --store sqlite    # SQLite store (embedded profile)
    .venv/bin/python benchmarks/live_scoring.py --requests 500

The real service in-process (``RiskService.to_asgi()``: routes, auth, middleware, prediction
log) on a generated world whose ids include those of ``examples/score_request.json`` (10 lines),
a LightGBM risk model (100 trees), stock features and supply read from the live state per request.

- Freshness: ``POST /v1/events`` with a count of line 1's SKU-location that flips it between
  enough stock and none, then ``POST /v1/score`` of the example; the time from sending the event
  to the answer that reflects it (line 1's action is ``allocate`` exactly when the count covers
  it). Every answer is checked; one that does not reflect its event is counted as stale.
- Score latency: the example scored sequentially, without and with ``"reserve": true`` (stock
  counted high first, so reservations never run out), in turns with the same service scoring
  against its start-up stock in memory (``FrameSupply``, no live state), so the live state's cost
  is read from the same minutes of a machine whose speed drifts; also the process's CPU time per
  score, which a busy machine does not stretch as it stretches wall time.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import uuid
import warnings
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd

from features.order_line import request_features
from live.factory import open_live_state
from serving.live_supply import LiveStockReader, LiveSupply, PoDelays, seed_if_empty
from serving.registry import LoadedModel
from serving.runtime import RISK, Components, Runtime, build_runtime
from serving.scoring import FrameFeatureReader
from serving.supply import FrameSupply
from settings import load_settings

TODAY = pd.Timestamp("2025-12-30")
KEY = "bench-key"
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "score_request.json"
AT = "2025-12-30T12:00:00Z"


def world(example: dict, n_other_skus: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Stock, online features and open POs of the example's SKUs and ``n_other_skus`` more."""
    rng = np.random.default_rng(seed)
    skus = sorted({line["sku_id"] for line in example["lines"]} | {f"SKU-X{i:04d}" for i in range(n_other_skus)})
    locations = ["DC-1", "DC-2", "DC-3", "DC-4"]
    keys = pd.MultiIndex.from_product([skus, locations], names=["sku_id", "location_id"]).to_frame(index=False)
    stock = keys.assign(on_hand=rng.integers(0, 80, len(keys)).astype(float), allocated=0.0)
    online = keys.assign(
        on_hand=stock["on_hand"],
        allocated=0.0,
        available=stock["on_hand"],
        demand_mean_28d=rng.gamma(2.0, 3.0, len(keys)),
        lead_time_mean=rng.uniform(5, 30, len(keys)),
    )
    inbound = pd.DataFrame(
        {
            "po_id": [f"PO-{i}" for i in range(len(skus))],
            "supplier_id": "SUP-1",
            "sku_id": skus,
            "location_id": "DC-1",
            "quantity": 200.0,
            "promised_date": TODAY + pd.to_timedelta(rng.integers(1, 40, len(skus)), unit="D"),
            "delay_p10": 0.0,
            "delay_p50": 2.0,
            "delay_p90": 6.0,
            "asn_eta": pd.NaT,
        }
    )
    return stock, online, inbound


def risk_model(online: pd.DataFrame, seed: int) -> lgb.LGBMClassifier:
    rng = np.random.default_rng(seed)
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
    X = pd.concat([rows.drop(columns=["sku_id", "location_id"]), request_features(requests, rows)], axis=1)
    logit = 0.06 * X["shortfall_qty"] - 0.05 * X["days_until_requested"] - 1.0
    y = rng.random(n) < 1 / (1 + np.exp(-logit))
    # n_jobs given: with None, LightGBM's scikit-learn wrapper counts the CPUs (reading cgroup files)
    # on every predict, a cost the service's own model (``BoosterClassifier``, boosters called
    # directly) does not have.
    return lgb.LGBMClassifier(n_estimators=100, num_leaves=31, n_jobs=1, verbose=-1).fit(X, y)


def runtimes(settings, example: dict, seed: int) -> tuple[Runtime, Runtime]:
    """The service on the live state, and the same service on its start-up stock in memory."""
    stock, online, inbound = world(example, 300, seed)
    live = open_live_state(settings)
    seed_if_empty(live, stock, inbound, TODAY)
    delays = PoDelays(None, lambda: TODAY)
    delays.remember(inbound)
    models = {RISK: LoadedModel(RISK, "1", "provided", risk_model(online, seed))}
    on_live = Components(
        models=models,
        reader=LiveStockReader(FrameFeatureReader(online), live),
        supply=LiveSupply(live, delays),
        live=live,
    )
    in_memory = Components(models=models, reader=FrameFeatureReader(online), supply=FrameSupply(stock, inbound))
    return tuple(build_runtime(settings, c, today=lambda: TODAY) for c in (on_live, in_memory))


def _percentiles(seconds: list[float]) -> str:
    ms = np.array(seconds) * 1000
    return f"p50 {np.percentile(ms, 50):.1f} ms  p99 {np.percentile(ms, 99):.1f} ms  (n={len(ms)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", choices=["redis", "sqlite"], default="redis")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # starlette asks for httpx2 in its TestClient
        from starlette.testclient import TestClient

    from serving.service import RiskService, app, in_process_app

    example = json.loads(EXAMPLE.read_text())
    first = example["lines"][0]
    prefix = f"bench-live-{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(
            data_dir=Path(tmp), api_keys={KEY: ["oms", "erp"]}, allow_dev_key=False,
            live={"store": args.store, "redis_url": args.redis_url, "key_prefix": prefix},
        )
        runtime, in_memory = runtimes(settings, example, args.seed)
        RiskService.inner.runtime_factory = staticmethod(lambda: runtime)
        headers = {"Authorization": f"Bearer {KEY}"}
        try:
            with TestClient(in_process_app()) as client:

                def post(path: str, body: dict) -> dict:
                    response = client.post(path, json=body, headers=headers)
                    response.raise_for_status()
                    return response.json()

                def count(event_id: str, sku: str, location: str, on_hand: int) -> dict:
                    return {"event_id": event_id, "type": "stock_counted", "occurred_at": AT,
                            "sku_id": sku, "location_id": location, "on_hand": on_hand}

                post("/v1/score", example)  # warm
                fresh, stale = [], 0
                for i in range(args.requests):
                    on_hand = 0 if i % 2 else int(first["quantity"]) + 60
                    start = time.perf_counter()
                    post("/v1/events", {"events": [count(f"f{i}", first["sku_id"], first["location_id"], on_hand)]})
                    line = post("/v1/score", example)["lines"][0]
                    fresh.append(time.perf_counter() - start)
                    stale += (line["action"]["action"] == "allocate") != (on_hand > 0)
                print(f"store: {args.store}; example: {EXAMPLE.name} ({len(example['lines'])} lines)")
                print(f"freshness (event accepted -> score reflecting it): {_percentiles(fresh)}; stale: {stale}")

                plain, static = [], []
                cpu = {"live": 0.0, "memory": 0.0}
                for _ in range(args.requests):
                    for target, times, name in ((in_memory, static, "memory"), (runtime, plain, "live")):
                        app.state.runtime = target
                        start, start_cpu = time.perf_counter(), time.process_time()
                        post("/v1/score", example)
                        times.append(time.perf_counter() - start)
                        cpu[name] += time.process_time() - start_cpu
                print(f"score: {_percentiles(plain)}; in turns, start-up stock in memory: {_percentiles(static)}")
                per_request = {k: 1000 * v / args.requests for k, v in cpu.items()}
                print(f"CPU per score (all threads): live {per_request['live']:.1f} ms, "
                      f"start-up stock in memory {per_request['memory']:.1f} ms")
                app.state.runtime = runtime

                lines = example["lines"]
                high = [count(f"h{i}", line["sku_id"], line["location_id"], 10**8) for i, line in enumerate(lines)]
                post("/v1/events", {"events": high})
                reserving = []
                for i in range(args.requests):
                    body = {**example, "order_id": f"R{i}", "reserve": True}
                    start = time.perf_counter()
                    post("/v1/score", body)
                    reserving.append(time.perf_counter() - start)
                print(f"score with reserve: {_percentiles(reserving)}")
        finally:
            runtime.components.live.close()
            if args.store == "redis":
                import redis

                client = redis.Redis.from_url(args.redis_url)
                keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
                for start in range(0, len(keys), 500):
                    client.delete(*keys[start:start + 500])


if __name__ == "__main__":
    main()
