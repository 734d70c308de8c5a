"""The promotion gate: ``champion`` moves only to a challenger that beats its own baselines and
the champion, each on the same data.

The baselines' scores are those training logged beside the challenger's (``baseline_<name>.<metric>``
in its ``metrics`` tag), computed on the same held-out rows. A forced promotion (``force_reason``)
skips the verdict and records who overrode it, when, why and which scores as model-version tags.

Which version served when is kept as model-version tags (``champion_since``/``champion_until``),
so ``promotion_history`` can answer "what was serving on that day" straight from the registry.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from typing import Any

import pandas as pd
from mlflow import MlflowClient
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException

from contracts.errors import MissingInput
from training.tracking import CHALLENGER, CHAMPION, load_alias

Evaluator = Callable[[Any], dict[str, float]]
# Logged metrics named ``baseline_<name>.<metric>`` are the scores of the model's baselines.
BASELINE_METRIC_PREFIX = "baseline_"


@dataclass(frozen=True)
class BaselineComparison:
    """The challenger's held-out score against one of its baselines' on the same rows."""

    baseline: str
    challenger_score: float
    baseline_score: float
    beaten: bool


@dataclass(frozen=True)
class Override:
    """A promotion forced past the gate: why, by whom, when, and the verdict it overrode."""

    reason: str
    by: str
    at: str
    overridden: str


@dataclass(frozen=True)
class PromotionDecision:
    """What the gate decided for one model: the versions and scores compared (champion and
    baselines), and why; ``override`` is set when the promotion was forced."""

    model_name: str
    metric: str
    challenger_version: str
    champion_version: str | None
    challenger_score: float | None
    champion_score: float | None
    promoted: bool
    reason: str
    baselines: tuple[BaselineComparison, ...] = ()
    override: Override | None = None


def beats(challenger: float, champion: float, higher_is_better: bool, min_improvement: float) -> bool:
    """Strictly better by at least ``min_improvement`` in the metric's good direction."""
    gain = challenger - champion if higher_is_better else champion - challenger
    return gain > min_improvement


def _alias_version(client: MlflowClient, model_name: str, alias: str) -> ModelVersion | None:
    try:
        return client.get_model_version_by_alias(model_name, alias)
    except MlflowException:
        return None


def _logged_metrics(version: ModelVersion) -> dict[str, float]:
    return {k: float(v) for k, v in json.loads(version.tags.get("metrics", "{}")).items()}


def _stored_metric(version: ModelVersion, metric: str) -> float:
    metrics = _logged_metrics(version)
    if metric not in metrics:
        raise MissingInput(
            f"metric {metric!r} in the logged metrics of {version.name} v{version.version}",
            f"choose one of {sorted(metrics)}",
        )
    return float(metrics[metric])


def compare_with_baselines(
    version: ModelVersion, metric: str, higher_is_better: bool
) -> tuple[BaselineComparison, ...]:
    """The version's ``metric`` against each baseline's logged beside it on the same held-out rows."""
    _stored_metric(version, metric)  # a clear error when the metric was not logged
    return baseline_comparisons(_logged_metrics(version), metric, higher_is_better)


def baseline_comparisons(
    metrics: dict[str, float], metric: str, higher_is_better: bool
) -> tuple[BaselineComparison, ...]:
    """``metrics[metric]`` against each ``baseline_<name>.<metric>`` in the same training metrics:
    the gate promotes only a challenger that beats every one."""
    suffix = f".{metric}"
    scores = {
        key.removeprefix(BASELINE_METRIC_PREFIX).removesuffix(suffix): value
        for key, value in sorted(metrics.items())
        if key.startswith(BASELINE_METRIC_PREFIX) and key.endswith(suffix)
    }
    return tuple(
        BaselineComparison(name, metrics[metric], value, beats(metrics[metric], value, higher_is_better, 0.0))
        for name, value in scores.items()
    )


def _baseline_refusal(
    model_name: str, metric: str, challenger: ModelVersion, champion: ModelVersion | None,
    baselines: tuple[BaselineComparison, ...],
) -> PromotionDecision | None:
    """A refusal when the challenger has no baseline under ``metric`` or loses to one; else None."""
    period = challenger.tags.get("holdout_period")
    champion_version = None if champion is None else str(champion.version)
    if not baselines:
        reason = (f"no baseline {metric} logged beside v{challenger.version}: "
                  f"retrain with `backorder train` so its baselines are scored")
    elif lost := [b for b in baselines if not b.beaten]:
        reason = "; ".join(
            f"challenger {metric}={b.challenger_score:.4f} does not beat baseline {b.baseline} "
            f"{metric}={b.baseline_score:.4f}" for b in lost
        ) + f" (on {period})"
    else:
        return None
    return PromotionDecision(model_name, metric, str(challenger.version), champion_version,
                             _stored_metric(challenger, metric), None, False, reason, baselines)


