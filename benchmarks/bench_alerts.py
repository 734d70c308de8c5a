"""Time of detecting exceptions over large frames and of recording them in the exception store.

    .venv/bin/python benchmarks/bench_alerts.py                       # 100,000 SKU-locations, SQLite
    .venv/bin/python benchmarks/bench_alerts.py --postgres postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
AS_OF = pd.Timestamp("2026-03-02")


def frames(n: int, seed: int = 0) -> dict[str, pd.DataFrame]:
    """``n`` SKU-locations with stock, two open POs each, 30 days of demand and ``n`` scored lines."""
    rng = np.random.default_rng(seed)
    skus = np.array([f"SKU-{i:06d}" for i in range(n)])
    positions = pd.DataFrame({"sku_id": skus, "location_id": "DC-1", "on_hand": rng.integers(0, 100, n),
                              "reserved": rng.integers(0, 20, n), "in_transit": 0})
    m = 2 * n
    promised = AS_OF + pd.to_timedelta(rng.integers(-5, 40, m), unit="D")
    open_pos = pd.DataFrame({
        "po_id": [f"PO-{i:07d}" for i in range(m)], "supplier_id": rng.choice([f"S-{i}" for i in range(50)], m),
        "sku_id": np.repeat(skus, 2), "location_id": "DC-1", "quantity": rng.integers(10, 200, m),
        "promised_date": promised, "eta": pd.NaT,
        "delay_p10": -1.0, "delay_p50": rng.uniform(-1, 5, m), "delay_p90": 8.0,
    })
    days = pd.date_range(AS_OF + pd.Timedelta(days=1), periods=30)
    demand = pd.DataFrame({"sku_id": np.repeat(skus, len(days)), "location_id": "DC-1",
                           "ds": np.tile(days, n), "p50": rng.gamma(1.0, 2.0, n * len(days))})
    lead_times = positions[["sku_id", "location_id"]].assign(lead_time_days=rng.integers(5, 30, n))
    scored = pd.DataFrame({"order_id": [f"O-{i}" for i in range(n)], "line_id": "1", "sku_id": skus,
                           "location_id": "DC-1", "quantity": rng.integers(1, 50, n),
                           "backorder_probability": rng.beta(1, 4, n)})
    return {"positions": positions, "open_pos": open_pos, "demand": demand, "lead_times": lead_times,
            "scored": scored}


def timed(label: str, call):  # noqa: ANN001, ANN202 (a script's helper)
    started = time.perf_counter()
    out = call()
    print(f"{label:<44} {time.perf_counter() - started:7.2f} s  ({len(out):,} rows)")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skus", type=int, default=100_000)
    parser.add_argument("--record", type=int, default=10_000, help="Exceptions recorded in the store.")
    parser.add_argument("--postgres", help="Also record into this PostgreSQL database (tables are dropped after).")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from alerts import detection
    from alerts.schema import metadata, open_database
    from alerts.store import ExceptionStore
    from settings.sections import AlertsSettings

    cfg = AlertsSettings()
    f = frames(args.skus)
    print(f"{args.skus:,} SKU-locations, {len(f['open_pos']):,} open POs, {len(f['demand']):,} demand rows")
    timed("order_lines_at_risk", lambda: detection.order_lines_at_risk(f["scored"], cfg))
    timed("stockouts_within_lead_time", lambda: detection.stockouts_within_lead_time(
        f["positions"], f["open_pos"], f["demand"], f["lead_times"], AS_OF, cfg))
    timed("late_purchase_orders", lambda: detection.late_purchase_orders(f["open_pos"], AS_OF, cfg))
    detected = detection.order_lines_at_risk(f["scored"].assign(backorder_probability=0.9), cfg).head(args.record)

    with tempfile.TemporaryDirectory() as folder:
        urls = [("SQLite", f"sqlite:///{folder}/alerts.db")]
        urls += [("PostgreSQL", args.postgres)] if args.postgres else []
        now = datetime(2026, 3, 2, 6)
        for name, url in urls:
            engine = open_database(url)
            store = ExceptionStore(engine)
            timed(f"{name}: open {len(detected):,}", lambda s=store: s.record(detected, now).opened)
            timed(f"{name}: update the same {len(detected):,}",
                  lambda s=store: s.record(detected, now + timedelta(hours=1)).updated)
            metadata.drop_all(engine)
            engine.dispose()


if __name__ == "__main__":
    main()
