"""The MLflow model of every estimator of the project, logged as a model from code.

``training.tracking`` logs this file as ``python_model``; MLflow runs it when the model is
loaded, so no pickled Python class travels with the model (only the fitted estimator, as the
``estimator`` artifact). The estimator's own ``predict_proba`` (classifiers) or ``predict`` is
what pyfunc calls, so the registry serves exactly the object that was evaluated.
"""

from __future__ import annotations

from typing import Any

import joblib
import mlflow
import pandas as pd

from training.tracking import predict_scores


class EstimatorModel(mlflow.pyfunc.PythonModel):
    """Loads the fitted estimator from the model's ``estimator`` artifact and scores with it."""

    def load_context(self, context: mlflow.pyfunc.PythonModelContext) -> None:
        self.model = joblib.load(context.artifacts["estimator"])

    def predict(self, context: Any, model_input: pd.DataFrame, params: dict | None = None) -> Any:
        return predict_scores(self.model, model_input)


mlflow.models.set_model(EstimatorModel())
