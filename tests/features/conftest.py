"""A tiny, consistent canonical world for feature tests: 3 SKUs, 2 DCs, 2 suppliers, 60 days.

Stock moves day by day (orders consume it, shortfalls go on backorder, PO receipts refill it and
clear backorders), so snapshots, order outcomes, POs and ASNs agree with each other. Columns and
dtypes are the canonical ones (contracts.schemas.stored_dtype).
"""

from __future__ import annotations

import uuid

import numpy as np
import pandas as pd
import pytest

from contracts.schemas import stored_dtype
from contracts.tables import CANONICAL_TABLES

START = pd.Timestamp("2024-01-01")
SKUS = ("SKU-1", "SKU-2", "SKU-3")
LOCATIONS = ("DC-1", "DC-2")
# sku -> [(supplier, primary, quoted lead time)]
TERMS = {
    "SKU-1": [("S-1", True, 5), ("S-2", False, 8)],
    "SKU-2": [("S-2", True, 7)],
    "SKU-3": [("S-1", True, 4)],
}
MEAN_LINES = {"SKU-1": 1.2, "SKU-2": 0.5, "SKU-3": 0.8}


def canonical(table: str, rows: list[dict] | pd.DataFrame) -> pd.DataFrame:
    contract = CANONICAL_TABLES[table]
    frame = pd.DataFrame(rows, columns=contract.column_names)
    return frame.astype({c.name: stored_dtype(c) for c in contract.columns})


def _simulate(days: int, seed: int) -> dict[str, list[dict]]:
    rng = np.random.default_rng(seed)
    out: dict[str, list[dict]] = {k: [] for k in ("snap", "orders", "lines", "pos", "asns")}
    for sku in SKUS:
        supplier, _, lead = next(t for t in TERMS[sku] if t[1])
        for loc in LOCATIONS:
            on_hand, queue, open_po = 12, [], None  # queue: backordered line dicts
            for d in range(days):
                day = START + pd.Timedelta(days=d)
                if open_po is not None and open_po["received_date"] == day:
                    on_hand += open_po["received_quantity"]
                    open_po = None
                    while queue and queue[0]["open"] <= on_hand:
                        on_hand -= queue[0]["open"]
                        queue[0]["line"]["shipped_date"] = day
                        queue[0]["line"]["shipped_quantity"] = queue[0]["line"]["quantity"]
                        queue.pop(0)
                for _ in range(rng.poisson(MEAN_LINES[sku])):
                    oid = f"O-{len(out['orders']) + 1}"
                    qty = int(rng.integers(1, 6))
                    out["orders"].append(
                        {
                            "order_id": oid,
                            "customer_id": f"C-{rng.integers(1, 9)}",
                            "customer_tier": str(rng.choice(["gold", "silver", "bronze"])),
                            "order_time": day + pd.Timedelta(hours=int(rng.integers(8, 18))),
                            "allow_split": bool(rng.integers(0, 2)),
                        }
                    )
                    line = {
                        "order_id": oid,
                        "line_id": "1",
                        "sku_id": sku,
                        "location_id": loc,
                        "quantity": qty,
                        "requested_date": day + pd.Timedelta(days=int(rng.integers(1, 8))),
                        "shipped_quantity": 0,
                        "shipped_date": pd.NaT,
                        "backordered_quantity": 0,
                    }
                    if qty <= on_hand and not queue:
                        on_hand -= qty
                        line.update(shipped_quantity=qty, shipped_date=day + pd.Timedelta(days=1))
                    else:
                        short = qty - min(on_hand, qty) if not queue else qty
                        line["backordered_quantity"] = short
                        queue.append({"line": line, "open": qty})
                    out["lines"].append(line)
                backordered = sum(q["open"] for q in queue)
                if open_po is None and on_hand - backordered < 8:
                    delay = int(rng.integers(-1, 4))
                    received = day + pd.Timedelta(days=lead + delay)
                    open_po = {
                        "po_id": f"PO-{len(out['pos']) + 1}",
                        "supplier_id": supplier,
                        "sku_id": sku,
                        "location_id": loc,
                        "quantity": 30,
                        "order_date": day,
                        "promised_date": day + pd.Timedelta(days=lead),
                        "received_date": received,
                        "received_quantity": int(rng.integers(26, 31)),
                        "is_expedited": False,
                    }
                    out["pos"].append(open_po)
                    notice = max(day, received - pd.Timedelta(days=2))
                    out["asns"].append(
                        {
                            "asn_id": f"A-{len(out['asns']) + 1}",
                            "po_id": open_po["po_id"],
                            "event_time": notice + pd.Timedelta(hours=10),
                            "eta": received,
                            "quantity": open_po["quantity"],
                        }
                    )
                in_transit = 0
                out["snap"].append(
                    {
                        "snapshot_date": day,
                        "sku_id": sku,
                        "location_id": loc,
                        "on_hand": on_hand,
                        "allocated": min(on_hand, int(rng.integers(0, 3))),
                        "in_transit": in_transit,
                        "backordered": backordered,
                    }
                )
    return out


