"""The Feast store: generated repository, point-in-time training sets, online reads."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from features.feature_store import (
    OnlineReader,
    historical_features,
    materialize,
    online_request_features,
    order_line_training_set,
)
from features.order_line import request_feature_names, request_features
from training.recipes import BACKORDER_RISK, SKU_LOCATION_RISK


def test_apply_generates_a_python_free_repository_with_absolute_paths(applied_store):
    settings, _, store = applied_store
    files = sorted(p.name for p in settings.feature_repo_dir.iterdir())
    assert files == ["feature_store.yaml", "registry.db"]
    config = yaml.safe_load((settings.feature_repo_dir / "feature_store.yaml").read_text())
    assert config["offline_store"] == {"type": "duckdb"}
    assert config["online_store"]["type"] == "features.sqlite_online_store.FastReadSqliteOnlineStore"
    assert config["online_store"]["path"].startswith("/")
    sources = [v.batch_source.path for v in store.list_feature_views()]
    assert sources and all(path.startswith("/") for path in sources)
    services = {job.feature_service for job in (BACKORDER_RISK, SKU_LOCATION_RISK)}
    assert {s.name for s in store.list_feature_services()} >= services
    assert {e.name for e in store.list_entities()} >= {"sku", "location", "supplier"}


def test_training_rows_get_the_features_of_their_own_snapshot(applied_store):
    _, built, store = applied_store
    entities = built.sku_location_labels.sample(frac=1.0, random_state=1)  # shuffled order
    joined = historical_features(store, entities, "sku_location_risk_v1")
    assert joined.index.equals(entities.index)
    expected = entities.merge(
        built.sku_location_features,
        how="left",
        on=["sku_id", "location_id", "event_timestamp", "snapshot_date"],
    )
    for column in ("on_hand", "demand_mean_28", "inbound_due_lt_qty", "days_since_last_sale"):
        np.testing.assert_allclose(
            joined[column].to_numpy(dtype=float),
            expected[column].to_numpy(dtype=float),
            equal_nan=True,
        )
    supplier = built.supplier_features.set_index(["supplier_id", "date"])["supplier_delay_mean_90"]
    want = supplier.reindex(
        pd.MultiIndex.from_arrays([entities["supplier_id"], entities["snapshot_date"]])
    )
    np.testing.assert_allclose(joined["supplier_delay_mean_90"], want.to_numpy(), equal_nan=True)


def test_an_order_sees_the_previous_days_snapshot_not_its_own(applied_store):
    _, built, store = applied_store
    lines = built.order_line_labels
    rows = order_line_training_set(store, lines, "backorder_risk_v1")
    feats = built.sku_location_features.set_index(["sku_id", "location_id", "snapshot_date"])
    previous = pd.MultiIndex.from_arrays(
        [
            lines["sku_id"],
            lines["location_id"],
            lines["request_time"].dt.floor("D") - pd.Timedelta(days=1),
        ]
    )
    want = feats["on_hand"].reindex(previous).to_numpy()
    np.testing.assert_allclose(rows["on_hand"].to_numpy(dtype=float), want, equal_nan=True)
    assert rows["on_hand"].notna().mean() > 0.9  # all but the first day's orders have a snapshot
    assert set(request_feature_names()) <= set(rows.columns)


def test_online_path_gives_the_training_values_for_the_same_moment(applied_store):
    """The service's path (request + online features) equals the training row for that line."""
    _, built, store = applied_store
    lines = built.order_line_labels
    line = lines[lines["request_time"].dt.floor("D") == pd.Timestamp("2024-02-10")].iloc[[0]]
    moment = line["event_timestamp"].iloc[0].to_pydatetime()
    materialize(store, moment - pd.Timedelta(days=30), moment)
    request = line[
        [
            "sku_id",
            "location_id",
            "supplier_id",
            "quantity",
            "requested_date",
            "request_time",
            "customer_tier",
        ]
    ]
    online = online_request_features(OnlineReader(store, "backorder_risk_v1"), request)
    offline = order_line_training_set(store, line, "backorder_risk_v1")
    columns = request_feature_names() + [
        "on_hand",
        "available",
        "demand_std_28",
        "supplier_on_time_rate_90",
        "lane_lead_time_mean_365",
    ]
    np.testing.assert_allclose(
        online[columns].to_numpy(dtype=float),
        offline[columns].to_numpy(dtype=float),
        equal_nan=True,
    )


def test_request_features_of_a_request():
    requests = pd.DataFrame(
        {
            "quantity": [4, 10, 3],
            "customer_tier": ["gold", "bronze", "silver"],
            "requested_date": pd.to_datetime(["2024-03-05"] * 3),
            "request_time": pd.to_datetime(["2024-03-01 22:00"] * 3),
        }
    )
    out = request_features(requests, pd.DataFrame({"available": [8.0, 5.0, np.nan]}))
    assert out["days_until_requested"].tolist() == [4, 4, 4]
    assert out["customer_tier_code"].tolist() == [0, 2, 1]
    assert out["quantity_over_available"].tolist()[:2] == [0.5, 2.0]
    assert out["shortfall_qty"].tolist()[:2] == [0, 5]
    assert np.isnan(out["fits_available"].iloc[2])


def test_unknown_customer_tier_is_named_in_the_error():
    requests = pd.DataFrame(
        {
            "quantity": [1],
            "customer_tier": ["platinum"],
            "requested_date": [pd.Timestamp("2024-03-05")],
            "request_time": [pd.Timestamp("2024-03-01")],
        }
    )
    with pytest.raises(ValueError, match="customer_tier.*platinum"):
        request_features(requests, pd.DataFrame({"available": [1.0]}))


def test_unknown_feature_service_is_rejected(applied_store):
    _, built, store = applied_store
    with pytest.raises(ValueError, match="unknown feature service"):
        historical_features(store, built.sku_location_labels.head(2), "backorder_risk_v0")


def test_online_reader_returns_what_feast_get_online_features_returns(applied_store):
    _, _, store = applied_store
    end = pd.Timestamp("2024-02-25", tz="UTC").to_pydatetime()
    materialize(store, end - pd.Timedelta(days=30), end)
    rows = pd.DataFrame(
        {
            "sku_id": ["SKU-3", "SKU-1", "SKU-9"],
            "location_id": ["DC-2", "DC-1", "DC-1"],
            "supplier_id": ["S-1", "S-1", "S-1"],
        },
        index=[7, 3, 5],
    )
    reader = OnlineReader(store, "sku_location_risk_v1")
    got = reader.read(rows)
    assert got.index.tolist() == [7, 3, 5]
    feast = store.get_online_features(
        features=store.get_feature_service("sku_location_risk_v1"), entity_rows=rows.to_dict("records")
    ).to_dict()
    for name in reader.feature_names:
        want = pd.to_numeric(pd.Series(feast[name], dtype=object)).astype(float).to_numpy()
        np.testing.assert_allclose(got[name].to_numpy(), want, equal_nan=True, err_msg=name)
    assert got.loc[5].isna().all()  # unknown SKU-location: NaN, not zero
    lanes = OnlineReader(store, "lead_time_v1").read(rows)
    assert lanes.loc[3, "supplier_on_time_rate_90"] == got.loc[3, "supplier_on_time_rate_90"]
    assert lanes.loc[3, "lane_lead_time_mean_365"] == got.loc[3, "lane_lead_time_mean_365"]
