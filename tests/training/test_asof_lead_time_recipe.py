"""The as-of ETAs come from the lead-time recipe that training chooses on the same data, so the
ETA features the classifiers learn from match the model that serves them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import training.world_asof as world_asof
from pipelines.asof_outputs import write_asof_outputs
from settings import load_settings
from simulation import SimulationConfig
from simulation.run import simulate
from training.recipes import LEAD_TIME, AsOfJob, DemandJob
from training.world_asof import asof_lead_time_recipe, asof_po_etas
from training.world_datasets import received_po_lines
from training.world_models import train_lead_time

QUANTILES = ["p10", "p50", "p90"]


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return simulate(SimulationConfig(seed=3, n_skus=30, n_locations=2, n_days=400)).tables


def _whole_days(rows: pd.DataFrame) -> bool:
    values = rows[QUANTILES].to_numpy()
    return bool(np.all(values == np.round(values)))


def _ordered_before(tables: dict[str, pd.DataFrame], days: int) -> dict[str, pd.DataFrame]:
    """The tables as they stood ``days`` days before the last order (by order date)."""
    orders = tables["purchase_orders"]
    until = orders["order_date"].max() - pd.Timedelta(days=days)
    return {**tables, "purchase_orders": orders[orders["order_date"] <= until]}


def _choices(monkeypatch, *recipes: str) -> None:
    """The data choose ``recipes`` in turn, one per choice made."""
    chosen = iter(recipes)
    monkeypatch.setattr(world_asof, "asof_lead_time_recipe", lambda tables, lines: next(chosen))


def test_the_etas_use_the_recipe_training_chose(tables):
    lines = received_po_lines(tables["purchase_orders"], tables["skus"])
    chosen = train_lead_time(LEAD_TIME, lines).record.params["recipe"]
    assert asof_lead_time_recipe(tables, lines) == chosen
    etas = asof_po_etas(tables, AsOfJob())
    assert (etas.recipe, etas.mode) == (chosen, "full")
    assert _whole_days(etas.rows) == (chosen == "scms")  # the SCMS recipe's quantiles are whole days


def test_between_refits_an_extension_keeps_its_recipe_without_choosing_again(tables, monkeypatch):
    first = asof_po_etas(tables, AsOfJob())

    def no_choice(tables, lines):
        raise AssertionError("no refit is due: the recipe is not chosen again")

    monkeypatch.setattr(world_asof, "asof_lead_time_recipe", no_choice)
    again = asof_po_etas(tables, AsOfJob(), first)
    assert (again.mode, again.recipe, again.added) == ("incremental", first.recipe, {"po_lines": 0, "refits": 0})


def test_a_due_refit_chooses_again_and_a_changed_choice_recomputes_every_eta(tables, monkeypatch):
    job = AsOfJob()
    whole = asof_po_etas(tables, job)
    _choices(monkeypatch, "scms", "world")
    earlier = asof_po_etas(_ordered_before(tables, 2 * job.lead_time_refit_days), job)
    assert earlier.recipe == "scms" and _whole_days(earlier.rows)
    # The grown data choose the world's recipe: every ETA is computed again with it.
    redone = asof_po_etas(tables, job, earlier)
    assert (redone.recipe, redone.mode) == ("world", "full")
    assert redone.rows["po_id"].tolist() == whole.rows["po_id"].tolist() and not _whole_days(redone.rows)


def test_tables_below_the_lead_time_minimum_get_the_first_recipe_without_a_choice(tables, monkeypatch):
    def no_choice(job, lines):
        raise AssertionError("no recipe is chosen on data that cannot train the lead-time model")

    monkeypatch.setattr(world_asof, "lead_time_recipe", no_choice)
    short = {**tables, "purchase_orders": tables["purchase_orders"].head(40)}
    lines = received_po_lines(short["purchase_orders"], short["skus"])
    assert asof_lead_time_recipe(short, lines) == "scms"


def test_the_asof_stamp_names_a_recipe_change_as_the_reason_to_start_over(tables, tmp_path, monkeypatch):
    settings = load_settings(data_dir=tmp_path)
    settings.canonical_dir.mkdir(parents=True)

    def load(tables: dict[str, pd.DataFrame]) -> None:
        for name, frame in tables.items():
            frame.to_parquet(settings.canonical_dir / f"{name}.parquet", index=False)

    job = AsOfJob(demand=DemandJob(history_days=35, num_boost_round=20), demand_refit_days=91)
    _choices(monkeypatch, "scms", "world")
    load(_ordered_before(tables, 2 * job.lead_time_refit_days))
    first = write_asof_outputs(settings, job)
    assert first["state"]["po_etas"]["recipe"] == "scms"
    # Later POs arrive (the tables only grew), a refit is due, and the data now choose the world's recipe.
    load(tables)
    second = write_asof_outputs(settings, job)
    assert second["mode"]["po_etas"] == "full" and second["full_because"]["po_etas"] == "lead-time recipe scms -> world"
    assert second["state"]["po_etas"]["recipe"] == "world"
