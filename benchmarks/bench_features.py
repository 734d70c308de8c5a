"""Feature build time, point-in-time join time and online read latency.

Usage: .venv/bin/python benchmarks/bench_features.py [--scales 1 10] [--pit-rows 1000000]
       [--online-calls 2000] [--skip-redis] [--online-only]

Scale 1 is the default world (300 SKUs x 4 DCs x 730 days), scale 10 has 3,000 SKUs. The canonical
tables are generated synthetically here (canonical columns and dtypes, plausible volumes), so the
figures measure the feature code, not the simulator. Each build runs in a child process so its peak
memory (VmHWM) is its own. Targets on 2 cores: scale 1 < 30 s, scale 10 < 5 min, 1M-row PIT join
< 60 s, online read of 10 entities < 3 ms p99.

Online reads are timed on two paths for 1 and 10 entities, on SQLite and on Redis: Feast's
``FeatureStore.get_online_features`` (feature service resolved once, ``.to_df()``) and the service's
``OnlineReader.read``. ``--online-only`` builds scale 1 and runs only the online section (no
PIT join).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import uuid
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
START = pd.Timestamp("2023-01-01")


def synthetic_world(scale: int, days: int = 730, seed: int = 0) -> dict[str, pd.DataFrame]:
    """Canonical-like tables: 300*scale SKUs, 4 DCs, 20*scale suppliers, ``days`` days."""
    rng = np.random.default_rng(seed)
    n_sku, n_loc, n_sup = 300 * scale, 4, 20 * scale
    sku = np.array([f"SKU-{i:06d}" for i in range(n_sku)], dtype=object)
    loc = np.array([f"DC-{i}" for i in range(n_loc)], dtype=object)
    sup = np.array([f"SUP-{i:04d}" for i in range(n_sup)], dtype=object)
    end = START + pd.Timedelta(days=days - 1)
    cells = n_sku * n_loc
    cell_sku, cell_loc = np.repeat(np.arange(n_sku), n_loc), np.tile(np.arange(n_loc), n_sku)

    primary = rng.integers(0, n_sup, n_sku)
    lead = rng.integers(5, 30, n_sku)
    alt = rng.random(n_sku) < 0.5
    alt_sup = (primary + 1 + rng.integers(0, n_sup - 1, n_sku)) % n_sup
    sku_suppliers = pd.DataFrame(
        {
            "sku_id": np.concatenate([sku, sku[alt]]),
            "supplier_id": np.concatenate([sup[primary], sup[alt_sup[alt]]]),
            "is_primary": np.concatenate([np.ones(n_sku, bool), np.zeros(alt.sum(), bool)]),
            "quoted_lead_time_days": np.concatenate([lead, lead[alt] + 5]),
            "unit_cost": 1.0,
            "moq": 10,
            "expedite_days_saved": pd.array([pd.NA] * (n_sku + alt.sum()), "Int64"),
            "expedite_cost_per_unit": np.nan,
        }
    )

    snap_day = np.tile(np.arange(days), cells)
    snap_cell = np.repeat(np.arange(cells), days)
    on_hand = rng.poisson(20, len(snap_day))
    snapshots = pd.DataFrame(
        {
            "snapshot_date": START + pd.to_timedelta(snap_day, unit="D"),
            "sku_id": sku[cell_sku[snap_cell]],
            "location_id": loc[cell_loc[snap_cell]],
            "on_hand": on_hand,
            "allocated": rng.integers(0, 3, len(snap_day)).clip(max=on_hand),
            "in_transit": 0,
            "backordered": (rng.random(len(snap_day)) < 0.05) * rng.poisson(3, len(snap_day)),
        }
    )

    rate = rng.lognormal(-1.0, 0.8, cells)
    n_lines = rng.poisson(rate * days)
    line_cell = np.repeat(np.arange(cells), n_lines)
    line_day = rng.integers(0, days, len(line_cell))
    n = len(line_cell)
    qty = 1 + rng.geometric(0.4, n)
    ship_day = line_day + rng.integers(0, 5, n)
    order_ids = np.array([f"O-{i:09d}" for i in range(n)], dtype=object)
    orders = pd.DataFrame(
        {
            "order_id": order_ids,
            "customer_id": "C-1",
            "customer_tier": np.array(["gold", "silver", "bronze"], dtype=object)[
                rng.integers(0, 3, n)
            ],
            "order_time": START
            + pd.to_timedelta(line_day * 86400 + rng.integers(0, 86400, n), unit="s"),
            "allow_split": True,
        }
    )
    shipped = pd.Series(START + pd.to_timedelta(ship_day, unit="D")).where(ship_day < days)
    order_lines = pd.DataFrame(
        {
            "order_id": order_ids,
            "line_id": "1",
            "sku_id": sku[cell_sku[line_cell]],
            "location_id": loc[cell_loc[line_cell]],
            "quantity": qty,
            "requested_date": START + pd.to_timedelta(line_day + rng.integers(1, 8, n), unit="D"),
            "shipped_quantity": pd.array(np.where(ship_day < days, qty, 0), "Int64"),
            "shipped_date": shipped,
            "backordered_quantity": pd.array(np.where(rng.random(n) < 0.05, qty, 0), "Int64"),
        }
    )

    n_po = cells * days // 14
    po_cell = rng.integers(0, cells, n_po)
    po_day = rng.integers(0, days, n_po)
    po_lead = lead[cell_sku[po_cell]]
    recv_day = po_day + po_lead + rng.integers(-2, 7, n_po)
    received = recv_day < days
    po_ids = np.array([f"PO-{i:08d}" for i in range(n_po)], dtype=object)
    purchase_orders = pd.DataFrame(
        {
            "po_id": po_ids,
            "supplier_id": sup[primary[cell_sku[po_cell]]],
            "sku_id": sku[cell_sku[po_cell]],
            "location_id": loc[cell_loc[po_cell]],
            "quantity": 50,
            "order_date": START + pd.to_timedelta(po_day, unit="D"),
            "promised_date": START + pd.to_timedelta(po_day + po_lead, unit="D"),
            "received_date": pd.Series(START + pd.to_timedelta(recv_day, unit="D")).where(received),
            "received_quantity": pd.array(
                np.where(received, rng.integers(40, 51, n_po), 0), "Int64"
            ),
            "is_expedited": pd.array([False] * n_po, "boolean"),
        }
    )
    purchase_orders.loc[~received, "received_quantity"] = pd.NA
    has_asn = rng.random(n_po) < 0.7
    asn_day = np.maximum(po_day, recv_day - 2)[has_asn]
    asn_events = pd.DataFrame(
        {
            "asn_id": np.array([f"A-{i:08d}" for i in range(has_asn.sum())], dtype=object),
            "po_id": po_ids[has_asn],
            "event_time": START + pd.to_timedelta(asn_day * 24 + 10, unit="h"),
            "eta": START + pd.to_timedelta(recv_day[has_asn], unit="D"),
            "quantity": 50,
        }
    )
    asn_events = asn_events[asn_day < days]

    n_promo = cells * 6
    promo_cell = rng.integers(0, cells, n_promo)
    promo_start = rng.integers(10, days, n_promo)
    promotions = pd.DataFrame(
        {
            "promotion_id": np.array([f"P-{i:07d}" for i in range(n_promo)], dtype=object),
            "sku_id": sku[cell_sku[promo_cell]],
            "location_id": loc[cell_loc[promo_cell]],
            "announced_date": START + pd.to_timedelta(promo_start - 10, unit="D"),
            "start_date": START + pd.to_timedelta(promo_start, unit="D"),
            "end_date": START
            + pd.to_timedelta(promo_start + rng.integers(2, 10, n_promo), unit="D"),
            "discount_pct": 0.15,
        }
    )
    suppliers = pd.DataFrame({"supplier_id": sup, "name": sup, "country": "US"})
    assert end >= START
    return {
        "inventory_snapshots": snapshots,
        "orders": orders,
        "order_lines": order_lines,
        "purchase_orders": purchase_orders,
        "asn_events": asn_events,
        "promotions": promotions,
        "sku_suppliers": sku_suppliers,
        "suppliers": suppliers,
    }


def peak_rss_mb() -> float:
    return int(Path("/proc/self/status").read_text().split("VmHWM:")[1].split()[0]) / 1024


def bench_build(scale: int, out_dir: Path) -> dict[str, object]:
    """One build in this process, streamed to Parquet in ``out_dir`` as ``features build`` does."""
    from features.build import iter_feature_tables
    from pipelines.commands.features import feature_table_layouts
    from pipelines.tables import write_table_pieces

    t0 = time.perf_counter()
    world = synthetic_world(scale)
    generated = time.perf_counter() - t0
    t0 = time.perf_counter()
    rows = write_table_pieces(iter_feature_tables(world), out_dir, feature_table_layouts())
    seconds = time.perf_counter() - t0
    return {
        "scale": scale,
        "snapshot_rows": len(world["inventory_snapshots"]),
        "order_lines": len(world["order_lines"]),
        "purchase_orders": len(world["purchase_orders"]),
        "feature_rows": rows["sku_location_features"],
        "generate_s": round(generated, 1),
        "build_s": round(seconds, 1),
        "peak_rss_mb": round(peak_rss_mb()),
    }


def _latency(read, calls: int, warmup: int = 50) -> tuple[float, float]:
    for _ in range(warmup):
        read()
    times = []
    for _ in range(calls):
        t0 = time.perf_counter()
        read()
        times.append((time.perf_counter() - t0) * 1000)
    return float(np.percentile(times, 50)), float(np.percentile(times, 99))


def _load_average() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def bench_store(
    data_dir: Path, pit_rows: int, calls: int, redis: bool, pit: bool = True
) -> list[dict[str, object]]:
    """PIT join on ``pit_rows`` entity rows (unless not ``pit``) and online reads, on the features
    in ``data_dir``."""
    from features.feature_store import (
        OnlineReader,
        apply_definitions,
        historical_features,
        materialize,
    )
    from settings import load_settings

    results: list[dict[str, object]] = []
    settings = load_settings(data_dir=data_dir)
    store = apply_definitions(settings)
    features = pd.read_parquet(
        settings.features_dir / "sku_location_features.parquet",
        columns=["sku_id", "location_id", "event_timestamp"],
    )
    keys = features[["sku_id", "location_id"]].drop_duplicates().reset_index(drop=True)
    # Order-line-like entity rows: random SKU-locations at random moments (not midnight).
    rng = np.random.default_rng(1)
    first, last = features["event_timestamp"].min(), features["event_timestamp"].max()
    seconds = rng.integers(0, int((last - first).total_seconds()), pit_rows)
    entities = keys.iloc[rng.integers(0, len(keys), pit_rows)].reset_index(drop=True)
    entities["event_timestamp"] = first + pd.to_timedelta(seconds, unit="s")
    if pit:
        t0 = time.perf_counter()
        joined = historical_features(store, entities, "sku_location_risk_v1")
        results.append(
            {
                "pit_join_rows": len(joined),
                "features": joined.shape[1] - entities.shape[1],
                "pit_join_s": round(time.perf_counter() - t0, 1),
            }
        )
    stores = [("sqlite", store)]
    project = f"bench_{uuid.uuid4().hex[:8]}"
    if redis:
        redis_settings = load_settings(data_dir=data_dir, online_store="redis")
        stores.append(("redis", apply_definitions(redis_settings, project=project)))
    for name, online_store in stores:
        t0 = time.perf_counter()
        since = (last - pd.Timedelta(days=3)).to_pydatetime()
        materialize(online_store, since, last.to_pydatetime())
        loaded = time.perf_counter() - t0
        reader = OnlineReader(online_store, "sku_location_risk_v1")
        service = online_store.get_feature_service("sku_location_risk_v1")

        def feast_read(records: list[dict[str, object]], store=online_store, service=service) -> pd.DataFrame:
            return store.get_online_features(features=service, entity_rows=records).to_df()

        for n in (1, 10):
            rows = keys.iloc[:n]
            paths = {
                "get_online_features": partial(feast_read, rows.to_dict("records")),
                "OnlineReader.read": partial(reader.read, rows),
            }
            for path, read in paths.items():
                load = _load_average()
                p50, p99 = _latency(read, calls)
                results.append(
                    {
                        "online_store": name,
                        "path": path,
                        "entities": n,
                        "features": len(reader.feature_names),
                        "calls": calls,
                        "p50_ms": round(p50, 2),
                        "p99_ms": round(p99, 2),
                        "load_avg_1m": round(max(load, _load_average()), 2),
                        "materialize_s": round(loaded, 1),
                    }
                )
    if redis:
        stores[-1][1].teardown()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 10])
    parser.add_argument("--pit-rows", type=int, default=1_000_000)
    parser.add_argument("--online-calls", type=int, default=2000)
    parser.add_argument("--skip-redis", action="store_true")
    parser.add_argument(
        "--online-only", action="store_true", help="build scale 1 and time only the online reads (no PIT join)"
    )
    parser.add_argument("--child-build", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_build:
        print(json.dumps(bench_build(args.child_build, args.out)))
        return
    scales = [1] if args.online_only else args.scales
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        for scale in scales:
            out = data_dir / "features" if scale == 1 else Path(tmp) / f"scale{scale}"
            cmd = [sys.executable, __file__, "--child-build", str(scale), "--out", str(out)]
            child = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
            if child.returncode != 0:
                print(json.dumps({"scale": scale, "error": child.stderr[-2000:]}))
                continue
            print(child.stdout.strip().splitlines()[-1], flush=True)
        if (data_dir / "features").exists():
            rows = bench_store(
                data_dir, args.pit_rows, args.online_calls, not args.skip_redis, pit=not args.online_only
            )
            for row in rows:
                print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
