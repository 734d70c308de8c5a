"""Boosters grown on Dask workers with the histogram bins one process builds.

Distributed LightGBM bins each feature on one worker, from that worker's own rows (its bounds,
its missing-value and zero bins), so a booster grown on several workers splits at other
thresholds than one grown in one process. Here every worker builds its training ``Dataset``
with a reference ``Dataset`` made from the same rows one process bins from (a seeded sample of
at most ``bin_construct_sample_cnt`` training rows, ``bin_sample``): LightGBM then takes the
reference's bin mappers for every feature and does no distributed binning.

``lightgbm.dask`` offers no way to pass a reference ``Dataset``, so the fit goes through its
``_train`` (the routine behind ``DaskLGBMRegressor.fit``, lightgbm 4.7.0 as pinned) with
``ReferenceBinnedFit`` as the model each worker fits.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import lightgbm as lgb
import pandas as pd

if TYPE_CHECKING:
    import dask.dataframe as dd
    from distributed import Client

# LightGBM's default number of rows it bins from in one process.
BIN_CONSTRUCT_SAMPLE_CNT = 200_000


def bin_sample(train: dd.DataFrame, params: dict[str, Any], seed: int) -> pd.DataFrame:
    """A seeded sample of ``train``'s rows, as many as LightGBM bins from in one process
    (``bin_construct_sample_cnt``), computed into this process."""
    rows = int(params.get("bin_construct_sample_cnt", BIN_CONSTRUCT_SAMPLE_CNT))
    total = int(train.shape[0].compute())
    if total <= rows:
        return train.compute()
    return train.sample(frac=rows / total, random_state=seed).compute()


# The parameters lightgbm.dask adds for the workers' network, which the bins' Dataset must not see.
NETWORK_PARAMS = ("machines", "local_listen_port", "num_machines", "time_out")


class ReferenceBinnedFit:
    """The model ``lightgbm.dask`` fits on each worker: ``lgb.train`` on the worker's rows, binned
    with the bin mappers of a ``Dataset`` built from ``bin_rows`` without the network (so by one
    process), with ``categorical`` as its categorical features."""

    def __init__(self, bin_rows: pd.DataFrame, categorical: list[str], num_iterations: int, **params: Any) -> None:
        self._bin_rows = bin_rows
        self._categorical = categorical
        self._rounds = num_iterations
        self._params = params
        # Read and cleaned by lightgbm.dask after the fit.
        self._other_params: dict[str, Any] = {}
        self.fitted_ = False

    def fit(
        self,
        X: pd.DataFrame,
        y: pd.Series,
        sample_weight: pd.Series | None = None,
        init_score: pd.Series | None = None,
        **no_eval_sets: Any,
    ) -> ReferenceBinnedFit:
        """Fit on this worker's rows (``lightgbm.dask`` passes its empty evaluation sets too)."""
        dataset_params = {k: v for k, v in self._params.items() if k not in NETWORK_PARAMS}
        reference = lgb.Dataset(
            self._bin_rows, params=dataset_params, categorical_feature=self._categorical or "auto"
        ).construct()
        self._bin_rows = None  # the fitted model travels back to the client without them
        train = lgb.Dataset(
            X, label=y, weight=sample_weight, init_score=init_score, reference=reference, params=dataset_params
        )
        self.booster_ = lgb.train(self._params, train, num_boost_round=self._rounds)
        self.fitted_ = True
        return self


def fit_on_workers(
    client: Client,
    params: dict[str, Any],
    rounds: int,
    train: dd.DataFrame,
    y: dd.Series,
    weight: dd.Series | None,
    init_score: dd.Series | None,
    bin_rows: pd.DataFrame,
    categorical: Sequence[str],
) -> lgb.Booster:
    """``rounds`` rounds of data-parallel LightGBM on the workers holding ``train``, every
    worker binning with the bins one process builds from ``bin_rows``."""
    from lightgbm.dask import _train

    # Held here while the workers fit: the scattered rows live as long as this future.
    rows_on_workers = client.scatter(bin_rows, broadcast=True)
    model = _train(
        client=client,
        data=train,
        label=y,
        sample_weight=weight,
        init_score=init_score,
        params={
            **params,
            "bin_rows": rows_on_workers,
            "categorical": list(categorical),
            "num_iterations": rounds,
        },
        model_factory=ReferenceBinnedFit,
    )
    return model.booster_
