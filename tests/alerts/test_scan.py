"""One scan over whatever inputs are present, and the live state's stock and POs swapped in."""

from __future__ import annotations

import pandas as pd

from alerts.scan import ScanInputs, detect_all, with_live_supply
from settings.sections import AlertsSettings

AS_OF = pd.Timestamp("2026-03-02")


def _open_pos(**extra) -> pd.DataFrame:
    return pd.DataFrame({"po_id": ["PO1"], "supplier_id": "S1", "sku_id": "A", "location_id": "DC1", "quantity": [10],
                         "promised_date": [AS_OF + pd.Timedelta(days=5)], "eta": [pd.NaT], **extra})


def test_kinds_without_inputs_are_skipped_with_a_note():
    verdicts = pd.DataFrame({"model": ["demand"], "retrain": [True], "reasons": [["decay"]]})
    result = detect_all(ScanInputs(AS_OF, open_pos=_open_pos(p_late=[0.9]), verdicts=verdicts), AlertsSettings())
    assert result.counts() == {"model_retrain": 1, "po_late": 1}
    assert {n.split(":")[0] for n in result.notes} == {
        "order_line_at_risk", "stockout_within_lead_time", "supplier_delay_trend", "forecast_bias"}


def test_live_supply_keeps_the_delay_quantiles_of_known_pos():
    known = _open_pos(delay_p10=[1.0], delay_p50=[3.0], delay_p90=[6.0])
    live_pos = pd.concat([_open_pos(), _open_pos().assign(po_id="PO2")], ignore_index=True)
    positions = pd.DataFrame({"sku_id": ["A"], "location_id": ["DC1"], "on_hand": [0], "reserved": [0],
                              "in_transit": [0]})
    swapped = with_live_supply(ScanInputs(AS_OF, open_pos=known), positions, live_pos)
    assert swapped.positions is positions
    delays = swapped.open_pos.set_index("po_id")["delay_p50"]
    assert delays["PO1"] == 3.0 and pd.isna(delays["PO2"])
    late = detect_all(swapped, AlertsSettings()).exceptions
    assert list(late["po_id"]) == ["PO1"]  # P(late) of PO1 from its quantiles; PO2 has neither ASN nor delay
