"""SCMS shipment-history adapter: column roles, fit/predict with fallbacks, internal validation.

Columns beyond the essentials are optional: a feature column absent from the training or the test
frame is left out of the spec instead of failing, so a reduced export still gets forecasts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from contracts.keys import DAY
from training.lead_time.baselines import quoted_baseline, supplier_quantile_baseline
from training.lead_time.evaluate import open_at_cutoff_split, scheduled_after_split, score_delays
from training.lead_time.features import LeadTimeSpec, as_datetime
from training.lead_time.model import LeadTimeModel
from training.recipes import SCMS_LEAD_TIME

ID_COL, VENDOR, SCHEDULED, DELIVERED = (
    "id",
    "vendor",
    "scheduled_delivery_date",
    "delivered_to_client_date",
)
ORDER = "po_sent_to_vendor_date"
CATEGORICAL = (
    "country",
    "shipment_mode",
    "fulfill_via",
    "vendor_inco_term",
    "managed_by",
    "product_group",
    "sub_classification",
    "dosage_form",
    "first_line_designation",
    "po_sent_to_vendor_date_raw",
    "pq_first_sent_to_client_date_raw",
    "manufacturing_site",
    "brand",
)
NUMERIC = (
    "line_item_quantity",
    "line_item_value",
    "pack_price",
    "unit_price",
    "weight_kg_num",
    "freight_cost_usd_num",
    "line_item_insurance_usd",
    "unit_of_measure_per_pack",
)
OUTPUT = ("p10", "p50", "p90", "p_late")


def scms_spec(train: pd.DataFrame, test: pd.DataFrame | None = None) -> LeadTimeSpec:
    """Spec over the columns present in ``train`` (and ``test``); id/vendor/dates are required."""
    frames = [train] if test is None else [train, test]
    for frame, name in zip(frames, ("train", "test"), strict=False):
        required = [ID_COL, SCHEDULED] + ([DELIVERED] if name == "train" else [])
        missing = sorted(set(required) - set(frame.columns))
        if missing:
            raise ValueError(f"{name}: missing column(s) {missing}")

    def present(cols: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(c for c in cols if all(c in f.columns for f in frames))

    return LeadTimeSpec(
        id_col=ID_COL,
        supplier_col=VENDOR,
        due_col=SCHEDULED,
        received_col=DELIVERED,
        order_col=ORDER if present((ORDER,)) else None,
        categorical=present(CATEGORICAL),
        numeric=present(NUMERIC),
    )


def _with_vendor(frame: pd.DataFrame) -> pd.DataFrame:
    return frame if VENDOR in frame.columns else frame.assign(**{VENDOR: pd.NA})


def predict_open(
    train: pd.DataFrame,
    test: pd.DataFrame,
    cutoff: pd.Timestamp | None = None,
    model_options: dict | None = None,
) -> tuple[pd.DataFrame, dict]:
    """``id, p10, p50, p90, p_late`` for every ``test`` row (same order) and the fit summary;
    ``model_options`` are keywords of ``LeadTimeModel`` beside the spec (None: ``SCMS_LEAD_TIME``).

    Falls back to per-vendor empirical quantiles when the history is too short for the model.
    """
    train, test = _with_vendor(train), _with_vendor(test)
    spec = scms_spec(train, test)
    try:
        options = SCMS_LEAD_TIME if model_options is None else model_options
        model = LeadTimeModel(spec, **options).fit(train, cutoff)
        pred, info = model.predict(test), {"model": "lightgbm", **model.fit_info_}
    except ValueError as error:
        dated = train.assign(**{c: as_datetime(train[c]) for c in (SCHEDULED, DELIVERED)})
        pred = supplier_quantile_baseline(dated, test, spec)
        info = {"model": "vendor_quantiles (fallback)", "reason": str(error)}
    out = pd.DataFrame({ID_COL: test[ID_COL].to_numpy()})
    for col in OUTPUT:
        out[col] = pd.to_numeric(pred[col], errors="coerce").to_numpy(dtype="float64")
    return out, info


def validate(train: pd.DataFrame, test_share: float = 0.2) -> pd.DataFrame:
    """Time-based check inside ``train``: cut where ``test_share`` of deliveries come later, fit on
    lines delivered by then, score on lines still open; model beside quoted and vendor baselines."""
    train = _with_vendor(train)
    delivered = as_datetime(train[DELIVERED])
    cutoff = delivered.quantile(1 - test_share).normalize()
    return compare_at_cutoff(train, *open_at_cutoff_split(train, scms_spec(train), cutoff), cutoff)


def backtest(
    lines: pd.DataFrame, cutoffs: list[pd.Timestamp], model_options: dict | None = None
) -> pd.DataFrame:
    """At each cut-off: fit on the lines delivered by then, score the lines scheduled after it
    (``scheduled_after_split``); the model beside the quoted and vendor baselines."""
    lines = _with_vendor(lines)
    spec = scms_spec(lines)
    tables = [
        compare_at_cutoff(lines, *scheduled_after_split(lines, spec, cutoff), cutoff, model_options)
        for cutoff in cutoffs
    ]
    return pd.concat(tables, ignore_index=True)


def predictions_at_cutoff(
    lines: pd.DataFrame,
    history: pd.DataFrame,
    open_lines: pd.DataFrame,
    cutoff: pd.Timestamp,
    model_options: dict | None = None,
) -> tuple[np.ndarray, dict[str, pd.DataFrame]]:
    """The delay of each of ``open_lines`` (NaN if never delivered) and the predictions of the model
    (``LeadTimeModel`` keywords ``model_options``), the per-vendor quantiles and the quoted date,
    all fitted on ``history``, row for row."""
    spec = scms_spec(lines)
    history = history.assign(**{c: as_datetime(history[c]) for c in (SCHEDULED, DELIVERED)})
    truth = (
        (as_datetime(open_lines[DELIVERED]) - as_datetime(open_lines[SCHEDULED])) / DAY
    ).to_numpy()
    hidden = open_lines.drop(columns=[DELIVERED])
    model_pred, _ = predict_open(history, hidden, cutoff, model_options)
    late_share = float((history[DELIVERED] > history[SCHEDULED]).mean())
    return truth, {
        "lightgbm": model_pred,
        "vendor_quantiles": supplier_quantile_baseline(history, hidden, spec),
        "quoted_date": quoted_baseline(hidden, spec, late_share),
    }


def compare_at_cutoff(
    lines: pd.DataFrame,
    history: pd.DataFrame,
    open_lines: pd.DataFrame,
    cutoff: pd.Timestamp,
    model_options: dict | None = None,
) -> pd.DataFrame:
    """Scores of ``predictions_at_cutoff`` on the delivered ``open_lines``; ``pinball_vs_vendor``
    is each pinball relative to the vendor quantiles' (0 = level, -0.1 = 10% lower)."""
    truth, preds = predictions_at_cutoff(lines, history, open_lines, cutoff, model_options)
    keep = ~np.isnan(truth)
    rows = [
        {"model": name, "cutoff": str(pd.Timestamp(cutoff).date()), "train_rows": len(history),
         **score_delays(truth[keep], p[keep])}
        for name, p in preds.items()
    ]
    table = pd.DataFrame(rows)
    base = table.loc[table["model"] == "vendor_quantiles", "pinball"].iloc[0]
    table["pinball_vs_vendor"] = table["pinball"] / base - 1
    return table
