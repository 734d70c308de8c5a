"""Detection: pure, vectorized functions from frames to the exceptions they show.

Each function takes plain frames (the live state's positions and open POs, demand forecasts,
scored lines, receipts, monitoring verdicts) and returns one row per exception with the columns
``alerts.kinds.EXCEPTION_FIELDS``, so it works with whatever store produced its inputs. The
severity of every kind follows its expected cost (``alerts.warning_cost``/``critical_cost``);
an order line is critical from ``alerts.line_risk_critical`` on, whatever its cost.
"""

from __future__ import annotations

from collections.abc import Sequence
from statistics import NormalDist

import numpy as np
import pandas as pd

from alerts.kinds import EXCEPTION_FIELDS, KINDS_BY_NAME, SUBJECT_FIELDS, dedup_keys
from contracts.keys import DAY, SKU_LOCATION
from decisions import quantiles
from decisions.inputs import require_columns
from live.state import OPEN_PO_COLUMNS, POSITION_COLUMNS
from settings.sections import AlertsSettings

DELAY_QUANTILES = ("delay_p10", "delay_p50", "delay_p90")


def empty_exceptions() -> pd.DataFrame:
    """A detection frame without rows."""
    return pd.DataFrame({name: pd.Series(dtype=object) for name in EXCEPTION_FIELDS})


def severity_of_cost(cost: np.ndarray, cfg: AlertsSettings) -> np.ndarray:
    """critical from ``critical_cost``, warning from ``warning_cost``, else info."""
    cost = np.asarray(cost, dtype=float)
    return np.select([cost >= cfg.critical_cost, cost >= cfg.warning_cost], ["critical", "warning"], "info")


def order_lines_at_risk(scored: pd.DataFrame, cfg: AlertsSettings) -> pd.DataFrame:
    """Scored order lines at or above ``line_risk``; expected cost = P x quantity x penalty.

    ``scored`` has order_id, line_id, sku_id, location_id, quantity and backorder_probability;
    optional ``action`` and ``expected_effect`` (the service's recommendation) become the
    exception's action and effect, optional ``promise_date`` goes into its details.
    """
    require_columns(scored, "scored", {"order_id": "key", "line_id": "key", "sku_id": "key", "location_id": "key",
                                "quantity": "positive", "backorder_probability": "nonneg"})
    lines = scored[scored["backorder_probability"] >= cfg.line_risk].reset_index(drop=True)
    p = lines["backorder_probability"].to_numpy(float)
    quantity = lines["quantity"].to_numpy(float)
    cost = p * quantity * cfg.penalty_per_unit
    critical = p >= cfg.line_risk_critical
    severity = np.where(critical, "critical", severity_of_cost(cost, cfg))
    action = _text_or(lines, "action", KINDS_BY_NAME["order_line_at_risk"].action)
    effect = _text_or(
        lines, "expected_effect", pd.Series(_fmt("avoids an expected ", cost, " of backorder cost"), dtype=object)
    )
    details = _details(lines, ["backorder_probability", "quantity", "promise_date"])
    reasons = np.where(critical, "risk_critical", "risk_above_threshold")
    summary = (
        "line " + lines["order_id"].astype(str) + "/" + lines["line_id"].astype(str) + " ("
        + lines["sku_id"].astype(str) + " at " + lines["location_id"].astype(str) + "): "
        + pd.Series(np.round(p * 100).astype(int), dtype=str) + "% backorder risk"
    )
    return _frame("order_line_at_risk", lines, severity, cost, _codes(reasons), summary, effect, details, action)


