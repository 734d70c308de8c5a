"""``backorder benchmark stallion`` / ``scms`` on small generated files in the real formats."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from pipelines.cli import app
from training.recipes import STALLION_BLEND

runner = CliRunner()


def run(*args: str) -> str:
    result = runner.invoke(app, ["benchmark", *args])
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result.output


def run_stallion(folder, *options: str) -> str:
    """``benchmark stallion`` on ``folder``'s train.parquet and future.parquet into pred.parquet."""
    return run(
        "stallion",
        "--train",
        str(folder / "train.parquet"),
        "--future",
        str(folder / "future.parquet"),
        "--out",
        str(folder / "pred.parquet"),
        "--no-check",
        *options,
    )

def run_scms(folder, *options: str) -> str:
    """``benchmark scms`` on ``folder``'s train.parquet and test.parquet into pred.parquet."""
    return run(
        "scms",
        "--train",
        str(folder / "train.parquet"),
        "--test",
        str(folder / "test.parquet"),
        "--out",
        str(folder / "pred.parquet"),
        *options,
    )



def test_stallion_command_writes_one_row_per_future_row(tmp_path: Path, make_stallion) -> None:
    train, future = make_stallion(n_agencies=3, n_skus=2, months=30)
    # a pair without demand in 2 of its last 12 months: its P10 is zero (a tenth of outcomes are)
    sparse = (train["agency"] == "Agency_01") & (train["sku"] == "SKU_01")
    train.loc[sparse & train["date"].isin(train["date"].drop_duplicates().nlargest(12).iloc[[2, 7]]), "volume"] = 0.0
    # an agency-SKU pair with no history, shuffled rows and a string date must still be served
    new = future[future["agency"] == "Agency_00"].assign(agency="Agency_99")
    future = pd.concat([future, new]).sample(frac=1.0, random_state=0)
    future["date"] = future["date"].dt.strftime("%Y-%m-%d")
    train.to_parquet(tmp_path / "train.parquet")
    future.to_parquet(tmp_path / "future.parquet")
    out = run_stallion(tmp_path)
    assert f"model {STALLION_BLEND.label}" in out  # the default: the recipe's blend
    pred = pd.read_parquet(tmp_path / "pred.parquet")
    assert list(pred.columns) == ["agency", "sku", "date", "p10", "p50", "p90"]
    assert len(pred) == len(future)
    keys = ["agency", "sku", "date"]
    expected = future.assign(date=pd.to_datetime(future["date"]))[keys]
    pd.testing.assert_frame_equal(
        pred[keys].astype({"agency": object, "sku": object}).reset_index(drop=True),
        expected.reset_index(drop=True),
        check_dtype=False,
    )
    assert pred[["p10", "p50", "p90"]].notna().all().all()
    assert (pred["p10"] <= pred["p50"]).all() and (pred["p50"] <= pred["p90"]).all()
    is_sparse = (pred["agency"] == "Agency_01") & (pred["sku"] == "SKU_01")
    assert (pred.loc[is_sparse, "p10"] == 0).all()
    assert (pred.loc[~is_sparse & (pred["agency"] != "Agency_99"), "p10"] > 0).all()


def test_stallion_command_with_the_ensemble_forecasts_every_row(tmp_path: Path, make_stallion) -> None:
    train, future = make_stallion(n_agencies=3, n_skus=2, months=36)
    train.to_parquet(tmp_path / "train.parquet")
    future.to_parquet(tmp_path / "future.parquet")
    out = run_stallion(tmp_path, "--model", "ensemble")
    assert "model Ensemble" in out
    pred = pd.read_parquet(tmp_path / "pred.parquet")
    assert len(pred) == len(future)
    assert pred[["p10", "p50", "p90"]].notna().all().all()
    assert (pred["p10"] <= pred["p50"]).all() and (pred["p50"] <= pred["p90"]).all()
    assert (pred["p90"] > pred["p10"]).mean() > 0.9


@pytest.mark.slow
def test_stallion_command_prints_its_validation(tmp_path: Path, make_stallion) -> None:
    train, future = make_stallion(n_agencies=2, n_skus=2, months=36)
    train.to_parquet(tmp_path / "train.parquet")
    future.to_parquet(tmp_path / "future.parquet")
    out = run(
        "stallion",
        "--train",
        str(tmp_path / "train.parquet"),
        "--future",
        str(tmp_path / "future.parquet"),
        "--out",
        str(tmp_path / "pred.parquet"),
    )
    assert "internal validation" in out and "LightGBM" in out and "AutoETS" in out
    assert STALLION_BLEND.label in out and "LightGBMNoIds" in out


