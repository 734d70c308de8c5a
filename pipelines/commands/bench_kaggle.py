"""``backorder benchmark kaggle --train TRAIN --test TEST --out PRED``.

Trains the Kaggle backorder model (``training.risk.kaggle``, recipe ``training.recipes.KAGGLE_RISK``)
on a Kaggle-schema file and scores another one; prints the held-out metrics of the model and its
baselines (the last 10% of TRAIN row order). The cross-check behind the recipe: docs/benchmarks.md.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer


def _format(metrics: dict[str, dict[str, float]]) -> str:
    names = list(next(iter(metrics.values())))
    lines = [f"{'model':<24}" + "".join(f"{n:>15}" for n in names)]
    for model, values in metrics.items():
        lines.append(f"{model:<24}" + "".join(f"{values[n]:>15.4f}" for n in names))
    return "\n".join(lines)


def kaggle(
    train: Path = typer.Option(..., help="Kaggle-schema CSV/Parquet with went_on_backorder."),
    test: Path = typer.Option(..., help="Kaggle-schema CSV/Parquet to score (label not needed)."),
    out: Path = typer.Option(..., help="Parquet output: row, probability."),
    metrics_json: Path | None = typer.Option(None, help="Also write validation metrics as JSON."),
    seeds: int | None = typer.Option(
        None, min=1, help="Boosters averaged per feature view (different seeds); default: the recipe's."
    ),
    backorder_penalty: float | None = typer.Option(None, help="Cost of a missed backorder; default: the recipe's."),
    action_cost: float | None = typer.Option(None, help="Cost of acting on a flagged SKU; default: the recipe's."),
) -> None:
    """Train on TRAIN, score TEST, print held-out metrics of the model and its baselines."""
    from dataclasses import replace

    import numpy as np
    import pandas as pd

    from contracts.errors import ContractError
    from contracts.kaggle import LABEL, read_kaggle
    from pipelines.commands.settings_options import command_settings
    from training.recipes import KAGGLE_RISK
    from training.risk.kaggle import kaggle_probabilities, train_kaggle_risk

    train_table = read_kaggle(train)
    test_table = read_kaggle(test)
    if LABEL not in train_table:
        raise ContractError(f"{train.name}: missing required column {LABEL}")
    given = {"n_seeds": seeds, "backorder_penalty": backorder_penalty, "action_cost": action_cost}
    recipe = replace(KAGGLE_RISK, **{name: value for name, value in given.items() if value is not None})
    run = train_kaggle_risk(train_table, recipe, command_settings().num_threads)
    probability = kaggle_probabilities(run.model, test_table)
    out.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(
        {
            "row": np.arange(len(probability), dtype=np.int64),
            "probability": probability,
        }
    ).to_parquet(out, index=False)

    typer.echo("held-out metrics (last 10% of TRAIN row order):")
    typer.echo(_format(run.metrics))
    typer.echo("reliability curve of the model on those rows (10 quantile bins of the probability):")
    typer.echo(run.tables["reliability_lightgbm"].round(4).to_string(index=False))
    typer.echo(f"cost threshold: {json.dumps({k: round(v, 4) for k, v in run.threshold.items()})}")
    typer.echo(f"wrote {len(probability)} predictions to {out}")
    if metrics_json is not None:
        report = {"metrics": run.metrics, "threshold": run.threshold, "params": run.params}
        metrics_json.write_text(json.dumps(report, indent=2, default=str))