def stockouts_within_lead_time(
    positions: pd.DataFrame,
    open_pos: pd.DataFrame,
    demand: pd.DataFrame,
    lead_times: pd.DataFrame,
    as_of: pd.Timestamp,
    cfg: AlertsSettings,
) -> pd.DataFrame:
    """SKU-locations whose projected stock falls below ``-stockout_margin_units`` on some day of
    the lead time.

    The projection starts from available (on hand - reserved) + in transit and, day by day,
    adds the POs arriving that day (before the day's demand) and takes ``stockout_demand_factor``
    x the median demand of the day, plus a cushion for demand above the median: the
    ``stockout_demand_quantile`` of the cumulative demand so far, each day's spread read from its
    ``p90`` (normal: sd = (p90 - p50) / z(0.9); none without the column), so a lumpy series is
    flagged while its stock still covers the median. ``positions``: the live state's ``POSITION_COLUMNS``;
    ``open_pos``: ``OPEN_PO_COLUMNS`` (optionally ``delay_p50``, days after the promised date),
    a PO arriving on its expected arrival (ASN ETA, else promised date + delay_p50, else promised
    date), at the earliest the next day, or ``stockout_asn_notice_days`` after ``as_of`` while no
    ASN announced it (``projected_arrival``); ``demand``: daily forecasts (sku_id, location_id, ds, p50,
    optionally p90) of the days after ``as_of`` up to the lead time; ``lead_times``: sku_id, location_id,
    lead_time_days. The lowest projected stock (units short) x ``penalty_per_unit`` is the
    expected cost; ``details`` keep the end-of-lead-time ``projected`` stock and the first
    ``stockout_date``.
    """
    require_columns(positions, "positions", {**dict.fromkeys(SKU_LOCATION, "key"),
                                      **dict.fromkeys(POSITION_COLUMNS[2:], "nonneg")})
    require_columns(demand, "demand", {**dict.fromkeys(SKU_LOCATION, "key"), "ds": "date", "p50": "nonneg"})
    require_columns(lead_times, "lead_times", {**dict.fromkeys(SKU_LOCATION, "key"), "lead_time_days": "nonneg"})
    require_columns(open_pos, "open_pos", {"po_id": "key", **dict.fromkeys(SKU_LOCATION, "key"), "quantity": "nonneg"})
    as_of = pd.Timestamp(as_of).normalize()
    frame = positions.merge(lead_times[[*SKU_LOCATION, "lead_time_days"]], on=SKU_LOCATION, how="inner")
    frame["horizon_end"] = as_of + pd.to_timedelta(frame["lead_time_days"].to_numpy(float), unit="D")
    keyed = frame[[*SKU_LOCATION, "horizon_end"]].assign(row=np.arange(len(frame)))

    daily = demand.merge(keyed, on=SKU_LOCATION)
    daily["ds"] = pd.to_datetime(daily["ds"])
    daily = daily[(daily["ds"] > as_of) & (daily["ds"] <= daily["horizon_end"])]
    po = open_pos.assign(ds=projected_arrival(open_pos, as_of, cfg.stockout_asn_notice_days)).merge(
        keyed, on=SKU_LOCATION)
    po = po[po["ds"] <= po["horizon_end"]]

    # Time-phased, per frame row: arrivals count from their day on (before that day's demand), so
    # stock that runs dry before a PO lands is a stock-out even when the PO covers the lead time's total.
    # The cushion (quantile of the cumulative demand above its median) grows with the square root of
    # the summed daily variances, so it is taken from the running variance, not summed per day.
    quantity, p50 = po["quantity"].to_numpy(float), daily["p50"].to_numpy(float)
    variance = demand_variance(daily)
    z = NormalDist().inv_cdf(cfg.stockout_demand_quantile)
    row = np.concatenate([po["row"].to_numpy(), daily["row"].to_numpy()])
    day = np.concatenate([po["ds"].to_numpy("datetime64[ns]"), daily["ds"].to_numpy("datetime64[ns]")])
    is_demand = np.concatenate([np.zeros(len(po), dtype=bool), np.ones(len(daily), dtype=bool)])
    change = np.concatenate([quantity, -p50 * cfg.stockout_demand_factor])
    spread = np.concatenate([np.zeros(len(po)), variance])
    order = np.lexsort((is_demand, day, row))
    row, day, is_demand = row[order], day[order], is_demand[order]
    running = pd.Series(change[order]).groupby(row).cumsum().to_numpy(float)
    running -= z * np.sqrt(pd.Series(spread[order]).groupby(row).cumsum().to_numpy(float))

    n = len(frame)
    frame["inbound"] = np.bincount(po["row"].to_numpy(), quantity, minlength=n)
    frame["demand_p50"] = np.bincount(daily["row"].to_numpy(), p50, minlength=n)
    frame["demand_cushion"] = z * np.sqrt(np.bincount(daily["row"].to_numpy(), variance, minlength=n))
    frame["available"] = np.maximum(frame["on_hand"].to_numpy(float) - frame["reserved"].to_numpy(float), 0.0)
    start = (frame["available"] + frame["in_transit"].astype(float)).to_numpy(float)
    frame["projected"] = (start + frame["inbound"] - frame["demand_p50"] * cfg.stockout_demand_factor
                          - frame["demand_cushion"])
    lowest_change = pd.Series(running).groupby(row).min().reindex(range(n), fill_value=0.0).to_numpy(float)
    frame["lowest_projected"] = start + np.minimum(lowest_change, 0.0)
    below = is_demand & (start[row] + running < -cfg.stockout_margin_units)
    first_rows, first_at = np.unique(row[below], return_index=True)  # sorted by day within a row
    frame["stockout_date"] = pd.Series(day[below][first_at], index=first_rows).reindex(range(n)).to_numpy()
    short = frame[frame["lowest_projected"] < -cfg.stockout_margin_units].reset_index(drop=True)
    units = -short["lowest_projected"].to_numpy(float)
    cost = units * cfg.penalty_per_unit
    no_inbound = (short["inbound"] + short["in_transit"].astype(float)).to_numpy(float) <= 0
    codes = _flagged_codes(np.column_stack([np.ones(len(short), dtype=bool), no_inbound]),
                           ["projected_stockout", "no_inbound"])
    days = short["lead_time_days"].astype(float).round().astype(int).astype(str)
    summary = (
        short["sku_id"].astype(str) + " at " + short["location_id"].astype(str) + " runs "
        + pd.Series(np.ceil(units).astype(int), dtype=str) + " units short within its " + days + "-day lead time"
    )
    effect = pd.Series(
        _fmt("covering ", np.ceil(units), " units avoids an expected ")
        + pd.Series(_fmt("", cost, " of backorder cost"), dtype=object),
        dtype=object,
    )
    details = _details(short, ["available", "in_transit", "inbound", "demand_p50", "demand_cushion",
                               "lead_time_days", "projected", "lowest_projected", "stockout_date"])
    return _frame("stockout_within_lead_time", short, severity_of_cost(cost, cfg), cost, codes, summary,
                  effect, details)


