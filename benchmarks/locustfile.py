"""Locust users of the load benchmark (``benchmarks/load_locust.py`` runs them headless).

``OrderUser``: one client posting the committed example order (``examples/score_request.json``,
10 lines) to ``POST /v1/score`` again and again, without pausing. ``BatchUser``: one client
posting a large batch (``LOAD_BATCH_ORDERS`` orders of ``LOAD_BATCH_LINES`` lines, on the example's
SKU-locations) to ``POST /v1/score/batch`` again and again. The key is ``LOAD_API_KEY``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from locust import FastHttpUser, constant, task

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "score_request.json"
HEADERS = {"Authorization": f"Bearer {os.environ.get('LOAD_API_KEY', 'dev-key')}", "Content-Type": "application/json"}


def batch_body(example: dict, n_orders: int, n_lines: int) -> str:
    """``n_orders`` orders of ``n_lines`` lines each, cycling through the example's lines."""
    lines = example["lines"]
    orders = []
    for o in range(n_orders):
        order_lines = [
            {**lines[(o + i) % len(lines)], "line_id": str(i + 1), "quantity": 1 + (o * 7 + i) % 60}
            for i in range(n_lines)
        ]
        orders.append({**example, "order_id": f"LOAD-BATCH-{o:04d}", "lines": order_lines})
    return json.dumps({"orders": orders})


EXAMPLE_BODY = EXAMPLE.read_text()
BATCH_ORDERS, BATCH_LINES = int(os.environ.get("LOAD_BATCH_ORDERS", 100)), int(os.environ.get("LOAD_BATCH_LINES", 200))
BATCH_BODY = batch_body(json.loads(EXAMPLE_BODY), BATCH_ORDERS, BATCH_LINES)


class OrderUser(FastHttpUser):
    wait_time = constant(0)

    @task
    def score(self) -> None:
        self.client.post("/v1/score", data=EXAMPLE_BODY, headers=HEADERS, name="single order")


class BatchUser(FastHttpUser):
    fixed_count = 1  # one batch client, however many order clients run beside it
    wait_time = constant(0)
    network_timeout = 120.0
    connection_timeout = 120.0

    @task
    def score_batch(self) -> None:
        self.client.post("/v1/score/batch", data=BATCH_BODY, headers=HEADERS, name="batch")
