"""``backorder benchmark scms``: supplier delay quantiles and p_late for open SCMS shipments."""

from __future__ import annotations

from pathlib import Path

import typer


def scms(
    train: Path = typer.Option(
        ..., exists=True, dir_okay=False, help="Delivered shipments (Parquet)."
    ),
    test: Path = typer.Option(..., exists=True, dir_okay=False, help="Open shipments (Parquet)."),
    out: Path = typer.Option(..., help="Output Parquet: id, p10, p50, p90, p_late."),
    cutoff: str | None = typer.Option(None, help="Cut-off date; default = last delivery in TRAIN."),
    check: bool = typer.Option(True, help="Print a time-based validation inside TRAIN first."),
) -> None:
    """Train on TRAIN only; forecast delay_days quantiles and p_late for every TEST row."""
    import pandas as pd

    from contracts.errors import ContractError
    from training.lead_time.scms import predict_open, validate

    history = pd.read_parquet(train)
    open_lines = pd.read_parquet(test)
    if check:
        try:
            table = validate(history)
            typer.echo("internal validation (train = delivered by cut-off, test = still open):")
            typer.echo(table.round(4).to_string(index=False))
        except ValueError as error:
            typer.echo(f"internal validation skipped: {error}")
    try:
        pred, info = predict_open(history, open_lines, pd.Timestamp(cutoff) if cutoff else None)
    except ValueError as error:  # the files do not hold what the model needs
        raise ContractError(f"{train.name}, {test.name}: {error}") from error
    out.parent.mkdir(parents=True, exist_ok=True)
    pred.to_parquet(out, index=False)
    summary = {k: v for k, v in info.items() if k != "features"}
    typer.echo(f"fit: {summary}")
    typer.echo(f"wrote {len(pred)} rows to {out}")
