"""The planner's decisions on exceptions: the audit trail and the feedback the models learn from.

Every accept, reject or snooze is a row of ``alert_decisions`` (who, when, what, the comment, the
events the move sent and the model versions behind the recommendation). ``decision_table`` adds
each accept's and reject's **outcome** once it is known: ``recurred`` when the same problem (dedup key) was
detected again as a new exception after the decision, ``cleared`` when it was not within
``settle`` of it, unknown (null) before. ``acceptance_rates`` sums them per action kind and per
planner.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
import sqlalchemy as sa

from alerts.moves import ACTION_KINDS, Move
from alerts.schema import decisions, exceptions

DECISIONS = ("accept", "reject", "snooze")
DECISION_COLUMNS = ("id", "exception_id", "kind", "dedup_key", "severity", "expected_cost", "decision",
                    "action_kind", "who", "decided_at", "comment", "snoozed_until", "events", "model_versions")


class DecisionLog:
    """Decisions in the alert database (SQLite or PostgreSQL, ``alerts.schema``)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def record(
        self,
        exception: dict[str, Any],
        decision: str,
        move: Move,
        who: str,
        comment: str | None,
        now: datetime,
        model_versions: dict[str, str],
        snoozed_until: datetime | None = None,
    ) -> dict[str, Any]:
        """Write one decision on ``exception`` and return it."""
        if decision not in DECISIONS:
            raise ValueError(f"decision: expected one of {DECISIONS}, got {decision!r}")
        if move.kind not in ACTION_KINDS:
            raise ValueError(f"action_kind: expected one of {ACTION_KINDS}, got {move.kind!r}")
        row = {
            "id": uuid.uuid4().hex, "exception_id": exception["id"], "kind": exception["kind"],
            "dedup_key": exception["dedup_key"], "severity": exception["severity"],
            "expected_cost": exception["expected_cost"], "decision": decision, "action_kind": move.kind,
            "who": who, "decided_at": now, "comment": comment, "snoozed_until": snoozed_until,
            "events": move.events if decision == "accept" else [], "model_versions": model_versions,
        }
        with self.engine.begin() as conn:
            conn.execute(decisions.insert(), [row])
        return row

    def of(self, exception_id: str) -> list[dict[str, Any]]:
        """The decisions on one exception, oldest first."""
        query = sa.select(decisions).where(decisions.c.exception_id == exception_id).order_by(decisions.c.decided_at)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def snoozed(self, now: datetime) -> set[str]:
        """Ids of exceptions whose latest decision is a snooze still running at ``now``."""
        latest = (sa.select(decisions.c.exception_id, sa.func.max(decisions.c.decided_at).label("at"))
                  .group_by(decisions.c.exception_id).subquery())
        query = sa.select(decisions.c.exception_id).join(
            latest, sa.and_(latest.c.exception_id == decisions.c.exception_id, latest.c.at == decisions.c.decided_at)
        ).where(decisions.c.decision == "snooze", decisions.c.snoozed_until > now)
        with self.engine.connect() as conn:
            return {r.exception_id for r in conn.execute(query)}


def decision_table(engine: sa.Engine, now: datetime, settle: timedelta) -> pd.DataFrame:
    """Every decision with its outcome: ``recurred``, ``cleared`` or null (not known yet).

    ``recurred_at`` is when the problem was next opened again after the decision.
    """
    reopened = (
        sa.select(sa.func.min(exceptions.c.opened_at))
        .where(exceptions.c.dedup_key == decisions.c.dedup_key, exceptions.c.opened_at > decisions.c.decided_at)
        .scalar_subquery()
        .label("recurred_at")
    )
    query = sa.select(*(decisions.c[c] for c in DECISION_COLUMNS), reopened).order_by(decisions.c.decided_at)
    with engine.connect() as conn:
        frame = pd.DataFrame([dict(r._mapping) for r in conn.execute(query)],
                             columns=[*DECISION_COLUMNS, "recurred_at"])
    decided = pd.to_datetime(frame["decided_at"])
    recurred = pd.to_datetime(frame["recurred_at"])
    frame["decided_at"], frame["recurred_at"] = decided, recurred
    closed = frame["decision"].isin(["accept", "reject"])  # a snoozed exception stays active: no outcome
    outcome = pd.Series(None, index=frame.index, dtype=object)
    outcome[closed & (decided + settle <= pd.Timestamp(now))] = "cleared"
    outcome[closed & recurred.notna()] = "recurred"
    frame["outcome"] = outcome
    return frame


def acceptance_rates(table: pd.DataFrame) -> pd.DataFrame:
    """Per action kind and per planner (``by``, ``group``): decisions, accepts, rejects, snoozes, the
    acceptance rate among accepts and rejects, and the recurrence rate after an accept and after a
    reject among the decisions whose outcome is known (null when none is)."""
    frame = table.assign(
        accepted=table["decision"].eq("accept"), rejected=table["decision"].eq("reject"),
        snoozed=table["decision"].eq("snooze"), known=table["outcome"].notna(),
        recurred=table["outcome"].eq("recurred"),
    )
    frame["accepted_known"] = frame["accepted"] & frame["known"]
    frame["rejected_known"] = frame["rejected"] & frame["known"]
    frame["accepted_recurred"] = frame["accepted_known"] & frame["recurred"]
    frame["rejected_recurred"] = frame["rejected_known"] & frame["recurred"]
    counts = ["accepted", "rejected", "snoozed", "accepted_known", "rejected_known", "accepted_recurred",
              "rejected_recurred"]
    parts = []
    for by, column in (("action_kind", "action_kind"), ("planner", "who")):
        summed = frame.groupby(column)[counts].sum()
        summed.insert(0, "decisions", frame.groupby(column).size())
        parts.append(summed.rename_axis("group").reset_index().assign(by=by))
    empty = pd.DataFrame(columns=["by", "group", "decisions", *counts])
    out = pd.concat(parts, ignore_index=True) if len(frame) else empty
    out = out.astype({c: "int64" for c in ["decisions", *counts]})
    out["acceptance_rate"] = out["accepted"] / (out["accepted"] + out["rejected"]).where(lambda n: n > 0)
    out["recurred_after_accept"] = out["accepted_recurred"] / out["accepted_known"].where(lambda n: n > 0)
    out["recurred_after_reject"] = out["rejected_recurred"] / out["rejected_known"].where(lambda n: n > 0)
    return out[["by", "group", "decisions", "accepted", "rejected", "snoozed", "acceptance_rate",
                "recurred_after_accept", "recurred_after_reject"]]
