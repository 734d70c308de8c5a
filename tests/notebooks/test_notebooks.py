"""Every notebook runs top to bottom against the installed package."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

# Notebooks with their own test, which also checks what they show, are not run twice.
OWN_TESTS = {"02_retrain_evaluate_promote.ipynb"}
NOTEBOOKS = sorted(
    p for p in (Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb") if p.name not in OWN_TESTS
)


@pytest.mark.slow
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_executes_without_error(notebook, tmp_path):
    nb = nbformat.read(notebook, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    errors = [o for cell in nb.cells for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