def promote_challenger(
    model_name: str,
    metric: str,
    higher_is_better: bool = True,
    min_improvement: float = 0.0,
    evaluate: Evaluator | None = None,
    now: datetime | None = None,
    force_reason: str | None = None,
    forced_by: str = "",
) -> PromotionDecision:
    """Compare ``challenger`` with its baselines and ``champion`` on one held-out period and move
    ``champion``.

    The challenger must beat every baseline logged beside it under ``metric``. When challenger
    and champion were measured on the same ``holdout_period`` their logged metrics are compared;
    otherwise ``evaluate`` (a function scoring a loaded model on the challenger's held-out data)
    re-scores both. Without it the comparison is refused rather than made on different data.
    With ``force_reason`` the challenger is promoted whatever the verdict, and the override is
    recorded as tags of its version. Raises ``MissingInput`` without a challenger or ``metric``.
    """
    client = MlflowClient()
    challenger = _alias_version(client, model_name, CHALLENGER)
    if challenger is None:
        raise MissingInput(f"{CHALLENGER} version of registered model {model_name!r}", "run `backorder train`")
    champion = _alias_version(client, model_name, CHAMPION)
    moment = now or datetime.now(UTC)
    stamp = moment.isoformat(timespec="seconds")
    if champion is not None and champion.version == challenger.version:
        decision = PromotionDecision(model_name, metric, str(challenger.version), str(champion.version),
                                     None, None, False, "challenger is already the champion")
    else:
        baselines = compare_with_baselines(challenger, metric, higher_is_better)
        decision = _baseline_refusal(model_name, metric, challenger, champion, baselines)
        if decision is None and champion is None:
            decision = PromotionDecision(model_name, metric, str(challenger.version), None,
                                         _stored_metric(challenger, metric), None, True,
                                         "no champion yet: the first challenger beats its baselines",
                                         baselines)
        elif decision is None:
            decision = replace(
                _compare(model_name, metric, challenger, champion, higher_is_better, min_improvement, evaluate),
                baselines=baselines,
            )
        if force_reason is not None and not decision.promoted:
            decision = _forced(client, decision, force_reason, forced_by, stamp)
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


def _forced(
    client: MlflowClient, decision: PromotionDecision, reason: str, by: str, stamp: str
) -> PromotionDecision:
    """The decision turned into a promotion, with the override recorded on the challenger's version."""
    override = Override(reason, by, stamp, decision.reason)
    scores = {
        "challenger": decision.challenger_score,
        "champion": decision.champion_score,
        **{f"baseline_{b.baseline}": b.baseline_score for b in decision.baselines},
    }
    tags = {**{f"forced_promotion.{k}": v for k, v in asdict(override).items()},
            "forced_promotion.scores": json.dumps(scores)}
    for key, value in tags.items():
        client.set_model_version_tag(decision.model_name, decision.challenger_version, key, value)
    return replace(decision, promoted=True, reason=f"forced by {by}: {reason} (gate: {decision.reason})",
                   override=override)


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
            f"challenger on {period!r}, and {model_name}'s held-out data cannot re-score both; "
            f"compare with `backorder evaluate --model {model_name}` and, to promote anyway, "
            f"`backorder promote --model {model_name} --force --reason TEXT`",
        )
    promoted = beats(new, old, higher_is_better, min_improvement)
    verdict = "beats" if promoted else "does not beat"
    reason = f"challenger {metric}={new:.4f} {verdict} champion {metric}={old:.4f} ({basis})"
    return PromotionDecision(model_name, metric, str(challenger.version), str(champion.version), new, old,
                             promoted, reason)


def retire_models(reason: str, now: datetime | None = None) -> list[str]:
    """Take ``champion`` and ``challenger`` off every registered model, recording why and when.

    For a world that is replaced: models trained on the old world must not serve or be promoted
    on the new one. The champion's version gets ``champion_until`` and ``retired_reason`` tags, the
    registered model a ``retired.<time>`` tag; returns the models whose champion was retired.
    """
    client = MlflowClient()
    moment = now or datetime.now(UTC)
    stamp = moment.isoformat(timespec="seconds")
    retired = []
    for model in client.search_registered_models():
        champion = _alias_version(client, model.name, CHAMPION)
        if champion is not None:
            client.set_model_version_tag(model.name, champion.version, "champion_until", stamp)
            client.set_model_version_tag(model.name, champion.version, "retired_reason", reason)
            retired.append(model.name)
        for alias in (CHAMPION, CHALLENGER):
            if _alias_version(client, model.name, alias) is not None:
                client.delete_registered_model_alias(model.name, alias)
        client.set_registered_model_tag(model.name, f"retired.{moment:%Y%m%dT%H%M%S}", reason)
    return retired


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
