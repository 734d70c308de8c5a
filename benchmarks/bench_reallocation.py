"""Time the reallocation LP on a synthetic network of many SKU-locations and print the figures.

    .venv/bin/python benchmarks/bench_reallocation.py                      # 1,000 SKUs x 5 DCs
    .venv/bin/python benchmarks/bench_reallocation.py --skus 10000 --locations 5

Stock is drawn so that roughly a third of the SKU-locations run short and a third hold surplus;
every pair of locations is joined by a lane. Figures: LP size, time inside HiGHS and end to end
(validation, LP build, solve, reasons), and the effect of the plan on expected backorders.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

import decisions.reallocation as reallocation

AS_OF = pd.Timestamp("2026-12-01")


def synthetic_network(
    n_skus: int, n_locations: int, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    locs = [f"DC{i}" for i in range(n_locations)]
    n = n_skus * n_locations
    p50 = rng.gamma(2.0, 25.0, n)
    spread = rng.uniform(0.15, 0.6, n)
    positions = pd.DataFrame(
        {
            "sku_id": np.repeat([f"SKU{k:05d}" for k in range(n_skus)], n_locations),
            "location_id": np.tile(locs, n_skus),
            "on_hand": np.round(p50 * rng.uniform(0.2, 2.5, n)).astype(int),
            "allocated": 0,
            "demand_p10": p50 * (1 - spread),
            "demand_p50": p50,
            "demand_p90": p50 * (1 + 1.3 * spread),
            "safety_stock": np.round(0.2 * p50),
            "need_date": AS_OF + pd.to_timedelta(rng.integers(2, 14, n), unit="D"),
            "backorder_penalty": np.repeat(rng.uniform(5, 60, n_skus), n_locations),
            "backorder_probability": rng.uniform(0, 1, n),
        }
    )
    lanes = pd.DataFrame(
        [
            (a, b, int(rng.integers(1, 6)), float(rng.uniform(0.5, 6)))
            for a in locs
            for b in locs
            if a != b
        ],
        columns=["from_location_id", "to_location_id", "transit_days", "cost_per_unit"],
    )
    return positions, lanes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skus", type=int, default=1000)
    parser.add_argument("--locations", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    positions, lanes = synthetic_network(args.skus, args.locations, args.seed)

    solver_calls: list[tuple[float, int, int]] = []
    real_linprog = reallocation.linprog

    def timed_linprog(c, A_ub, **kwargs):  # noqa: N803 (scipy's argument name)
        start = time.perf_counter()
        res = real_linprog(c, A_ub=A_ub, **kwargs)
        solver_calls.append((time.perf_counter() - start, A_ub.shape[0], A_ub.shape[1]))
        return res

    reallocation.linprog = timed_linprog
    totals = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        plan = reallocation.plan_transfers(positions, lanes, AS_OF)
        totals.append(time.perf_counter() - start)
    reallocation.linprog = real_linprog

    solve, rows, cols = solver_calls[-1]
    per_dest = plan.drop_duplicates(["sku_id", "location_id"])
    print(
        f"SKU-locations: {len(positions):,} ({args.skus:,} SKUs x {args.locations} locations), "
        f"lanes: {len(lanes)}"
    )
    print(f"LP: {rows:,} constraints x {cols:,} variables")
    print(
        f"HiGHS solve: median {np.median([s for s, _, _ in solver_calls]):.3f} s; "
        f"end to end plan_transfers: median {np.median(totals):.3f} s (min {min(totals):.3f}) "
        f"over {args.repeats} runs"
    )
    print(
        f"transfers: {len(plan):,}, units moved: {plan['quantity'].sum():,.0f}, "
        f"destinations served: {len(per_dest):,}"
    )
    print(
        f"expected backorder units at served destinations: "
        f"{per_dest['expected_backorders_before'].sum():,.0f} -> "
        f"{per_dest['expected_backorders_after'].sum():,.0f}"
    )
    print(
        f"expected penalty avoided: {plan['expected_cost_avoided'].sum():,.0f}, "
        f"transfer cost: {plan['cost'].sum():,.0f}, net benefit: {plan['net_benefit'].sum():,.0f}"
    )


if __name__ == "__main__":
    main()
