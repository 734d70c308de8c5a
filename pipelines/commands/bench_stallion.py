"""``backorder benchmark stallion``: monthly volume P10/P50/P90 for every agency x SKU x month."""

from __future__ import annotations

from pathlib import Path

import typer


def stallion(
    train: Path = typer.Option(
        ..., exists=True, dir_okay=False, help="History with volume (Parquet)."
    ),
    future: Path = typer.Option(
        ..., exists=True, dir_okay=False, help="Known covariates (Parquet)."
    ),
    out: Path = typer.Option(..., help="Output Parquet: agency, sku, date, p10, p50, p90."),
    check: bool = typer.Option(True, help="Print rolling-origin backtests inside TRAIN first."),
    model: str = typer.Option(
        "blend",
        help="blend: the P10/P50/P90 of the LightGBM, of the same LightGBM without the series' "
        "identity features and of AutoETS, blended with fixed weights (recipe STALLION_BLEND); "
        "lightgbm: the LightGBM alone; ensemble: the LightGBM combined with statistical models "
        "by weights learnt from earlier windows (recipe STALLION_ENSEMBLE). "
        "Their backtests: docs/benchmarks.md.",
    ),
) -> None:
    """Fit on TRAIN; forecast every FUTURE row from its known-in-advance covariates."""
    import pandas as pd

    from contracts.errors import ContractError
    from training.forecasting.stallion import (
        covariate_roles,
        forecast_rows,
        future_long,
        months_ahead,
        stallion_spec,
        to_long,
        validate,
    )
    from training.recipes import STALLION_BLEND, STALLION_ENSEMBLE

    choices = {"blend": STALLION_BLEND, "lightgbm": None, "ensemble": STALLION_ENSEMBLE}
    if model not in choices:
        raise typer.BadParameter(f"must be one of {', '.join(choices)}", param_hint="--model")

    raw_train, raw_future = pd.read_parquet(train), pd.read_parquet(future)
    try:
        known, past = covariate_roles(raw_train, raw_future)
        history = to_long(raw_train, known + past)
        rows = future_long(raw_future, known)
    except ValueError as error:  # the files do not hold what the model needs
        raise ContractError(f"{train.name}, {future.name}: {error}") from error
    spec = stallion_spec(known, past, months_ahead(history["ds"].max(), rows["ds"]))
    windows = None
    if check:
        try:
            table, windows = validate(
                history, spec, STALLION_ENSEMBLE, with_ensemble=model == "ensemble", blend=STALLION_BLEND
            )
            typer.echo(
                "internal validation (rolling origins inside TRAIN, mean and spread over the last "
                "two windows; coverage = share of actuals inside [p10, p90]):"
            )
            typer.echo(table.round(3).to_string(index=False))
        except ValueError as error:
            typer.echo(f"internal validation skipped: {error}")
    pred = forecast_rows(history, rows, spec, choices[model], windows)
    out.parent.mkdir(parents=True, exist_ok=True)
    pred[["agency", "sku", "date", "p10", "p50", "p90"]].to_parquet(out, index=False)
    typer.echo(
        f"wrote {len(pred)} rows to {out} (horizon {spec.horizon} months, "
        f"model {pred['model'].iloc[0] if len(pred) else model})"
    )