def demand_variance(daily: pd.DataFrame) -> np.ndarray:
    """Each day's demand variance from its quantiles: ((p90 - p50) / z(0.9))^2, 0 without ``p90``."""
    if "p90" not in daily:
        return np.zeros(len(daily))
    spread = np.maximum(daily["p90"].to_numpy(float) - daily["p50"].to_numpy(float), 0.0)
    return np.nan_to_num(spread / NormalDist().inv_cdf(0.9)) ** 2


def expected_arrival(open_pos: pd.DataFrame) -> pd.Series:
    """The ASN ETA when there is one, else the promised date + ``delay_p50`` days (0 without it)."""
    promised = pd.to_datetime(open_pos["promised_date"])
    delay = open_pos["delay_p50"].astype(float).fillna(0.0) if "delay_p50" in open_pos else 0.0
    eta = pd.to_datetime(open_pos["eta"]) if "eta" in open_pos else pd.Series(pd.NaT, index=open_pos.index)
    return eta.fillna(promised + pd.to_timedelta(delay, unit="D"))


def projected_arrival(open_pos: pd.DataFrame, as_of: pd.Timestamp, asn_notice_days: int) -> pd.Series:
    """The day the stock-out projection lands each PO: its ``expected_arrival``, but not before the
    day after ``as_of``, nor, for a PO without an ASN ETA, before ``asn_notice_days`` after it:
    suppliers announce a shipment that many days ahead, so a PO not announced yet (overdue, or due
    in the next days) cannot land sooner."""
    as_of = pd.Timestamp(as_of).normalize()
    announced = pd.to_datetime(open_pos["eta"]).notna() if "eta" in open_pos else pd.Series(False, index=open_pos.index)
    days = np.where(announced.to_numpy(bool), 1, max(int(asn_notice_days), 1))
    earliest = pd.Series(as_of + pd.to_timedelta(days, unit="D"), index=open_pos.index)
    expected = expected_arrival(open_pos)
    return expected.where(expected >= earliest, earliest)


def late_probability(open_pos: pd.DataFrame) -> np.ndarray:
    """P(arrival after the promised date) of each PO line: its ``p_late`` when given, else from
    its delay quantiles (``delay_p10/p50/p90``), else NaN (unknown)."""
    if "p_late" in open_pos:
        return open_pos["p_late"].to_numpy(float)
    if all(c in open_pos for c in DELAY_QUANTILES):
        return quantiles.survival(0.0, *(open_pos[c].to_numpy(float) for c in DELAY_QUANTILES))
    return np.full(len(open_pos), np.nan)


