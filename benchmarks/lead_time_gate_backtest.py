"""What the lead-time promotion gate makes serve, judged on lines it had not seen.

For each seed a world is simulated (``--skus`` x ``--locations``, ``--days`` days, the ERP
baseline policy). Its PO lines are cut back to what was known ``--decide-days-back`` days before
the last receipt (lines ordered by then, receipts after then not yet known), and ``train_lead_time``
runs on them as ``backorder train lead-time`` would that day: the recipe chosen, the model scored
at its cut-offs beside its baselines. The gate's rule (``baseline_comparisons``, beat every
baseline's mean pinball loss) then decides twice: against the supplier delay quantiles as served
without a champion (the gate's baseline) and against the plain per-supplier quantiles (the gate's
baseline before). What each decision makes serve, the model or the served supplier quantiles, is
scored afterwards on the lines open at each of ``--score-days-back`` days before the last receipt
(the model refitted there, as a nightly refit would), all of them later than anything the decision
saw. Prints the decisions per world, the pinball loss of what serves per (seed, cut-off) and the
paired difference between the two gates with spread and wins.

    .venv/bin/python benchmarks/lead_time_gate_backtest.py --seeds 0 1 2 3 4 5
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from simulation import SimulationConfig  # noqa: E402
from simulation.run import simulate  # noqa: E402
from training.lead_time.baselines import supplier_quantile_baseline  # noqa: E402
from training.lead_time.evaluate import score_delays  # noqa: E402
from training.lead_time.features import as_datetime  # noqa: E402
from training.lead_time.holdouts import (  # noqa: E402
    MODEL,
    SERVED_SUPPLIER_QUANTILES,
    last_receipt,
    lead_time_holdout,
    lines_open_at,
)
from training.promotion import baseline_comparisons  # noqa: E402
from training.recipes import LEAD_TIME, LEAD_TIME_RECIPES, LEAD_TIME_SPEC  # noqa: E402
from training.world_datasets import received_po_lines  # noqa: E402
from training.world_models import train_lead_time  # noqa: E402

SPEC = LEAD_TIME_SPEC
GATES = ("served quantiles", "plain quantiles")


def known_on(lines: pd.DataFrame, day: pd.Timestamp) -> pd.DataFrame:
    """The PO lines as they were known on ``day``: ordered by then, received only if by then."""
    received = as_datetime(lines[SPEC.received_col])
    ordered = lines[as_datetime(lines[SPEC.order_col]) <= day]
    return ordered.assign(**{SPEC.received_col: received[ordered.index].where(received[ordered.index] <= day)})


def plain_quantiles_pinball(lines: pd.DataFrame, cutoffs: list[str]) -> float:
    """Mean over ``cutoffs`` of the plain per-supplier quantiles' pinball loss on the lines open
    at each (the gate's former baseline, scored as training scores its baselines)."""
    losses = []
    for cutoff in map(pd.Timestamp, cutoffs):
        history, hidden, truth = lines_open_at(lines, SPEC, cutoff)
        losses.append(score_delays(truth, supplier_quantile_baseline(history, hidden, SPEC))["pinball"])
    return float(np.mean(losses))


def world_gates(seed: int, args: argparse.Namespace) -> tuple[dict, pd.DataFrame]:
    """One world's decisions (model and baseline losses, recipe, promoted under each gate) and the
    loss of what each gate serves at every later cut-off."""
    config = SimulationConfig(seed=seed, n_skus=args.skus, n_locations=args.locations, n_days=args.days)
    tables = simulate(config).tables
    lines = received_po_lines(tables["purchase_orders"], tables["skus"])
    end = last_receipt(lines, SPEC)
    decided = (end - pd.Timedelta(days=args.decide_days_back)).normalize()
    known = known_on(lines, decided)
    record = train_lead_time(LEAD_TIME, known).record
    metrics = dict(record.metrics)
    plain = plain_quantiles_pinball(known, record.params["scored_cutoffs"])
    against_plain = {**metrics, f"{SERVED_SUPPLIER_QUANTILES}.pinball": plain}
    promoted = {
        gate: all(c.beaten for c in baseline_comparisons(m, "pinball", higher_is_better=False))
        for gate, m in zip(GATES, (metrics, against_plain), strict=True)
    }
    decision = {
        "seed": seed, "decided": str(decided.date()), "recipe": record.params["recipe"],
        "model": metrics["pinball"], "served quantiles": metrics[f"{SERVED_SUPPLIER_QUANTILES}.pinball"],
        "plain quantiles": plain, **{f"promoted vs {gate}": promoted[gate] for gate in GATES},
    }
    rows = []
    for days_back in args.score_days_back:
        cutoff = (end - pd.Timedelta(days=days_back)).normalize()
        scores = lead_time_holdout(lines, SPEC, cutoff, LEAD_TIME_RECIPES[record.params["recipe"]]).scores
        loss = scores.set_index("model")["pinball"]
        served = {gate: loss[MODEL] if promoted[gate] else loss[SERVED_SUPPLIER_QUANTILES] for gate in GATES}
        rows.append({"seed": seed, "days_back": days_back, "model": loss[MODEL],
                     "served quantiles": loss[SERVED_SUPPLIER_QUANTILES],
                     **{f"serves, gate vs {gate}": served[gate] for gate in GATES}})
    return decision, pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4, 5])
    parser.add_argument("--skus", type=int, default=300)
    parser.add_argument("--locations", type=int, default=4)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--decide-days-back", type=int, default=90)
    parser.add_argument("--score-days-back", nargs="+", type=int, default=[30, 60, 90])
    args = parser.parse_args()
    if max(args.score_days_back) > args.decide_days_back:
        parser.error("--score-days-back: every cut-off must come on or after the decision day")
    started = time.perf_counter()
    results = [world_gates(seed, args) for seed in args.seeds]
    decisions = pd.DataFrame([d for d, _ in results])
    served = pd.concat([s for _, s in results], ignore_index=True)
    print("decisions (mean pinball loss over the training run's cut-offs):")
    print(decisions.round(3).to_string(index=False))
    print("\npinball loss of what serves on the lines open at each later cut-off:")
    print(served.round(3).to_string(index=False))
    difference = served[f"serves, gate vs {GATES[0]}"] - served[f"serves, gate vs {GATES[1]}"]
    print(f"\nover {len(served)} (seed, cut-off) pairs: gate vs {GATES[0]} minus gate vs {GATES[1]} "
          f"{difference.mean():+.4f} ± {difference.std(ddof=1):.4f}, lower in {(difference < 0).sum()}, "
          f"higher in {(difference > 0).sum()}")
    for column in ("model", "served quantiles", *(f"serves, gate vs {gate}" for gate in GATES)):
        print(f"{column}: {served[column].mean():.4f} ± {served[column].std(ddof=1):.4f}")
    print(f"\n{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
