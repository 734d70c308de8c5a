"""``backorder demo``: the main job end to end on the embedded defaults."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from pipelines.commands.simulate import format_summary, write_simulation
from settings import load_settings
from simulation import scenario_config


def demo(
    config: Path | None = typer.Option(None, help="Settings YAML file."),
    seed: int = typer.Option(0, help="Seed of the simulated world."),
    skus: int = typer.Option(300, min=10, help="SKUs in the world (smaller runs faster)."),
    days: int = typer.Option(730, min=120, help="Days simulated."),
) -> None:
    """Simulate the default world into the canonical tables and report its outcomes."""
    settings = load_settings(config)
    started = time.perf_counter()
    typer.echo(f"[1/1] simulate the default world (seed {seed}) -> {settings.canonical_dir}")
    summary = write_simulation(scenario_config("baseline", seed=seed, n_skus=skus, n_days=days), settings.canonical_dir)
    rows = ", ".join(f"{name} {count:,}" for name, count in summary["rows"].items())
    typer.echo(f"      {rows}")
    typer.echo(f"      {format_summary(summary)}")
    typer.echo(f"done in {time.perf_counter() - started:.0f} s; canonical tables in {settings.canonical_dir}")