def late_purchase_orders(open_pos: pd.DataFrame, as_of: pd.Timestamp, cfg: AlertsSettings) -> pd.DataFrame:
    """Open PO lines that are overdue, whose ASN ETA is after the promised date, or whose
    P(arrival after the promised date) reaches ``po_late_probability``.

    ``open_pos`` has ``OPEN_PO_COLUMNS`` (eta NaT without an ASN) and optionally ``p_late`` (the
    lead-time model's) or the delay quantiles it is computed from (``delay_p10/p50/p90``, days
    after the promised date). Expected cost = quantity x P(late) x penalty (P = 1 when overdue or
    announced late).
    """
    require_columns(open_pos, "open_pos", {c: "key" for c in OPEN_PO_COLUMNS[:4]} | {"quantity": "nonneg",
                                                                           "promised_date": "date"})
    as_of = pd.Timestamp(as_of).normalize()
    po = open_pos.reset_index(drop=True)
    promised = pd.to_datetime(po["promised_date"])
    eta = pd.to_datetime(po["eta"]) if "eta" in po else pd.Series(pd.NaT, index=po.index)
    overdue = (promised < as_of).to_numpy()
    announced = (eta > promised).fillna(False).to_numpy(bool)
    p_late = np.nan_to_num(late_probability(po), nan=0.0)
    delay_p50 = po["delay_p50"].to_numpy(float) if "delay_p50" in po else np.zeros(len(po))
    likely = p_late >= cfg.po_late_probability
    p = np.where(overdue | announced, 1.0, p_late)
    delay_days = np.select(
        [announced, overdue],
        [((eta - promised) / DAY).to_numpy(float), ((as_of - promised) / DAY).to_numpy(float)],
        np.maximum(delay_p50, 0.0),
    )
    keep = overdue | announced | likely
    po, p, delay_days = po[keep].reset_index(drop=True), p[keep], delay_days[keep]
    cost = po["quantity"].to_numpy(float) * p * cfg.penalty_per_unit
    codes = _flagged_codes(np.column_stack([announced[keep], likely[keep], overdue[keep]]),
                           ["asn_after_promise", "late_probability", "overdue"])
    po = po.assign(p_late=p, expected_delay_days=delay_days)
    summary = (
        "PO " + po["po_id"].astype(str) + " (" + po["supplier_id"].astype(str) + ", " + po["sku_id"].astype(str)
        + " to " + po["location_id"].astype(str) + ") expected "
        + pd.Series(np.round(delay_days).astype(int), dtype=str) + " days late"
    )
    effect = pd.Series(_fmt("a firm date or an expedite protects ", po["quantity"].to_numpy(float), " units"),
                       dtype=object)
    details = _details(po, ["quantity", "promised_date", "eta", "p_late", "expected_delay_days"])
    return _frame("po_late", po, severity_of_cost(cost, cfg), cost, codes, summary, effect, details)


