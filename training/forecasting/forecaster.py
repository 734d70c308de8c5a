"""The demand forecaster a recipe selects: the LightGBM alone, its combination learnt from
earlier windows (``EnsembleSpec``) or its fixed-weight blend (``BlendSpec``), all with the
estimator interface ``fit(df) -> self``, ``predict(h, future)``."""

from __future__ import annotations

from training.forecasting.blend import BlendForecaster, BlendSpec
from training.forecasting.ensemble import LIGHTGBM, EnsembleForecaster, EnsembleSpec
from training.forecasting.model import DemandForecaster, DemandSpec

ForecasterChoice = EnsembleSpec | BlendSpec | None


def model_label(choice: ForecasterChoice) -> str:
    """How backtest tables name the forecaster a recipe selects."""
    if isinstance(choice, BlendSpec):
        return choice.label
    return LIGHTGBM if choice is None else "Ensemble"


def make_demand_forecaster(
    spec: DemandSpec, choice: ForecasterChoice
) -> DemandForecaster | EnsembleForecaster | BlendForecaster:
    """The demand model ``choice`` selects on top of ``spec``'s LightGBM."""
    if isinstance(choice, BlendSpec):
        return BlendForecaster(spec, choice)
    return DemandForecaster(spec) if choice is None else EnsembleForecaster(spec, choice)
