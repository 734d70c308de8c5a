"""Production wiring: supply and ETAs from canonical tables, serving date, demand forecasts,
readiness body, planner reports, and a real Feast store whose Redis is unreachable."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from serving_helpers import TODAY, auth, order

from serving.eta import FrameEtaLookup
from serving.forecast import HorizonTooLong, build_forecaster, load_recent_demand
from serving.registry import load_champions
from serving.runtime import RISK, build_runtime, production_components, serving_date
from serving.supply import fallback_name, load_canonical_supply
from settings import load_settings

# The key "k" with the oms role, as a settings entry.
K_HASH = "scrypt$16384$8$1$8_LbVYiDDLdtZjnZdx68fw$G3uRW2TGiCHvTRqq1gWhEHYogUR0iFFxbu3XgcZShMw"
HASHED_KEYS = {"k": {"hash": K_HASH, "roles": ["oms"]}}

AS_OF = pd.Timestamp("2026-03-02")


def write_canonical(directory: Path) -> None:
    """Two snapshot days, four PO lines (received, open, open-with-ASN, not yet placed)."""
    directory.mkdir(parents=True, exist_ok=True)
    day = pd.to_datetime
    pd.DataFrame(
        {
            "snapshot_date": day(["2026-03-01", "2026-03-01", "2026-03-02", "2026-03-03"]),
            "sku_id": ["A", "B", "A", "A"],
            "location_id": ["DC1", "DC1", "DC1", "DC1"],
            "on_hand": [5, 7, 9, 100],
            "allocated": [0, 1, 2, 0],
        }
    ).to_parquet(directory / "inventory_snapshots.parquet")
    pd.DataFrame(
        {
            "po_id": ["P-done", "P-open", "P-asn", "P-future"],
            "supplier_id": ["S1"] * 4,
            "sku_id": ["A", "A", "B", "A"],
            "location_id": ["DC1"] * 4,
            "quantity": [10, 20, 30, 40],
            "order_date": day(["2026-01-01", "2026-02-01", "2026-02-10", "2026-03-05"]),
            "promised_date": day(["2026-02-01", "2026-03-10", "2026-03-05", "2026-04-01"]),
            "received_date": day(["2026-02-03", "2026-03-04", None, None]),
            "is_expedited": pd.array([False, False, None, False], dtype="boolean"),
        }
    ).to_parquet(directory / "purchase_orders.parquet")
    pd.DataFrame(
        {
            "asn_id": ["N1", "N2"],
            "po_id": ["P-asn", "P-asn"],
            "event_time": day(["2026-02-20 06:00", "2026-03-09 06:00"]),  # the second is after as-of
            "eta": day(["2026-03-08", "2026-03-20"]),
            "quantity": [30, 30],
        }
    ).to_parquet(directory / "asn_events.parquet")
    pd.DataFrame({"sku_id": ["A", "B"], "category": ["c1", "c2"]}).to_parquet(directory / "skus.parquet")


class ConstantDelays:
    """A lead-time model stand-in: every open line 1/2/4 days late (checks the wiring only)."""

    def __init__(self) -> None:
        self.seen: pd.DataFrame | None = None

    def predict(self, lines: pd.DataFrame) -> pd.DataFrame:
        self.seen = lines
        n = len(lines)
        return pd.DataFrame({"p10": np.ones(n), "p50": np.full(n, 2.0), "p90": np.full(n, 4.0)})


def test_supply_is_the_position_and_the_open_pos_on_the_serving_date(tmp_path: Path):
    write_canonical(tmp_path)
    model = ConstantDelays()
    supply = load_canonical_supply(tmp_path, AS_OF, model)

    stock = supply.stock.set_index(["sku_id", "location_id"])
    assert stock.loc[("A", "DC1"), "on_hand"] == 9  # the 03-03 snapshot is after the serving date
    assert stock.loc[("B", "DC1"), "on_hand"] == 7  # B's last snapshot before it
    inbound = supply.inbound.set_index("po_id")
    assert sorted(inbound.index) == ["P-asn", "P-open"]  # received after as-of is still open
    assert model.seen is not None and {"category", "supplier_id"} <= set(model.seen.columns)
    assert inbound.loc["P-open", ["delay_p10", "delay_p50", "delay_p90"]].tolist() == [1, 2, 4]
    # The ASN received by the serving date announces 3 days late: the median moves there.
    assert inbound.loc["P-asn", ["delay_p10", "delay_p50", "delay_p90"]].tolist() == [1, 3, 4]

    rows_a = supply.supply(["A"])
    assert rows_a.stock_sku.tolist() == ["A"] and rows_a.po_id.tolist() == ["P-open"]
    eta = FrameEtaLookup(supply.inbound, lambda: AS_OF)("P-open")
    assert eta["eta_p50"] == dt.date(2026, 3, 12) and eta["eta_p90"] == dt.date(2026, 3, 14)
    assert FrameEtaLookup(supply.inbound, lambda: AS_OF)("P-done") is None


def test_without_a_lead_time_champion_open_pos_get_their_suppliers_delays(tmp_path: Path):
    write_canonical(tmp_path)
    supply = load_canonical_supply(tmp_path, AS_OF, None)
    # S1's one line received by the serving date came 2 days late (P-open's receipt is after it).
    inbound = supply.inbound.set_index("po_id")
    assert inbound.loc["P-open", ["delay_p10", "delay_p50", "delay_p90"]].tolist() == [2, 2, 2]
    assert inbound.loc["P-asn", ["delay_p10", "delay_p50", "delay_p90"]].tolist() == [2, 3, 3]  # the ASN's 3 days
    assert supply.delay_source.startswith("supplier delay quantiles of 1 PO lines received by 2026-03-02")
    eta = FrameEtaLookup(supply.inbound, lambda: AS_OF)("P-open")
    assert eta["eta_p50"] == dt.date(2026, 3, 12)

    before_any_receipt = load_canonical_supply(tmp_path, pd.Timestamp("2026-02-02"), None)
    assert before_any_receipt.delay_model is None and before_any_receipt.delay_source.startswith("promised dates")
    assert before_any_receipt.inbound[["delay_p10", "delay_p50", "delay_p90"]].eq(0).all().all()
    # What an ETA names as its source in each case.
    assert (fallback_name(supply), fallback_name(before_any_receipt)) == ("supplier_delay_quantiles", "promised_dates")


def test_without_canonical_orders_there_is_no_recent_demand_to_forecast_from(tmp_path: Path):
    write_canonical(tmp_path)  # stock and POs, no orders
    positions = load_canonical_supply(tmp_path, AS_OF, None).stock
    with pytest.raises(FileNotFoundError, match="no canonical orders or order_lines"):
        load_recent_demand(tmp_path, positions, AS_OF)


def test_serving_date_follows_the_data_in_the_embedded_profile(tmp_path: Path):
    write_canonical(tmp_path / "data" / "canonical")
    settings = load_settings(data_dir=tmp_path / "data")
    notes: list[str] = []
    assert serving_date(settings, pd.Timestamp("2027-01-01"), notes) == pd.Timestamp("2026-03-03")
    assert "last inventory snapshot" in notes[0]
    fixed = load_settings(data_dir=tmp_path / "data", serving_as_of="2026-03-02")
    assert serving_date(fixed, pd.Timestamp("2027-01-01"), []) == AS_OF
    production = load_settings(
        data_dir=tmp_path / "data", profile="production", allow_dev_key=False,
        api_keys=HASHED_KEYS,
    )
    assert serving_date(production, pd.Timestamp("2027-01-01"), []) == pd.Timestamp("2027-01-01")


@pytest.fixture(scope="module")
def demand_model():
    from features.timeseries import LagFeatureSpec
    from training.forecasting.model import DemandForecaster, DemandSpec

    rng = np.random.default_rng(3)
    days = pd.date_range("2025-10-01", periods=90)
    ids = ["SKU000|DC1", "SKU001|DC1", "SKU002|DC2"]
    frame = pd.DataFrame(
        {"unique_id": np.repeat(ids, len(days)), "ds": np.tile(days, len(ids))}
    ).assign(
        y=rng.poisson(5, len(ids) * len(days)).astype(float), promo_active=0.0, promo_discount=0.0
    )
    spec = DemandSpec(
        features=LagFeatureSpec(lags=(0, 1, 6), seasonal_lags=(7,), windows=(7,), scale_window=14),
        horizon=5,
        freq="D",
        known_covariates=("promo_active", "promo_discount"),
        num_boost_round=20,
    )
    return DemandForecaster(spec).fit(frame)


def test_demand_forecasts_are_precomputed_with_promotions(demand_model):
    promotions = pd.DataFrame(
        {
            "sku_id": ["SKU000"],
            "location_id": ["DC1"],
            "announced_date": pd.to_datetime(["2025-12-01"]),
            "start_date": pd.to_datetime(["2025-12-30"]),
            "end_date": pd.to_datetime(["2026-01-10"]),
            "discount_pct": [0.3],
        }
    )
    forecaster = build_forecaster(demand_model, promotions)
    frame = forecaster("SKU000", "DC1", 3)
    assert frame["ds"].tolist() == [dt.date(2025, 12, d) for d in (30, 31)] + [dt.date(2026, 1, 1)]
    assert (frame["p10"] <= frame["p50"]).all() and (frame["p50"] <= frame["p90"]).all()
    assert forecaster("SKU999", "DC1", 3).empty
    with pytest.raises(HorizonTooLong, match="at most 5 days"):
        forecaster("SKU000", "DC1", 6)


def test_forecast_route_names_the_horizon_and_unknown_series(client, runtime, demand_model):
    runtime.components.forecaster = build_forecaster(demand_model, None)
    ok = client.post(
        "/v1/forecast", json={"sku_id": "SKU001", "location_id": "DC1", "horizon_days": 5},
        headers=auth("planner-key"),
    )
    assert ok.status_code == 200 and len(ok.json()["points"]) == 5
    long = client.post(
        "/v1/forecast", json={"sku_id": "SKU001", "location_id": "DC1", "horizon_days": 30},
        headers=auth("planner-key"),
    )
    assert long.status_code == 422 and long.json()["detail"][0]["field"] == "horizon_days"
    unknown = client.post(
        "/v1/forecast", json={"sku_id": "NOPE", "location_id": "DC1", "horizon_days": 3}, headers=auth("planner-key")
    )
    assert unknown.status_code == 404 and unknown.json()["detail"][0]["field"] == "sku_id"


def test_reports_are_served_to_planners_and_nothing_outside(client, runtime, service_settings):
    latest = service_settings.reports_dir / "latest"
    (latest / "plots").mkdir(parents=True)
    (latest / "index.html").write_text("<html><h1>Planner report</h1></html>")
    (latest / "plots" / "risk.csv").write_text("sku_id,p\nSKU000,0.4\n")
    (service_settings.reports_dir / "secret.txt").write_text("not for you")

    page = client.get("/v1/reports/latest", headers=auth("planner-key"))
    assert page.status_code == 200 and "Planner report" in page.text
    assert page.headers["content-type"].startswith("text/html")
    csv = client.get("/v1/reports/latest/plots/risk.csv", headers=auth("planner-key"))
    assert csv.status_code == 200 and "SKU000" in csv.text
    assert client.get("/v1/reports/latest", headers=auth("oms-key")).status_code == 403
    assert client.get("/v1/reports/latest").status_code == 401
    for path in ("..%2Fsecret.txt", "plots/..%2F..%2Fsecret.txt", "missing.png"):
        r = client.get(f"/v1/reports/latest/{path}", headers=auth("planner-key"))
        assert r.status_code == 404, path
        assert "not for you" not in r.text
    newline = client.get("/v1/eta/a%0Ab", headers=auth("planner-key"))  # BentoML's mount skips it
    assert newline.status_code == 404 and newline.json()["detail"][0]["field"] == "path"


def test_readyz_says_what_is_missing_and_where_models_came_from(client, service_settings, components):
    from serving.service import app

    reader = components.reader
    components.reader = None
    app.state.runtime = build_runtime(service_settings, components, today=lambda: TODAY)
    r = client.get("/readyz")
    assert r.status_code == 503 and r.json()["missing"] == ["feature store"]
    app.state.runtime.log.close()

    components.reader = reader
    app.state.runtime = build_runtime(service_settings, components, today=lambda: TODAY)
    ok = client.get("/readyz")
    assert ok.status_code == 200 and ok.json()["models"][RISK] == {"version": "3", "source": "registry"}
    assert client.get("/healthz").status_code == 200
    app.state.runtime.log.close()


@pytest.mark.redis
@pytest.mark.slow
def test_registry_down_and_redis_unreachable(client, service_settings, risk_model, tmp_path):
    """Start-up with the registry down takes the cached champion and says so in /readyz; a
    real Feast store whose Redis port is closed: /readyz 503 and scores 503 naming the feature store."""
    from features.feature_store import apply_definitions
    from serving.service import app

    settings = load_settings(
        data_dir=service_settings.data_dir,
        api_keys=service_settings.api_keys,
        online_store="redis",
        redis_connection_string="127.0.0.1:1",  # nothing listens there
    )
    write_canonical(settings.canonical_dir)
    # A's orders: 14 units on each of the two days before today, nothing else in the last 28 days.
    days = pd.to_datetime(["2026-01-10 09:00", "2026-02-28 09:00", "2026-03-01 15:00"])
    pd.DataFrame({"order_id": ["O0", "O1", "O2"], "order_time": days}).to_parquet(
        settings.canonical_dir / "orders.parquet"
    )
    pd.DataFrame({"order_id": ["O0", "O1", "O2"], "line_id": ["L0", "L1", "L2"], "sku_id": "A", "location_id": "DC1",
                  "quantity": [50, 14, 14]}).to_parquet(settings.canonical_dir / "order_lines.parquet")
    apply_definitions(settings)
    load_champions([RISK], lambda name, alias: (risk_model, "4"), settings.model_cache_dir)

    def registry_down(name: str, alias: str):
        raise ConnectionError("registry unreachable")

    components = production_components(settings, loader=registry_down, today=lambda: TODAY)
    assert components.models[RISK].source == "cache"
    assert components.as_of is None  # data ends on 2026-03-03, after "today": serve as of today
    app.state.runtime = build_runtime(settings, components)
    ready = client.get("/readyz").json()
    assert ready["models"][RISK] == {"version": "4", "source": "cache"}
    assert not ready["ready"] and ready["missing"] == ["feature store"]  # Redis does not answer
    assert any("local cache" in note for note in ready["notes"])
    assert "demand: no champion registered" not in ready["notes"]  # the registry is down, not empty
    assert "demand forecasts: recent_mean_demand (no demand champion)" in ready["notes"]
    # Without a demand champion, the forecast is the recent demand the stock-out alerts consume, named.
    forecast = client.post("/v1/forecast", json={"sku_id": "A", "location_id": "DC1", "horizon_days": 3},
                           headers=auth("planner-key"))
    assert forecast.status_code == 200, forecast.text
    assert forecast.json()["model_version"] == "recent_mean_demand"
    points = forecast.json()["points"]
    assert [p["ds"] for p in points] == ["2026-03-03", "2026-03-04", "2026-03-05"]
    sd = (2 * 14**2 / 28 - 1.0) ** 0.5  # 28 units over 28 days: mean 1
    assert points[0]["p50"] == pytest.approx(1.0) and points[0]["p90"] == pytest.approx(1 + 1.2816 * sd, rel=1e-4)
    assert points[0]["p10"] == 0.0 and {**points[2], "ds": None} == {**points[0], "ds": None}  # every day alike
    quiet = client.post("/v1/forecast", json={"sku_id": "B", "location_id": "DC1", "horizon_days": 1},
                        headers=auth("planner-key"))
    assert [(p["p10"], p["p50"], p["p90"]) for p in quiet.json()["points"]] == [(0.0, 0.0, 0.0)]
    too_long = client.post("/v1/forecast", json={"sku_id": "A", "location_id": "DC1", "horizon_days": 8},
                           headers=auth("planner-key"))
    assert too_long.status_code == 422 and "at most 7 days" in too_long.json()["detail"][0]["problem"]
    # No lead_time champion either: the open POs get their supplier's delays, and the notes say so.
    assert any(note.startswith("open POs' delays: supplier delay quantiles") for note in ready["notes"])
    # A PO's ETA comes from the same delays (S1's one received line, 2 days late), named as such.
    eta = client.get("/v1/eta/P-open", headers=auth("planner-key"))
    assert eta.status_code == 200, eta.text
    assert eta.json()["model_version"] == "supplier_delay_quantiles"
    assert (eta.json()["promised_date"], eta.json()["eta_p50"], eta.json()["eta_p90"]) == (
        "2026-03-10", "2026-03-12", "2026-03-12"
    )

    body = order(2)
    body["lines"][0].update(sku_id="A", location_id="DC1")
    r = client.post("/v1/score", json=body, headers=auth("oms-key"))
    assert r.status_code == 503 and r.json()["detail"][0]["field"] == "feature_store"
    assert r.headers["Retry-After"] == "5"
    # The next request within the retry window does not wait on the connection retries again.
    started = time.perf_counter()
    again = client.post("/v1/score", json=body, headers=auth("oms-key"))
    assert again.status_code == 503 and "next attempt" in again.json()["detail"][0]["problem"]
    assert time.perf_counter() - started < 1.0
    app.state.runtime.log.close()
