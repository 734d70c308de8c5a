"""Request builders shared by the serving tests (imported by name; tests have no packages)."""

from __future__ import annotations

import pandas as pd

TODAY = pd.Timestamp("2026-03-02")
KEYS = {"oms-key": ["oms"], "planner-key": ["planner"], "admin-key": ["admin"], "erp-key": ["erp"]}
SKUS = [f"SKU{i:03d}" for i in range(30)]
LOCATIONS = ["DC1", "DC2", "DC3"]


def order(n_lines: int = 2, **changes) -> dict:
    lines = [
        {
            "line_id": f"L{i}",
            "sku_id": SKUS[i % len(SKUS)],
            "location_id": "DC1",
            "quantity": 5 + 10 * i,
            "requested_date": "2026-03-10",
        }
        for i in range(n_lines)
    ]
    body = {"order_id": "O1", "customer_id": "C1", "customer_tier": "gold", "lines": lines}
    body.update(changes)
    return body


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}