def make_world(days: int = 60, seed: int = 7) -> dict[str, pd.DataFrame]:
    """Canonical tables of the tiny world; events on or after the last day are cut as unknown."""
    sim = _simulate(days, seed)
    end = START + pd.Timedelta(days=days - 1)
    pos = pd.DataFrame(sim["pos"])
    pending = pos["received_date"] > end
    pos.loc[pending, "received_date"] = pd.NaT
    pos["received_quantity"] = pos["received_quantity"].astype("Int64").mask(pending)
    asns = pd.DataFrame(sim["asns"])
    asns = asns[asns["event_time"] <= end + pd.Timedelta(hours=23)]
    lines = pd.DataFrame(sim["lines"])
    late_ship = lines["shipped_date"] > end
    lines.loc[late_ship, "shipped_date"] = pd.NaT
    lines["shipped_quantity"] = lines["shipped_quantity"].where(~late_ship, 0)
    terms = [
        {
            "sku_id": s,
            "supplier_id": sup,
            "is_primary": p,
            "quoted_lead_time_days": lt,
            "unit_cost": 2.0,
            "moq": 10,
            "expedite_days_saved": 2,
            "expedite_cost_per_unit": 0.5,
        }
        for s, ts in TERMS.items()
        for sup, p, lt in ts
    ]
    return {
        "skus": canonical(
            "skus",
            [
                {
                    "sku_id": s,
                    "category": "c",
                    "unit_cost": 2.0,
                    "unit_price": 3.0,
                    "launch_date": START,
                    "phase_out_date": pd.NaT,
                }
                for s in SKUS
            ],
        ),
        "locations": canonical(
            "locations",
            [
                {"location_id": loc, "name": loc, "region": "r", "holding_cost_rate": 0.2}
                for loc in LOCATIONS
            ],
        ),
        "suppliers": canonical(
            "suppliers", [{"supplier_id": s, "name": s, "country": "US"} for s in ("S-1", "S-2")]
        ),
        "sku_suppliers": canonical("sku_suppliers", terms),
        "transfer_lanes": canonical(
            "transfer_lanes",
            [
                {
                    "from_location_id": "DC-1",
                    "to_location_id": "DC-2",
                    "transit_days": 2,
                    "cost_per_unit": 0.1,
                }
            ],
        ),
        "inventory_snapshots": canonical("inventory_snapshots", sim["snap"]),
        "orders": canonical("orders", sim["orders"]),
        "order_lines": canonical("order_lines", lines),
        "purchase_orders": canonical("purchase_orders", pos),
        "asn_events": canonical("asn_events", asns),
        "promotions": canonical(
            "promotions",
            [
                {
                    "promotion_id": "P-1",
                    "sku_id": "SKU-1",
                    "location_id": "DC-1",
                    "announced_date": START + pd.Timedelta(days=10),
                    "start_date": START + pd.Timedelta(days=20),
                    "end_date": START + pd.Timedelta(days=25),
                    "discount_pct": 0.2,
                },
                {
                    "promotion_id": "P-2",
                    "sku_id": "SKU-3",
                    "location_id": "DC-2",
                    "announced_date": START + pd.Timedelta(days=30),
                    "start_date": START + pd.Timedelta(days=31),
                    "end_date": START + pd.Timedelta(days=33),
                    "discount_pct": 0.1,
                },
            ],
        ),
    }


@pytest.fixture(scope="session")
def world_tables() -> dict[str, pd.DataFrame]:
    return make_world()


@pytest.fixture
def world(world_tables) -> dict[str, pd.DataFrame]:
    """A fresh copy per test, so tests may modify it."""
    return {name: frame.copy() for name, frame in world_tables.items()}


@pytest.fixture
def frame_of():
    """Build a canonical-dtype frame of ``table`` from a list of row dicts."""
    return canonical


def write_features(data_dir, tables: dict[str, pd.DataFrame], **overrides):
    """Settings on ``data_dir``, with the feature tables of ``tables`` in its features folder."""
    from features.build import build_feature_tables
    from settings import load_settings

    settings = load_settings(data_dir=data_dir, **overrides)
    built = build_feature_tables(tables)
    settings.features_dir.mkdir(parents=True, exist_ok=True)
    for name, frame in built.as_dict().items():
        frame.to_parquet(settings.features_dir / f"{name}.parquet", index=False)
    return settings, built


@pytest.fixture(scope="module")
def applied_store(tmp_path_factory, world_tables):
    """A SQLite-backed feature store with the world's features applied (shared by a module)."""
    from features.feature_store import apply_definitions

    settings, built = write_features(tmp_path_factory.mktemp("store") / "data", world_tables)
    return settings, built, apply_definitions(settings)


@pytest.fixture
def feature_writer():
    """``write_features(data_dir, tables, **settings_overrides) -> (settings, built tables)``."""
    return write_features


@pytest.fixture
def redis_store(tmp_path, world_tables, feature_writer):
    """Feature tables served from the real Redis under a project of their own, removed afterwards."""
    import redis

    from features.feature_store import apply_definitions

    project = f"test_{uuid.uuid4().hex[:12]}"
    settings, built = feature_writer(
        tmp_path / "data",
        world_tables,
        online_store="redis",
        redis_connection_string="127.0.0.1:6379",
        feast_project=project,
    )
    store = apply_definitions(settings, project=project)
    client = redis.Redis(host="127.0.0.1", port=6379)
    yield settings, built, store, client, project
    store.teardown()
    for key in client.scan_iter(b"*" + project.encode()):
        client.delete(key)
    client.close()


@pytest.fixture
def small_asof_job():
    """An as-of schedule the 60-day world can hold: refits every two weeks from day 28 (demand)
    and day 21 (lead time)."""
    from training.recipes import AsOfJob, DemandJob

    return AsOfJob(
        demand=DemandJob(history_days=35, num_boost_round=20),
        demand_refit_days=14,
        demand_min_history_days=28,
        lead_time_refit_days=14,
        lead_time_min_history_days=21,
    )
