"""The promotion gate: ``champion`` moves only to a challenger that beats it on the same data.

Which version served when is kept as model-version tags (``champion_since``/``champion_until``),
so ``promotion_history`` can answer "what was serving on that day" straight from the registry.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import pandas as pd
from mlflow import MlflowClient
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException

from contracts.errors import MissingInput
from training.tracking import CHALLENGER, CHAMPION, load_alias

Evaluator = Callable[[Any], dict[str, float]]


@dataclass(frozen=True)
class PromotionDecision:
    """What the gate decided for one model: the versions and scores compared, and why."""

    model_name: str
    metric: str
    challenger_version: str
    champion_version: str | None
    challenger_score: float | None
    champion_score: float | None
    promoted: bool
    reason: str


def beats(challenger: float, champion: float, higher_is_better: bool, min_improvement: float) -> bool:
    """Strictly better by at least ``min_improvement`` in the metric's good direction."""
    gain = challenger - champion if higher_is_better else champion - challenger
    return gain > min_improvement


def _alias_version(client: MlflowClient, model_name: str, alias: str) -> ModelVersion | None:
    try:
        return client.get_model_version_by_alias(model_name, alias)
    except MlflowException:
        return None


def _stored_metric(version: ModelVersion, metric: str) -> float:
    metrics = json.loads(version.tags.get("metrics", "{}"))
    if metric not in metrics:
        raise MissingInput(
            f"metric {metric!r} in the logged metrics of {version.name} v{version.version}",
            f"choose one of {sorted(metrics)}",
        )
    return float(metrics[metric])


def promote_challenger(
    model_name: str,
    metric: str,
    higher_is_better: bool = True,
    min_improvement: float = 0.0,
    evaluate: Evaluator | None = None,
    now: datetime | None = None,
) -> PromotionDecision:
    """Compare ``challenger`` with ``champion`` on one held-out period and move ``champion``.

    When both versions were measured on the same ``holdout_period`` their logged metrics are
    compared; otherwise ``evaluate`` (a function scoring a loaded model on the challenger's
    held-out data) re-scores both. Without it the comparison is refused rather than made on
    different data. Raises ``MissingInput`` without a challenger or without ``metric``.
    """
    client = MlflowClient()
    challenger = _alias_version(client, model_name, CHALLENGER)
    if challenger is None:
        raise MissingInput(f"{CHALLENGER} version of registered model {model_name!r}", "run `backorder train`")
    champion = _alias_version(client, model_name, CHAMPION)
    moment = now or datetime.now(UTC)
    stamp = moment.isoformat(timespec="seconds")
    if champion is None:
        decision = PromotionDecision(model_name, metric, str(challenger.version), None,
                                     _stored_metric(challenger, metric), None, True,
                                     "no champion yet: the first challenger is promoted")
    elif champion.version == challenger.version:
        decision = PromotionDecision(model_name, metric, str(challenger.version), str(champion.version),
                                     None, None, False, "challenger is already the champion")
    else:
        decision = _compare(model_name, metric, challenger, champion, higher_is_better,
                            min_improvement, evaluate)
    client.set_model_version_tag(
        model_name,
        challenger.version,
        f"promotion_decision.{moment.strftime('%Y%m%dT%H%M%S')}",
        json.dumps(asdict(decision)),
    )
    if decision.promoted:
        if champion is not None:
            client.set_model_version_tag(model_name, champion.version, "champion_until", stamp)
        client.set_model_version_tag(model_name, challenger.version, "champion_since", stamp)
        client.set_registered_model_alias(model_name, CHAMPION, challenger.version)
    return decision


def _compare(
    model_name: str,
    metric: str,
    challenger: ModelVersion,
    champion: ModelVersion,
    higher_is_better: bool,
    min_improvement: float,
    evaluate: Evaluator | None,
) -> PromotionDecision:
    period = challenger.tags.get("holdout_period")
    if champion.tags.get("holdout_period") == period:
        new, old = _stored_metric(challenger, metric), _stored_metric(champion, metric)
        basis = f"logged metrics on {period}"
    elif evaluate is not None:
        new = float(evaluate(load_alias(model_name, CHALLENGER))[metric])
        old = float(evaluate(load_alias(model_name, CHAMPION))[metric])
        basis = f"both re-scored on {period}"
    else:
        return PromotionDecision(
            model_name, metric, str(challenger.version), str(champion.version), None, None, False,
            f"not comparable: champion measured on {champion.tags.get('holdout_period')!r}, "
            f"challenger on {period!r}; re-score both on the same period",
        )
    promoted = beats(new, old, higher_is_better, min_improvement)
    verdict = "beats" if promoted else "does not beat"
    reason = f"challenger {metric}={new:.4f} {verdict} champion {metric}={old:.4f} ({basis})"
    return PromotionDecision(model_name, metric, str(challenger.version), str(champion.version), new, old,
                             promoted, reason)


def promotion_history(model_name: str) -> pd.DataFrame:
    """Versions that served as champion, with the period each one served."""
    client = MlflowClient()
    rows = [
        {
            "version": int(v.version),
            "champion_since": v.tags["champion_since"],
            "champion_until": v.tags.get("champion_until"),
            "holdout_period": v.tags.get("holdout_period"),
        }
        for v in client.search_model_versions(f"name = '{model_name}'")
        if "champion_since" in v.tags
    ]
    columns = ["version", "champion_since", "champion_until", "holdout_period"]
    return pd.DataFrame(rows, columns=columns).sort_values("champion_since", ignore_index=True)
