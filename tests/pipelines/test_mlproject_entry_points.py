"""The MLproject's entry points call real `backorder` commands with options those commands accept."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import typer
import yaml
from typer.core import TyperGroup

from pipelines.cli import app

ROOT = Path(__file__).resolve().parents[2]
STEPS = {
    "main", "simulate", "ingest", "features_asof", "features", "train_risk", "train_sku_risk", "train_demand",
    "train_lead_time", "evaluate", "promote", "monitor", "report", "benchmark",
}
EXAMPLE_VALUES = {"path": str(ROOT / "pyproject.toml"), "string": "x", "float": "1"}  # paths must exist


def _entry_points() -> dict[str, dict]:
    return yaml.safe_load((ROOT / "MLproject").read_text())["entry_points"]


def _rendered(entry: dict) -> str:
    """The command with each parameter's default, or an example value of its type."""
    values = {}
    for name, spec in entry.get("parameters", {}).items():
        spec = spec if isinstance(spec, dict) else {"type": spec}
        values[name] = str(spec["default"]) if "default" in spec else EXAMPLE_VALUES[spec["type"]]
    return entry["command"].format(**values)


def _resolve(argv: list[str]) -> None:
    """Parse ``argv`` against the CLI down to the leaf command, without running it.

    Raises the CLI's usage error for an unknown command, an unknown option or a bad value.
    """
    command = typer.main.get_command(app)
    name = "backorder"
    while isinstance(command, TyperGroup):  # descend into the named subcommand
        found = command.get_command(typer.Context(command), argv[0]) if argv else None
        assert found is not None, f"{name} has no command {argv[:1]}"
        name, command, argv = argv[0], found, argv[1:]
    command.make_context(name, argv)


def test_every_pipeline_step_has_an_entry_point():
    assert STEPS <= set(_entry_points())


@pytest.mark.parametrize("step", sorted(_entry_points()))
def test_entry_point_runs_a_backorder_command_that_accepts_its_parameters(step):
    entry = _entry_points()[step]
    declared = set(entry.get("parameters", {}))
    assert declared == set(re.findall(r"{(\w+)}", entry["command"])), "every parameter is used, none undeclared"
    for part in _rendered(entry).split("&&"):
        argv = shlex.split(part)
        assert argv[0] == "backorder"
        _resolve(argv[1:])  # raises click.UsageError on an unknown command or option


def test_a_wrong_option_is_caught_by_the_resolution():
    with pytest.raises(Exception, match="No such option"):
        _resolve(["train", "risk", "--forse"])
