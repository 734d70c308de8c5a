"""The canonical tables as known at the end of a day."""

from __future__ import annotations

import pandas as pd

from contracts.known_at import HistoryDigests, tables_digest, tables_known_at
from tests.features.conftest import START, make_world


def test_rows_after_the_day_are_dropped_and_later_outcomes_cleared():
    world = make_world(days=40, seed=3)
    day = START + pd.Timedelta(days=20)
    known = tables_known_at(world, day)
    assert known["inventory_snapshots"]["snapshot_date"].max() == day
    assert (known["orders"]["order_time"] < day + pd.Timedelta(days=1)).all()
    assert set(known["order_lines"]["order_id"]) == set(known["orders"]["order_id"])
    pos = known["purchase_orders"]
    assert (pos["order_date"] <= day).all()
    assert (pos["received_date"].isna() | (pos["received_date"] <= day)).all()
    assert pos.loc[pos["received_date"].isna(), "received_quantity"].isna().all()
    later = world["purchase_orders"]["received_date"] > day
    assert (
        later.any()
        and pos["received_date"].isna().sum() >= (later & (world["purchase_orders"]["order_date"] <= day)).sum()
    )
    lines = known["order_lines"]
    assert (lines["shipped_date"].isna() | (lines["shipped_date"] <= day)).all()
    assert known["suppliers"].equals(world["suppliers"])


def test_the_digest_of_a_day_ignores_later_facts_and_sees_changed_ones():
    world = make_world(days=40, seed=3)
    day = START + pd.Timedelta(days=20)
    earlier = tables_known_at(world, day)
    assert HistoryDigests(earlier).at(day) == HistoryDigests(world).at(day)
    assert HistoryDigests(world).at(day) == tables_digest(earlier)  # from row hashes, the same digest
    changed = {**world, "inventory_snapshots": world["inventory_snapshots"].assign(on_hand=lambda f: f["on_hand"] + 1)}
    assert HistoryDigests(changed).at(day) != HistoryDigests(world).at(day)


def test_digests_of_several_days_from_one_hashing_are_those_of_each_day_known_then():
    world = make_world(days=40, seed=3)
    digests = HistoryDigests(world)
    for offset in (25, 10, 39):
        day = START + pd.Timedelta(days=offset)
        assert digests.at(day) == tables_digest(tables_known_at(world, day))
    assert digests.at(START + pd.Timedelta(days=10)) != digests.at(START + pd.Timedelta(days=25))
