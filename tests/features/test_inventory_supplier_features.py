"""Inventory position, supplier and lane features count only what was known at the end of day t."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.build import calendar_of, lane_table, sku_location_table, supplier_table
from features.demand import order_demand

DAY0 = pd.Timestamp("2024-03-01")


def day(n: int) -> pd.Timestamp:
    return DAY0 + pd.Timedelta(days=n)


def _po(
    po_id, order, promised, received=None, qty=10, received_qty=None, supplier="S-1", sku="SKU-1"
):
    return {
        "po_id": po_id,
        "supplier_id": supplier,
        "sku_id": sku,
        "location_id": "DC-1",
        "quantity": qty,
        "order_date": day(order),
        "promised_date": day(promised),
        "received_date": day(received) if received is not None else pd.NaT,
        "received_quantity": (received_qty if received_qty is not None else qty)
        if received is not None
        else pd.NA,
        "is_expedited": False,
    }


@pytest.fixture
def position_inputs(frame_of):
    snaps = [
        {
            "snapshot_date": day(d),
            "sku_id": "SKU-1",
            "location_id": "DC-1",
            "on_hand": 20,
            "allocated": 5,
            "in_transit": 2,
            "backordered": 1,
        }
        for d in range(30)
    ]
    pos = [
        _po("PO-1", order=3, promised=10, received=12, qty=10),  # open on days 3..11
        _po("PO-2", order=5, promised=25, qty=7),  # open from day 5, ETA moved by ASN
        _po("PO-3", order=20, promised=40, qty=4),
    ]  # ordered later
    asns = [
        {
            "asn_id": "A-1",
            "po_id": "PO-2",
            "event_time": day(8) + pd.Timedelta(hours=17),
            "eta": day(12),
            "quantity": 6,
        }
    ]
    terms = [
        {
            "sku_id": "SKU-1",
            "supplier_id": "S-1",
            "is_primary": True,
            "quoted_lead_time_days": 5,
            "unit_cost": 1.0,
            "moq": 1,
        }
    ]
    empty_lines = order_demand(frame_of("order_lines", []), frame_of("orders", []))
    return dict(
        snapshots=frame_of("inventory_snapshots", snaps),
        lines=empty_lines,
        promotions=frame_of("promotions", []),
        purchase_orders=frame_of("purchase_orders", pos),
        asn_events=frame_of("asn_events", asns),
        sku_suppliers=frame_of("sku_suppliers", terms),
    )


def test_open_pos_are_those_ordered_by_t_and_not_yet_received(position_inputs):
    table = sku_location_table(**position_inputs).set_index("snapshot_date")
    assert table.loc[day(2), "open_po_qty"] == 0
    assert table.loc[day(3), "open_po_qty"] == 10
    assert table.loc[day(11), "open_po_qty"] == 17  # PO-1 still open the day before receipt
    assert table.loc[day(12), "open_po_qty"] == 7  # received on day 12: no longer open
    assert table.loc[day(20), "open_po_count"] == 2


def test_inbound_within_lead_time_follows_asn_etas_known_at_t(position_inputs):
    table = sku_location_table(**position_inputs).set_index("snapshot_date")
    # Day 7: PO-1 promised day 10 <= 7+5 counts; PO-2 promised day 25 does not, no ASN yet.
    assert table.loc[day(7), "inbound_due_lt_qty"] == 10
    # Day 8: the ASN (sent during day 8) moves PO-2's ETA to day 12, with its 6 announced units.
    assert table.loc[day(8), "inbound_due_lt_qty"] == 16
    assert table.loc[day(12), "inbound_due_lt_qty"] == 6


def _etas(**overrides):
    etas = {
        "PO-1": (day(11), day(14), 0.5),
        "PO-2": (day(27), day(33), 0.2),
        "PO-3": (day(41), day(45), 0.0),
        **overrides,
    }
    return pd.DataFrame(
        [(po, p50, p90, late) for po, (p50, p90, late) in etas.items()],
        columns=["po_id", "eta_p50", "eta_p90", "p_late"],
    )


def test_model_inbound_counts_open_pos_by_their_predicted_arrival(position_inputs):
    table = sku_location_table(**position_inputs, po_etas=_etas()).set_index("snapshot_date")
    p50, p90 = table["inbound_eta_p50_lt_qty"], table["inbound_eta_p90_lt_qty"]
    assert (p50.loc[day(5)], p50.loc[day(6)], p90.loc[day(8)], p90.loc[day(9)]) == (0, 10, 0, 10)
    # Day 12: PO-1 received; the ASN moved PO-2 to day 12 (inbound_due_lt_qty), the model did not.
    assert table.loc[day(12), "inbound_due_lt_qty"] == 6 and p50.loc[day(12)] == 0
    assert p50.loc[day(22)] == 7 and p90.loc[day(28)] == 7  # PO-2 (P90 day 33); PO-3 not by day 33
    assert table.loc[day(6), "open_po_expected_late_qty"] == pytest.approx(10 * 0.5 + 7 * 0.2)
    row = table.loc[day(28)]  # no demand: the projection is net stock + P90 inbound
    assert row["projected_position_lt_eta_p90"] == pytest.approx(20 - 5 - 1 + 7)


def test_model_inbound_is_missing_while_an_open_po_has_no_prediction(position_inputs):
    without = sku_location_table(**position_inputs).set_index("snapshot_date")
    assert without["inbound_eta_p50_lt_qty"].isna().all()
    partial = _etas()[lambda f: f["po_id"] != "PO-3"]  # PO-3 (ordered day 20) was never predicted
    table = sku_location_table(**position_inputs, po_etas=partial).set_index("snapshot_date")
    assert table.loc[: day(19), "inbound_eta_p50_lt_qty"].notna().all()
    assert table.loc[day(20) :, ["inbound_eta_p50_lt_qty", "open_po_expected_late_qty"]].isna().all().all()


def test_position_cover_and_projection_formulas(frame_of, position_inputs):
    lines = [
        {
            "order_id": f"O{d}",
            "line_id": "1",
            "sku_id": "SKU-1",
            "location_id": "DC-1",
            "quantity": 2,
            "requested_date": day(d),
        }
        for d in range(30)
    ]
    orders = [
        {
            "order_id": f"O{d}",
            "customer_id": "C",
            "customer_tier": "gold",
            "order_time": day(d) + pd.Timedelta(hours=9),
            "allow_split": True,
        }
        for d in range(30)
    ]
    inputs = {
        **position_inputs,
        "lines": order_demand(frame_of("order_lines", lines), frame_of("orders", orders)),
    }
    row = sku_location_table(**inputs).set_index("snapshot_date").loc[day(28)]
    assert row["available"] == 15
    assert row["open_po_qty"] == 11  # PO-2 and PO-3; in_transit (2) must not be added on top
    assert row["inventory_position"] == 20 - 5 - 1 + 11
    assert row["days_of_cover"] == pytest.approx(15 / 2)
    assert row["projected_position_lt"] == pytest.approx(
        20 - 5 - 1 + row["inbound_due_lt_qty"] - 2 * 5
    )


def test_in_transit_beyond_open_pos_counts_as_transfer_stock(frame_of, position_inputs):
    snaps = position_inputs["snapshots"].assign(in_transit=30)
    row = sku_location_table(**{**position_inputs, "snapshots": snaps}).set_index("snapshot_date")
    day2 = row.loc[day(2)]  # no PO open yet: all 30 units in transit are transfers
    assert day2["inventory_position"] == 20 - 5 - 1 + 30


@pytest.fixture
def receipts(frame_of):
    rng = np.random.default_rng(5)
    rows = []
    for i in range(80):
        order = int(rng.integers(0, 400))
        promised = order + 10
        received = promised + int(rng.integers(-3, 8))
        rows.append(
            _po(
                f"PO-{i}",
                order,
                promised,
                received,
                qty=10,
                received_qty=int(rng.integers(7, 11)),
                supplier=f"S-{i % 2 + 1}",
            )
        )
    rows.append(_po("PO-open", order=100, promised=110, qty=5, supplier="S-1"))
    return frame_of("purchase_orders", rows)


def _reference(pos: pd.DataFrame, supplier: str, t: pd.Timestamp, window: int) -> pd.DataFrame:
    done = pos[(pos["supplier_id"] == supplier) & pos["received_date"].notna()]
    return done[
        (done["received_date"] <= t) & (done["received_date"] > t - pd.Timedelta(days=window))
    ]


def test_supplier_statistics_use_only_receipts_in_the_window(receipts, frame_of):
    suppliers = pd.Series(["S-1", "S-2"])
    calendar = (day(0), day(420))
    table = supplier_table(receipts, suppliers, calendar).set_index(["supplier_id", "date"])
    for t in (day(150), day(300), day(415)):
        for w in (90, 365):
            ref = _reference(receipts, "S-1", t, w)
            delay = (ref["received_date"] - ref["promised_date"]).dt.days
            row = table.loc[("S-1", t)]
            assert row[f"supplier_receipts_{w}"] == len(ref)
            assert row[f"supplier_on_time_rate_{w}"] == pytest.approx((delay <= 0).mean())
            assert row[f"supplier_delay_mean_{w}"] == pytest.approx(delay.mean())
            assert row[f"supplier_delay_std_{w}"] == pytest.approx(delay.std())
            assert row[f"supplier_delay_p90_{w}"] == pytest.approx(delay.quantile(0.9))
            assert row[f"supplier_fill_rate_{w}"] == pytest.approx(
                ref["received_quantity"].sum() / ref["quantity"].sum()
            )
        assert row["supplier_delay_trend"] == pytest.approx(
            row["supplier_delay_mean_90"] - row["supplier_delay_mean_365"]
        )
    open_at = table.loc[("S-1", day(105)), "supplier_open_po_count"]
    ordered = receipts[(receipts["supplier_id"] == "S-1") & (receipts["order_date"] <= day(105))]
    still_open = ordered["received_date"].isna() | (ordered["received_date"] > day(105))
    assert open_at == still_open.sum()


def test_lane_compares_quoted_with_realized_lead_time(receipts, frame_of):
    terms = frame_of(
        "sku_suppliers",
        [
            {
                "sku_id": "SKU-1",
                "supplier_id": s,
                "is_primary": s == "S-1",
                "quoted_lead_time_days": 9,
                "unit_cost": 1.0,
                "moq": 1,
            }
            for s in ("S-1", "S-2")
        ],
    )
    table = lane_table(terms, receipts, (day(0), day(420))).set_index(["supplier_id", "date"])
    ref = _reference(receipts, "S-2", day(400), 365)
    lead = (ref["received_date"] - ref["order_date"]).dt.days
    row = table.loc[("S-2", day(400))]
    assert row["quoted_lead_time_days"] == 9
    assert row["lane_receipts_365"] == len(lead)
    assert row["lane_lead_time_mean_365"] == pytest.approx(lead.mean())
    assert row["lane_lead_time_std_365"] == pytest.approx(lead.std())
    assert row["lane_lead_time_excess_365"] == pytest.approx(lead.mean() - 9)


def test_calendar_starts_at_first_po_when_it_precedes_the_snapshots(world):
    world["purchase_orders"].loc[0, "order_date"] = pd.Timestamp("2023-11-01")
    assert calendar_of(world)[0] == pd.Timestamp("2023-11-01")