def supplier_delay_trends(
    receipts: pd.DataFrame, as_of: pd.Timestamp, cfg: AlertsSettings, open_pos: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Suppliers whose recent receipts are late beyond ``supplier_delay_days``, or later than
    their baseline by ``supplier_trend_days``.

    ``receipts``: supplier_id, promised_date, received_date (received PO lines; others are
    ignored). Recent = the last ``supplier_recent_days``, baseline = the last
    ``supplier_baseline_days``; a supplier needs ``supplier_min_receipts`` recent receipts.
    Expected cost = its open PO units (``open_pos``) x share of recent receipts late x penalty.
    """
    require_columns(receipts, "receipts", {"supplier_id": "key"})
    as_of = pd.Timestamp(as_of).normalize()
    received = pd.to_datetime(receipts["received_date"])
    done = receipts[received.notna() & (received <= as_of)]
    received = pd.to_datetime(done["received_date"])
    delay = (received - pd.to_datetime(done["promised_date"])) / DAY
    age = (as_of - received) / DAY
    frame = pd.DataFrame({"supplier_id": done["supplier_id"].to_numpy(), "delay": delay.to_numpy(float),
                          "recent": (age < cfg.supplier_recent_days).to_numpy(),
                          "baseline": (age < cfg.supplier_baseline_days).to_numpy()})
    recent = frame[frame["recent"]].assign(late=lambda f: f["delay"] > 0).groupby("supplier_id")
    stats = pd.DataFrame({
        "recent_receipts": recent.size(),
        "recent_mean_delay": recent["delay"].mean(),
        "recent_late_share": recent["late"].mean(),
        "baseline_mean_delay": frame[frame["baseline"]].groupby("supplier_id")["delay"].mean(),
    }).reset_index()
    stats = stats[stats["recent_receipts"] >= cfg.supplier_min_receipts]
    stats["trend_days"] = stats["recent_mean_delay"] - stats["baseline_mean_delay"]
    over_limit = (stats["recent_mean_delay"] >= cfg.supplier_delay_days).to_numpy()
    rising = (stats["trend_days"] >= cfg.supplier_trend_days).to_numpy()
    keep = over_limit | rising
    stats, over_limit, rising = stats[keep].reset_index(drop=True), over_limit[keep], rising[keep]
    open_units = pd.Series(dtype=float)
    if open_pos is not None and len(open_pos):
        open_units = open_pos.groupby("supplier_id")["quantity"].sum().astype(float)
    stats["open_units"] = open_units.reindex(stats["supplier_id"]).fillna(0.0).to_numpy(float)
    cost = stats["open_units"].to_numpy(float) * stats["recent_late_share"].to_numpy(float) * cfg.penalty_per_unit
    codes = _flagged_codes(np.column_stack([over_limit, rising]),
                           ["recent_delay_above_limit", "delay_trend_above_limit"])
    summary = (
        "supplier " + stats["supplier_id"].astype(str) + ": recent receipts "
        + pd.Series(_fmt("", stats["recent_mean_delay"].to_numpy(float), " days late on average"), dtype=object)
        + pd.Series(_fmt(" (baseline ", stats["baseline_mean_delay"].to_numpy(float), ")"), dtype=object)
    )
    effect = pd.Series(_fmt("protects ", stats["open_units"].to_numpy(float), " open PO units"), dtype=object)
    details = _details(stats, ["recent_receipts", "recent_mean_delay", "baseline_mean_delay", "trend_days",
                               "recent_late_share", "open_units"])
    return _frame("supplier_delay_trend", stats, severity_of_cost(cost, cfg), cost, codes, summary,
                  effect, details)


def forecast_biases(forecasts: pd.DataFrame, cfg: AlertsSettings) -> pd.DataFrame:
    """Demand series whose |sum(forecast) / sum(actual) - 1| exceeds ``forecast_bias``.

    ``forecasts``: sku_id, location_id, forecast, actual (one row per day of the window
    evaluated); series with fewer than ``forecast_min_units`` actual units are not judged.
    Expected cost = |sum(forecast) - sum(actual)| x penalty.
    """
    require_columns(forecasts, "forecasts", {**dict.fromkeys(SKU_LOCATION, "key"), "forecast": "nonneg",
                                      "actual": "nonneg"})
    sums = forecasts.groupby(SKU_LOCATION, as_index=False)[["forecast", "actual"]].sum()
    sums = sums[sums["actual"] >= max(cfg.forecast_min_units, np.finfo(float).tiny)]
    sums = sums.assign(bias=sums["forecast"] / sums["actual"] - 1.0)
    sums = sums[sums["bias"].abs() > cfg.forecast_bias].reset_index(drop=True)
    gap = (sums["forecast"] - sums["actual"]).to_numpy(float)
    cost = np.abs(gap) * cfg.penalty_per_unit
    codes = [["under_forecast"] if g < 0 else ["over_forecast"] for g in gap]
    summary = (
        sums["sku_id"].astype(str) + " at " + sums["location_id"].astype(str) + ": forecasts "
        + pd.Series(np.round(sums["bias"].to_numpy(float) * 100).astype(int), dtype=str) + "% off actual demand"
    )
    effect = pd.Series(_fmt("removes a forecast error of ", np.abs(gap), " units over the window"), dtype=object)
    details = _details(sums, ["forecast", "actual", "bias"])
    return _frame("forecast_bias", sums, severity_of_cost(cost, cfg), cost, codes, summary, effect, details)


def retraining_exceptions(verdicts: pd.DataFrame) -> pd.DataFrame:
    """One warning per model that monitoring says to retrain.

    ``verdicts``: model, retrain (bool), reasons (list of text): ``backorder monitor``'s
    ``summary.json`` ``retrain`` entries, or ``RetrainingDecision`` fields per model.
    """
    require_columns(verdicts, "verdicts", {"model": "key", "retrain": "bool"})
    flagged = verdicts[verdicts["retrain"]].reset_index(drop=True)
    reasons = flagged["reasons"] if "reasons" in flagged else pd.Series([[]] * len(flagged), dtype=object)
    summary = "model " + flagged["model"].astype(str) + " should be retrained: " + reasons.map("; ".join)
    effect = pd.Series("a retrained champion restores the accuracy the risk scores and promises rely on",
                       index=flagged.index)
    details = pd.Series([{"model": m, "reasons": list(r)} for m, r in zip(flagged["model"], reasons, strict=True)],
                        dtype=object)
    severity = np.full(len(flagged), "warning", dtype=object)
    codes = [["monitoring_retrain"]] * len(flagged)
    return _frame("model_retrain", flagged, severity, np.zeros(len(flagged)), codes, summary, effect, details)


def _frame(kind: str, rows: pd.DataFrame, severity: np.ndarray, cost: np.ndarray, codes: Sequence[list[str]],
           summary: pd.Series, effect: pd.Series, details: pd.Series, action: pd.Series | None = None) -> pd.DataFrame:
    """The detection frame of ``kind``; ``action`` defaults to the kind's declared action."""
    if rows.empty:
        return empty_exceptions()
    out = pd.DataFrame({
        "kind": kind,
        "dedup_key": dedup_keys(kind, rows).to_numpy(),
        "severity": np.asarray(severity, dtype=object),
        "expected_cost": np.round(np.asarray(cost, dtype=float), 2),
        "reason_codes": list(codes),
        "summary": summary.to_numpy(object),
        "action": KINDS_BY_NAME[kind].action if action is None else np.asarray(action, dtype=object),
        "expected_effect": np.asarray(effect, dtype=object),
        "details": details.to_numpy(object),
    })
    for name in SUBJECT_FIELDS:
        out[name] = rows[name].astype(object).to_numpy() if name in rows else None
    return out[list(EXCEPTION_FIELDS)]


def _codes(reasons: np.ndarray) -> list[list[str]]:
    return [[r] for r in reasons]


def _text_or(frame: pd.DataFrame, column: str, default: str | pd.Series) -> pd.Series:
    fallback = default if isinstance(default, pd.Series) else pd.Series(default, index=frame.index, dtype=object)
    if column not in frame:
        return fallback.set_axis(frame.index)
    return frame[column].astype(object).where(frame[column].notna(), fallback.to_numpy())


def _fmt(prefix: str, values: np.ndarray, suffix: str) -> np.ndarray:
    """``prefix + value + suffix`` per value, values rounded to whole numbers or one decimal."""
    values = np.asarray(values, dtype=float)
    text = np.where(np.abs(values) >= 10, np.round(values).astype(int).astype(str), np.round(values, 1).astype(str))
    return np.char.add(np.char.add(prefix, text), suffix).astype(object)


def _details(frame: pd.DataFrame, columns: Sequence[str]) -> pd.Series:
    """Per row, a JSON-ready dict of ``columns`` present in ``frame`` (dates as ISO text, NaN as None)."""
    present = [c for c in columns if c in frame]
    lists = []
    for name in present:
        values = frame[name]
        if pd.api.types.is_datetime64_any_dtype(values):
            values = values.dt.strftime("%Y-%m-%d")
        elif pd.api.types.is_float_dtype(values):
            values = values.round(4)
        lists.append(values.astype(object).where(values.notna(), None).tolist())
    rows = [dict(zip(present, row, strict=True)) for row in zip(*lists, strict=True)] if present else [{}] * len(frame)
    return pd.Series(rows, index=frame.index, dtype=object)


def _flagged_codes(flags: np.ndarray, names: Sequence[str]) -> list[list[str]]:
    """Per row of the boolean matrix ``flags`` (rows x names), the names whose flag is set."""
    patterns = np.asarray(flags, dtype=bool) @ (1 << np.arange(len(names)))
    lists = {int(p): [n for i, n in enumerate(names) if p >> i & 1] for p in np.unique(patterns)}
    return [lists[p] for p in patterns.tolist()]
