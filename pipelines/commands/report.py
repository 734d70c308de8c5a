"""``backorder report``: the planner risk report, ``index.html`` plus CSV exports, in one folder.

Wiring only: read the canonical and feature tables and the champions (``sku_location_risk``
required, ``demand`` and ``lead_time`` used when registered), call the pure ``reports`` steps, run the
simulator what-ifs and write the folder. The default folder, ``<reports_dir>/latest``, is the one
the service serves to planners at ``GET /v1/reports/latest``.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from pipelines.commands.settings_options import CONFIG_OPTION, command_settings

if TYPE_CHECKING:
    import pandas as pd

    from settings import Settings

RISK_MODEL, DEMAND_MODEL, LEAD_TIME_MODEL = "sku_location_risk", "demand", "lead_time"
CANONICAL_TABLES = (
    "skus", "suppliers", "sku_suppliers", "transfer_lanes", "purchase_orders", "orders", "order_lines",
)
# Only what the report uses of the two largest tables.
COLUMNS_READ = {"order_lines": ["order_id", "sku_id", "location_id", "quantity"], "orders": ["order_id", "order_time"]}
FEATURE_TABLES = ("sku_location_features", "supplier_features")
# The champion the report cannot do without, and the command that trains it.
TRAIN_TARGET = {RISK_MODEL: "sku-risk"}
# Where the demand champion gives no forecast, the horizon's demand is the recent demand
# (``features.recent_demand``, as the alerts and the service take it; ``reports.sections.horizon_demand``).
RECENT_DEMAND = "recent 28-day mean and s.d. (normal)"
PAGE_AT_RISK_COLUMNS = [
    "rank", "sku_id", "location_id", "supplier_id", "backorder_probability", "expected_cost",
    "expected_backorder_units", "free_stock", "inbound_by_need_date", "demand_p50", "reasons",
]
REASON_ROWS = 500  # rows of at_risk.csv explained with reason codes (the page shows fewer)
EXPORTS = {
    "at_risk.csv": "SKU-locations ranked by expected backorder cost, with reasons",
    "recommendations.csv": "transfers and expedites with expected units saved, cost and reason",
    "suppliers.csv": "supplier scorecard",
    "what_if.csv": "simulator what-if runs",
}


def _echo(message: str) -> None:
    typer.echo(message, err=True)


def _check_inputs(settings: Settings) -> None:
    from pipelines.tables import require_canonical, require_features

    require_canonical(settings.canonical_dir, CANONICAL_TABLES)
    require_features(settings.features_dir, FEATURE_TABLES)


def _champions(settings: Settings) -> dict[str, str]:
    import mlflow

    from contracts.errors import MissingInput
    from training.tracking import alias_version

    mlflow.set_tracking_uri(settings.tracking_uri)
    mlflow.set_registry_uri(settings.tracking_uri)
    versions = {}
    for name in (RISK_MODEL, DEMAND_MODEL, LEAD_TIME_MODEL):
        version = alias_version(name)
        if version is None and name in TRAIN_TARGET:
            raise MissingInput(
                f"champion of {name!r}",
                f"run `backorder train {TRAIN_TARGET[name]}` then `backorder promote --model {name}`",
                settings.tracking_uri,
            )
        if version is not None:
            versions[name] = version
    return versions


def _delays(open_pos: pd.DataFrame, skus: pd.DataFrame, purchase_orders: pd.DataFrame, as_of: pd.Timestamp,
            lead_time_model: Any | None) -> tuple[pd.DataFrame, str]:
    """``open_pos`` with its delay quantiles from the service's PO delay model (``po_delay_model``:
    the ``lead_time`` champion, else the supplier delay quantiles), and what gave them."""
    from reports.sections import with_sorted_delays
    from serving.supply import po_delay_model, predict_po_delays

    model, source = po_delay_model(lead_time_model, purchase_orders, as_of)
    return with_sorted_delays(open_pos, predict_po_delays(model, open_pos, skus)), source


def write_report(
    settings: Settings,
    out_dir: Path | None = None,
    *,
    what_if_days: int = 180,
    horizon: int = 14,
    penalty_factor: float = 0.10,
    top: int = 25,
) -> Path:
    """Build the planner report into ``out_dir`` (default ``<reports_dir>/latest``); return index.html.

    ``penalty_factor`` prices one backordered unit as a share of its unit price (as the decision
    policy does). Raises ``MissingInput`` naming the command to run when inputs are missing.
    """
    import pandas as pd

    from contracts.errors import MissingInput
    from contracts.keys import SKU_LOCATION
    from features.build import TIMESTAMP
    from features.recent_demand import daily_actuals, recent_mean_sd
    from features.supplier import primary_suppliers
    from pipelines.tables import latest_feature_rows, read_canonical_tables, read_feature_table, table_path
    from pipelines.what_if_worlds import what_if_runs
    from reports import plots, sections
    from reports.render import Section, render_html
    from reports.whatif import run_what_ifs
    from training.tracking import load_alias, predict_scores

    out = Path(out_dir) if out_dir is not None else settings.reports_dir / "latest"
    started = time.perf_counter()
    _check_inputs(settings)
    versions = _champions(settings)
    read = read_canonical_tables(settings.canonical_dir, CANONICAL_TABLES, COLUMNS_READ)

    _echo("[1/5] at risk: score every SKU-location with the sku_location_risk champion")
    latest = latest_feature_rows(settings.features_dir, "sku_location_features", TIMESTAMP)
    as_of = pd.Timestamp(latest["snapshot_date"].max()).normalize()
    need_date = as_of + pd.Timedelta(days=horizon)
    primary = primary_suppliers(read["sku_suppliers"])[["sku_id", "supplier_id"]]
    latest = latest.merge(primary, on="sku_id", how="left").reset_index(drop=True)
    risk_model = load_alias(RISK_MODEL)
    names = [str(n) for n in getattr(risk_model, "feature_names_in_", [])]
    missing = [n for n in names if n not in latest.columns]
    if not names or missing:
        raise MissingInput(
            f"feature(s) {missing or 'named by'} the {RISK_MODEL} champion",
            "run `backorder features build` (and retrain with `backorder train sku-risk` if the feature set "
            "changed)",
            table_path(settings.features_dir, "sku_location_features"),
        )
    X = latest[names].astype("float64")
    probability = predict_scores(risk_model, X)
    price = read["skus"].set_index("sku_id")["unit_price"].reindex(latest["sku_id"]).fillna(0.0).to_numpy(float)
    supplier_latest = sections.latest_rows(
        read_feature_table(settings.features_dir, "supplier_features"), "date", ["supplier_id"]
    )
    open_pos = sections.open_purchase_orders(read["purchase_orders"], as_of)
    lead_time_model = load_alias(LEAD_TIME_MODEL) if LEAD_TIME_MODEL in versions else None
    open_pos, delay_source = _delays(open_pos, read["skus"], read["purchase_orders"], as_of, lead_time_model)
    demand_model = load_alias(DEMAND_MODEL) if DEMAND_MODEL in versions else None
    recent = latest[SKU_LOCATION].join(
        recent_mean_sd(daily_actuals(read["order_lines"], read["orders"], as_of), SKU_LOCATION), on=SKU_LOCATION
    )
    demand, demand_source = _horizon_demand(demand_model, _promotions(settings, as_of), latest, recent, as_of,
                                            horizon)
    scored = sections.score_positions(
        latest, probability, demand,
        sections.expected_inbound(open_pos, need_date), penalty_factor * price,
    )
    ranked = sections.rank_at_risk(scored)
    explained = ranked.head(REASON_ROWS)
    rows = X.loc[_row_of(latest, explained)]
    contrib = risk_model.contributions(rows) if hasattr(risk_model, "contributions") else None
    ranked["reasons"] = ""
    ranked.loc[explained.index, "reasons"] = sections.reason_text(contrib, rows, names).to_numpy()
    at_risk = sections.at_risk_table(ranked)

    _echo("[2/5] recommendations: reallocation LP and expedites")
    recs = sections.recommendations(
        sections.positions_frame(scored, need_date), read["transfer_lanes"], open_pos, read["sku_suppliers"], as_of
    )

    _echo("[3/5] suppliers: scorecard and delay trend")
    scorecard = sections.supplier_scorecard(supplier_latest, read["suppliers"])
    worst = scorecard.dropna(subset=["on_time_rate_90"]).head(5)["supplier_id"]
    delay_history = sections.supplier_delay_history(
        read_feature_table(settings.features_dir, "supplier_features",
                           columns=["supplier_id", "date", "supplier_delay_mean_90"]), worst,
    )

    forecast_section = _forecast_section(read, ranked, versions.get(DEMAND_MODEL), as_of)

    _echo(f"[5/5] what-if: {what_if_days}-day simulator runs")
    runs, what_if_notes = what_if_runs(settings, read, what_if_days)
    what_if = sections.what_if_table(run_what_ifs(runs))

    out.mkdir(parents=True, exist_ok=True)
    at_risk.to_csv(out / "at_risk.csv", index=False)
    recs.to_csv(out / "recommendations.csv", index=False)
    scorecard.to_csv(out / "suppliers.csv", index=False)
    what_if.to_csv(out / "what_if.csv", index=False)
    page = [
        Section(
            "at-risk", "SKU-locations at risk",
            notes=[
                f"{int((ranked['backorder_probability'] >= 0.5).sum())} of {len(ranked)} SKU-locations have a "
                f"backorder probability of 50% or more within {horizon} days. Expected cost = P(backorder "
                f"within {horizon} days, sku_location_risk v{versions[RISK_MODEL]}) x units short if short "
                f"(demand over the horizon against free stock plus inbound expected by {need_date.date()}) "
                f"x penalty per unit ({penalty_factor:.0%} of the unit price).",
                "Reasons: the features pushing the probability up most (TreeSHAP).",
            ],
            plots=[("expected cost of the top SKU-locations", plots.at_risk_plot(ranked))],
            tables=[at_risk.head(top)[PAGE_AT_RISK_COLUMNS]],
            formats={"backorder_probability": ".1%", "expected_cost": ",.0f", "penalty_per_unit": ",.2f"},
            text_last=True,
        ),
        Section(
            "recommendations", "Recommended reallocations and expedites",
            notes=[
                f"{int((recs['action'] == 'transfer').sum())} transfer(s) and "
                f"{int((recs['action'] == 'expedite').sum())} expedite(s) pay off (expected cost avoided above "
                f"their cost). Open PO delays: {delay_source}.",
            ],
            plots=[("expected effect against cost", plots.recommendations_plot(recs))],
            tables=[recs.head(top)],
            formats={"expected_cost_avoided": ",.0f", "cost": ",.0f", "net_benefit": ",.0f"},
            text_last=True,
        ),
        Section(
            "suppliers", "Supplier scorecards",
            notes=["On-time rate, mean delay (days after the promised date) over the last 90 and 365 days, "
                   "trend = 90-day minus 365-day mean delay, fill rate = units received / ordered."],
            plots=[("supplier on-time rate and delay trend", plots.supplier_plot(scorecard, delay_history))],
            tables=[scorecard],
            formats={c: ".1%" for c in ("on_time_rate_90", "on_time_rate_365", "fill_rate_90", "fill_rate_365")},
        ),
        forecast_section,
        Section(
            "what-if", "What-if on the simulator",
            notes=what_if_notes,
            plots=[("what-if runs", plots.what_if_plot(what_if))] if runs else [],
            tables=[what_if] if runs else [],
            formats={"fill_rate": ".2%", "total_cost": ",.0f", "total_cost_change": ",.0f"},
        ),
        Section("exports", "CSV exports", links=[(name, f"{name}: {text}") for name, text in EXPORTS.items()]),
    ]
    models = ", ".join(f"{name} v{version}" for name, version in sorted(versions.items()))
    context = {
        "as_of": str(as_of.date()),
        "horizon": horizon,
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "models": models,
        "assumptions": f"Demand over the horizon: {demand_source}. {len(open_pos)} open PO lines.",
    }
    index = out / "index.html"
    index.write_text(render_html(page, context), encoding="utf-8")
    _echo(f"report written in {time.perf_counter() - started:.1f} s")
    return index


def _forecast_section(read: dict[str, pd.DataFrame], ranked: pd.DataFrame, demand_version: str | None,
                      as_of: pd.Timestamp) -> Any:
    """The demand champion's held-out backtest window against what happened, top-risk series first;
    without a champion, a note saying what stands in."""
    import pandas as pd
    from mlflow.exceptions import MlflowException

    from contracts.errors import MissingInput
    from reports import plots, sections
    from reports.render import Section
    from training.tracking import load_reference

    title = "Forecast against actuals"
    if demand_version is None:
        _echo("[4/5] forecast: no demand champion")
        return Section("forecast", title, notes=[
            f"No demand champion (no demand model has passed its gate), so no held-out forecasts to show. "
            f"Demand over the horizon above is the {RECENT_DEMAND}."])
    _echo("[4/5] forecast: the demand champion's held-out window against actuals")
    try:
        reference = load_reference(DEMAND_MODEL)
    except (MlflowException, OSError) as error:
        raise MissingInput(
            f"held-out reference of demand champion v{demand_version} ({error})",
            f"run `backorder train demand --force` then `backorder promote --model {DEMAND_MODEL}`",
        ) from error
    series = sections.forecast_series(reference, ranked)
    forecast = sections.forecast_vs_actual(reference, series)
    window_start = forecast["ds"].min() if len(forecast) else as_of
    history = sections.daily_actuals(
        read["order_lines"], read["orders"], series, window_start - pd.Timedelta(days=28),
        forecast["ds"].max() if len(forecast) else as_of,
    )
    window = f"{window_start.date()}..{forecast['ds'].max().date()}" if len(forecast) else "none"
    return Section(
        "forecast", title,
        notes=[f"Demand champion v{demand_version}: its backtest forecasts for {window}, made by the "
               "same recipe fitted only on the days before the window (held out, not in-sample fit), "
               "against the demand that happened. Top-risk series first."],
        plots=[("forecast against actuals", plots.forecast_plot(forecast, history))],
        tables=[sections.forecast_accuracy(forecast)],
        formats={"coverage_80": ".0%", "wape": ".1%"},
    )


def _promotions(settings: Settings, as_of: pd.Timestamp) -> pd.DataFrame:
    """Promotions announced by ``as_of`` (what a forecast made that day may know); empty if none."""
    from features.promotions import announced_by
    from pipelines.tables import read_canonical_tables

    columns = ["sku_id", "location_id", "announced_date", "start_date", "end_date", "discount_pct"]
    promotions = read_canonical_tables(settings.canonical_dir, ["promotions"], {"promotions": columns})["promotions"]
    return announced_by(promotions, as_of)


def _horizon_demand(model: Any, promotions: pd.DataFrame, latest: pd.DataFrame, recent: pd.DataFrame,
                    as_of: pd.Timestamp, horizon: int) -> tuple[pd.DataFrame, str]:
    """Demand quantiles over the horizon: the demand champion's daily forecast from ``as_of`` where
    it has one, else (and without a champion, ``model`` None) the ``recent`` daily mean and s.d.
    (row-aligned with ``latest``); and a sentence saying which was used."""
    import numpy as np
    import pandas as pd

    from features.promotions import promotion_covariates
    from features.timeseries import ID, TIME
    from reports.sections import horizon_demand, horizon_demand_from_daily

    history = horizon_demand(recent, horizon)
    fallback = RECENT_DEMAND
    if model is None:
        return history, f"{fallback}; no demand champion"
    forecaster = getattr(model, "forecaster", model)
    origin = getattr(forecaster, "origin_", None)
    if origin is None or not hasattr(forecaster, "spec"):
        return history, f"{fallback}; the demand champion has no forecast origin"
    last = pd.Timestamp(pd.to_datetime(origin[TIME]).max()).normalize()
    if last != as_of:
        return history, f"{fallback}; the demand champion's data ends {last.date()}, not on {as_of.date()}"
    h = int(forecaster.spec.horizon)
    days = pd.date_range(last + pd.Timedelta(days=1), periods=h, freq="D")
    future = promotion_covariates(promotions, origin[ID].unique(), days)
    for column in set(forecaster.spec.known_covariates) - set(future.columns):
        future[column] = np.nan
    from_model = horizon_demand_from_daily(forecaster.predict(h, future), latest, horizon)
    covered = int(from_model["demand_p50"].notna().sum())
    combined = from_model.fillna(history)
    text = f"the demand champion's {h}-day forecast from {as_of.date()}, scaled to {horizon} days"
    if covered < len(latest):
        text += f", for {covered} of {len(latest)} SKU-locations ({fallback} for the rest)"
    return combined, text


def _row_of(latest: pd.DataFrame, ranked: pd.DataFrame) -> pd.Index:
    """Index labels in ``latest`` of the SKU-locations of ``ranked`` (same order)."""
    import pandas as pd

    keys = pd.MultiIndex.from_frame(latest[["sku_id", "location_id"]])
    return latest.index[keys.get_indexer(pd.MultiIndex.from_frame(ranked[["sku_id", "location_id"]]))]


def report(
    out: Path | None = typer.Option(None, "--out", help="Folder for index.html and the CSVs "
                                    "(default: <data>/reports/latest, served by the service)."),
    config: Path | None = CONFIG_OPTION,
    horizon: int = typer.Option(
        14, min=1, help="Days ahead the risk and the actions cover (keep it equal to `features build --horizon`, "
        "the horizon the sku_location_risk labels were built with)."
    ),
    what_if_days: int = typer.Option(180, min=30, help="Days simulated per what-if run."),
    penalty_factor: float = typer.Option(0.10, min=0.0, help="Backorder penalty per unit, as a share of price."),
    top: int = typer.Option(25, min=1, help="Rows shown per table on the page (the CSVs have all)."),
) -> None:
    """Write the planner risk report: at-risk SKU-locations, actions, suppliers, forecasts, what-ifs."""
    index = write_report(command_settings(config), out, what_if_days=what_if_days, horizon=horizon,
                         penalty_factor=penalty_factor, top=top)
    typer.echo(f"wrote {index} and {', '.join(EXPORTS)}")
