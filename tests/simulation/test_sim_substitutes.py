"""Substitutes: drawn by seed within a category, offered only when a policy asks, taken from stock."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from simulation import BaselinePolicy, SimulationConfig
from simulation.demand import generate_demand
from simulation.engine import run, substitute
from simulation.supply import generate_supply
from simulation.world import CATEGORIES, generate_world, world_tables

CONFIG = SimulationConfig(seed=11, n_skus=30, n_locations=2, n_suppliers=5, n_days=120, n_customers=60,
                          substitute_share=0.8)


@pytest.fixture(scope="module")
def world_parts():
    world = generate_world(CONFIG)
    return world, generate_demand(world), generate_supply(world)


def test_substitutes_are_other_skus_of_the_same_category_and_the_same_for_a_seed():
    table = world_tables(generate_world(CONFIG))["sku_substitutes"]
    skus = world_tables(generate_world(CONFIG))["skus"].set_index("sku_id")["category"]
    assert len(table) > 0 and (table["sku_id"] != table["substitute_sku_id"]).all()
    assert (skus[table["sku_id"]].to_numpy() == skus[table["substitute_sku_id"]].to_numpy()).all()
    assert set(table.groupby("sku_id")["priority"].min()) == {1}
    pd.testing.assert_frame_equal(table, world_tables(generate_world(CONFIG))["sku_substitutes"])
    other = world_tables(generate_world(replace(CONFIG, seed=12)))["sku_substitutes"]
    assert not table.equals(other)
    assert world_tables(generate_world(replace(CONFIG, substitute_share=0.0)))["sku_substitutes"].empty
    assert set(skus) <= set(CATEGORIES)


def test_a_short_line_takes_free_stock_of_its_substitutes_in_preference_order():
    # 1 SKU-location per SKU; SKU 0's substitutes: SKU 1 (first), then SKU 2
    substitutes = np.array([[1, 2], [-1, -1], [-1, -1]])
    free = np.array([0, 3, 10])
    taken = substitute(substitutes, 1, free, np.array([0, 0]), np.array([5, 4]), np.array([True, False]), None)
    # line 0 (splits allowed) takes SKU 1's 3 units, then 2 of SKU 2; line 1 (whole lines only)
    # cannot get 4 from SKU 1 (none left) but gets them whole from SKU 2
    assert taken.tolist() == [5, 4] and free.tolist() == [0, 0, 4]


def test_substitution_ships_more_from_the_same_stock_and_only_when_the_policy_asks(world_parts):
    world, demand, draws = world_parts
    plain = run(world, demand, draws, BaselinePolicy.from_config(CONFIG))
    offered = run(world, demand, draws, replace(BaselinePolicy.from_config(CONFIG), substitute=True))
    assert plain.line_substituted.sum() == 0 and offered.line_substituted.sum() > 0
    for log in (plain, offered):  # no transfers: stock in = stock out + stock left
        po = log.purchase_orders
        received = po["received_quantity"][po["arrival_day"] < CONFIG.n_days].sum()
        assert log.initial_on_hand.sum() + received - log.line_shipped.sum() == log.on_hand[-1].sum()
    assert (offered.line_substituted <= offered.line_shipped).all()
    assert offered.line_backordered.sum() < plain.line_backordered.sum()
