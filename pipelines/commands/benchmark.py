"""``backorder benchmark ...``: benchmarks that run the project's own code on external data."""

from __future__ import annotations

import typer

app = typer.Typer(help="Benchmarks on public data sets and the simulated world.", no_args_is_help=True)