def test_scms_command_writes_one_row_per_test_row(tmp_path: Path, make_scms, scms_outcomes) -> None:
    lines = make_scms(1200, seed=3)
    cutoff = pd.Timestamp("2013-01-01")
    train = lines[lines["delivered_to_client_date"] <= cutoff]
    test = lines[lines["delivered_to_client_date"] > cutoff].drop(columns=list(scms_outcomes))
    test.loc[test.index[:3], "vendor"] = "Brand-new vendor"
    train.to_parquet(tmp_path / "train.parquet")
    test.to_parquet(tmp_path / "test.parquet")
    out = run(
        "scms",
        "--train",
        str(tmp_path / "train.parquet"),
        "--test",
        str(tmp_path / "test.parquet"),
        "--out",
        str(tmp_path / "pred.parquet"),
    )
    assert "internal validation" in out and "vendor_quantiles" in out
    pred = pd.read_parquet(tmp_path / "pred.parquet")
    assert list(pred.columns) == ["id", "p10", "p50", "p90", "p_late"]
    assert pred["id"].tolist() == test["id"].tolist()
    values = pred[["p10", "p50", "p90", "p_late"]].to_numpy()
    assert np.isfinite(values).all() and ((pred["p_late"] >= 0) & (pred["p_late"] <= 1)).all()
    assert (pred["p10"] <= pred["p50"]).all() and (pred["p50"] <= pred["p90"]).all()


def test_scms_command_survives_a_tiny_history(tmp_path: Path, make_scms, scms_outcomes) -> None:
    lines = make_scms(40, seed=4)
    lines.head(20).to_parquet(tmp_path / "train.parquet")
    lines.tail(20).drop(columns=list(scms_outcomes)).to_parquet(tmp_path / "test.parquet")
    run_scms(tmp_path)
    assert len(pd.read_parquet(tmp_path / "pred.parquet")) == 20


@pytest.mark.slow
def test_scms_on_a_real_slice(tmp_path: Path, scms_outcomes, shared_data) -> None:
    source = shared_data("scms_delivery_history/SCMS_Delivery_History_Dataset_20150929.parquet")
    lines = pd.read_parquet(source)
    cutoff = pd.Timestamp("2012-01-01")
    train = lines[lines["delivered_to_client_date"] <= cutoff]
    test = lines[lines["delivered_to_client_date"] > cutoff]
    train.to_parquet(tmp_path / "train.parquet")
    test.drop(columns=list(scms_outcomes)).to_parquet(tmp_path / "test.parquet")
    run_scms(tmp_path, "--no-check")
    pred = pd.read_parquet(tmp_path / "pred.parquet")
    assert pred["id"].tolist() == test["id"].tolist()
    inside = (test["delay_days"].to_numpy() >= pred["p10"]) & (
        test["delay_days"].to_numpy() <= pred["p90"]
    )
    assert 0.65 <= inside.mean() <= 0.95


@pytest.mark.slow
def test_stallion_on_a_real_slice(tmp_path: Path, shared_data) -> None:
    train = pd.read_parquet(shared_data("stallion_demand/stallion_train_2013-01_2017-06.parquet"))
    train = train[train["agency"].isin(["Agency_01", "Agency_02", "Agency_03", "Agency_05"])]
    cut = pd.Timestamp("2016-12-01")
    hist, hidden = train[train["date"] <= cut], train[train["date"] > cut]
    future_cols = pd.read_parquet(
        shared_data("stallion_demand/stallion_future_known_covariates_2017-07_2017-12.parquet")
    ).columns
    hist.to_parquet(tmp_path / "train.parquet")
    hidden[list(future_cols)].to_parquet(tmp_path / "future.parquet")
    run_stallion(tmp_path)
    pred = pd.read_parquet(tmp_path / "pred.parquet").merge(hidden, on=["agency", "sku", "date"])
    assert len(pred) == len(hidden)
    naive = pred[["agency", "sku"]].merge(
        hist.sort_values("date")
        .groupby(["agency", "sku"], as_index=False)
        .last()[["agency", "sku", "volume"]],
        on=["agency", "sku"],
        how="left",
    )["volume"]
    assert np.mean(np.abs(pred["volume"] - pred["p50"])) < np.mean(
        np.abs(pred["volume"].to_numpy() - naive.to_numpy())
    )
