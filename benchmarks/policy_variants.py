"""Compare variants of the model-driven policy on one seeded world against the ERP baseline.

    .venv/bin/python benchmarks/policy_variants.py --seed 0 --variant both:56:14:0.90 --variant none:0:0:0.90

A variant is ``name:launch_window:supplier_window:service_level[:overdue_tail[:substitute]]``
(windows in days, 0 = off; ``overdue_tail`` and ``substitute`` 1 or 0, default ``POLICY``'s); the
rest of a variant is ``POLICY``. Each line prints the variant's figures relative to the baseline
(``vs_baseline``), its backordered units and fill rate, the baseline's, and the units shipped from
substitutes (``substituted_units``; a substituted unit leaves the substitute's stock, which may
then backorder its own lines).
The history, the baseline replay and the model training run once and are shared by every
variant, so a variant costs one model replay instead of a whole ``backorder benchmark policy``;
the figures are the command's (same ``trained_policy`` path). Used for the choices made on the
tuning seeds (docs/decisions.md).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace

import pandas as pd

from policy import POLICY
from policy.benchmark import trained_policy
from simulation import BaselinePolicy, SimulationConfig
from simulation.run import checkpoint
from training.closed_loop import train_world_models


def relative(model: dict[str, float], baseline: dict[str, float]) -> dict[str, float]:
    """Backordered units, total cost and average inventory value relative to the baseline."""
    names = ("backordered_units", "total_cost", "avg_inventory_value")
    return {name: round(model[name] / baseline[name] - 1, 4) for name in names}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--variant", action="append", required=True, help="name:launch:supplier:service[:overdue]")
    parser.add_argument("--history-days", type=int, default=365)
    args = parser.parse_args()
    config = SimulationConfig(seed=args.seed)
    start = checkpoint(config, args.history_days, BaselinePolicy.from_config(config))
    baseline = start.resume(BaselinePolicy.from_config(config)).metrics
    models = train_world_models(start.history_tables(), pd.Timestamp(start.world.date(start.cutoff)))
    for variant in args.variant:
        name, launch, supplier, service, *flags = variant.split(":")
        parameters = replace(
            POLICY,
            launch_window=int(launch),
            supplier_window=int(supplier),
            service_level=float(service),
            overdue_tail=bool(int(flags[0])) if flags else POLICY.overdue_tail,
            substitute=bool(int(flags[1])) if len(flags) > 1 else POLICY.substitute,
        )
        model = start.resume(trained_policy(start, models, parameters)).metrics
        absolute = {k: model[k] for k in ("backordered_units", "fill_rate", "substituted_units")}
        print(json.dumps({"seed": args.seed, "variant": name, "vs_baseline": relative(model, baseline), **absolute,
                          "baseline": {k: baseline[k] for k in ("backordered_units", "fill_rate")}}), flush=True)


if __name__ == "__main__":
    main()
