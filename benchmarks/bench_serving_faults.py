"""How the service behaves under faults, in-process, and print the figures.

    .venv/bin/python benchmarks/bench_serving_faults.py
    .venv/bin/python benchmarks/bench_serving_faults.py --batch-orders 100 --batch-lines 200  # 20,000 lines

On the generated components of ``bench_serving.py`` (100-tree LightGBM, 1,000 SKUs x 3 DCs):

- a single 10-line order's latency alone, then while large batches are scored back to back;
- ``/healthz``, ``/readyz`` and ``/v1/status`` latency while a score waits on a slow store read;
- scoring clients during repeated ``POST /v1/admin/reload``: answers that were not 200, and
  answered lines missing from the prediction log.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
import warnings
from pathlib import Path

import numpy as np
from bench_serving import KEY, TODAY, components, order

from serving.prediction_log import read_prediction_log
from serving.runtime import build_runtime
from serving.scoring import FrameFeatureReader
from settings import load_settings

HEADERS = {"Authorization": f"Bearer {KEY}"}


class SlowReader:
    """A feature reader whose reads take ``seconds`` (a locked or distant store)."""

    def __init__(self, reader: FrameFeatureReader, seconds: float) -> None:
        self.reader, self.seconds = reader, seconds
        self.feature_names = reader.feature_names

    def read_values(self, entity_rows):
        time.sleep(self.seconds)
        return self.reader.read_values(entity_rows)


def _ms(call) -> float:
    start = time.perf_counter()
    call().raise_for_status()
    return (time.perf_counter() - start) * 1000


def _summary(ms: list[float]) -> str:
    return f"p50 {np.percentile(ms, 50):.0f} ms  max {max(ms):.0f} ms  (n={len(ms)})"


def single_during_batches(client, rng, args) -> None:
    singles = [order(rng, i, 10, args.skus) for i in range(args.requests)]
    alone = [_ms(lambda b=b: client.post("/v1/score", json=b, headers=HEADERS)) for b in singles]
    print(f"single 10-line order alone: {_summary(alone)}")
    batch = {"orders": [order(rng, 1000 + i, args.batch_lines, args.skus) for i in range(args.batch_orders)]}
    stop, batch_ms, batch_status = threading.Event(), [], []

    def batches() -> None:
        while not stop.is_set():
            start = time.perf_counter()
            batch_status.append(client.post("/v1/score/batch", json=batch, headers=HEADERS).status_code)
            batch_ms.append((time.perf_counter() - start) * 1000)

    worker = threading.Thread(target=batches)
    worker.start()
    time.sleep(1.0)
    during = [_ms(lambda b=b: client.post("/v1/score", json=b, headers=HEADERS)) for b in singles]
    stop.set()
    worker.join()
    n = args.batch_orders * args.batch_lines
    print(f"single 10-line order while batches of {n:,} lines run: {_summary(during)}")
    print(f"  batches meanwhile: {_summary(batch_ms)}, statuses {sorted(set(batch_status))}")


def probes_during_slow_read(client, runtime, seconds: float) -> None:
    reader = runtime.components.reader
    runtime.scorer.reader = SlowReader(reader, seconds)
    body = order(np.random.default_rng(1), 0, 10, 100)
    scoring = threading.Thread(target=lambda: client.post("/v1/score", json=body, headers=HEADERS))
    scoring.start()
    time.sleep(0.2)
    waits = {path: _ms(lambda p=path: client.get(p)) for path in ("/healthz", "/readyz", "/v1/status")}
    scoring.join()
    runtime.scorer.reader = reader
    print(f"while a score waits {seconds:g} s on the store: " + ", ".join(f"{p} {w:.0f} ms" for p, w in waits.items()))


def reloads_under_traffic(client, settings, parts, args) -> None:
    from serving.service import RiskService, app

    RiskService.inner.runtime_factory = staticmethod(lambda: build_runtime(settings, parts, today=lambda: TODAY))
    rng = np.random.default_rng(2)
    bodies = [order(rng, 5000 + i, 10, args.skus) for i in range(4 * args.requests)]
    answers: list = []
    reload_ms: list[float] = []

    def scoring(part: list[dict]) -> None:
        answers.extend(client.post("/v1/score", json=b, headers=HEADERS) for b in part)

    workers = [threading.Thread(target=scoring, args=(bodies[k::4],)) for k in range(4)]
    for worker in workers:
        worker.start()
    while any(w.is_alive() for w in workers):
        reload_ms.append(_ms(lambda: client.post("/v1/admin/reload", headers=HEADERS)))
    for worker in workers:
        worker.join()
    logged = read_prediction_log(settings.prediction_log_dir)
    logged_keys = set(zip(logged["request_id"], logged["line_id"], strict=True))
    ok = [a.json() for a in answers if a.status_code == 200]
    missing = sum((b["request_id"], line["line_id"]) not in logged_keys for b in ok for line in b["lines"])
    print(
        f"{len(answers)} scores from 4 clients during {len(reload_ms)} reloads: "
        f"{len(answers) - len(ok)} not 200, {missing} answered lines missing from the log; "
        f"reload {_summary(reload_ms)}"
    )
    app.state.runtime.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skus", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--batch-orders", type=int, default=20)
    parser.add_argument("--batch-lines", type=int, default=200)
    parser.add_argument("--slow-store-seconds", type=float, default=2.0)
    args = parser.parse_args()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # starlette asks for httpx2 in its TestClient
        from starlette.testclient import TestClient

    from serving.service import RiskService, in_process_app

    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(
            data_dir=Path(tmp), api_keys={KEY: ["oms", "admin"]}, allow_dev_key=False, rate_limit={"enabled": False}
        )
        parts = components(args.skus, 0)
        runtime = build_runtime(settings, parts, today=lambda: TODAY)
        RiskService.inner.runtime_factory = staticmethod(lambda: runtime)
        # Server errors become answers (counted), not exceptions in the client threads.
        with TestClient(in_process_app(), raise_server_exceptions=False) as client:
            client.post("/v1/score", json=order(rng, 0, 10, args.skus), headers=HEADERS).raise_for_status()
            single_during_batches(client, rng, args)
            probes_during_slow_read(client, runtime, args.slow_store_seconds)
            reloads_under_traffic(client, settings, parts, args)


if __name__ == "__main__":
    main()
