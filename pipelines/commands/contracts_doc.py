"""``backorder contracts-doc``: regenerate docs/data-contracts.md from the schemas."""

from __future__ import annotations

from pathlib import Path

import typer

from contracts.docs import render_contract_docs

DEFAULT_OUT = Path(__file__).resolve().parents[2] / "docs" / "data-contracts.md"


def contracts_doc(out: Path = typer.Option(DEFAULT_OUT, help="Markdown file to write.")) -> None:
    """Write the data-contract documentation generated from contracts/tables.py."""
    out.write_text(render_contract_docs())
    typer.echo(f"wrote {out}")
