"""The planner workbench's moves: the inbox, and accepting, rejecting or snoozing a recommendation.

Accepting sends the recommendation's events (``alerts.moves``) to the live state, so the next
score and scan see the changed stock, then resolves the exception; rejecting resolves it (the
same problem detected again opens a new one); snoozing acknowledges it and hides it from the
inbox until the snooze ends. Every decision is written to the audit trail (``alerts.decisions``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from alerts.decisions import DECISIONS, DecisionLog
from alerts.desk import AlertDesk
from alerts.kinds import ACTIVE_STATUSES
from alerts.moves import Move, recommended_move
from alerts.store import InvalidTransition, UnknownException
from live.state import LiveState


class MoveRefused(ValueError):
    """The live state refused the recommendation's events (e.g. the PO line was closed meanwhile)."""


class Workbench:
    """The alert desk, its decision log and the live state the accepted moves change."""

    def __init__(self, desk: AlertDesk, live: LiveState) -> None:
        self.desk = desk
        self.live = live
        self.decisions = DecisionLog(desk.store.engine)

    def inbox(self, now: datetime, kind: str | None = None, severity: str | None = None,
              location: str | None = None, supplier: str | None = None) -> list[dict[str, Any]]:
        """Open and acknowledged exceptions matching the filters, not snoozed, highest cost first."""
        found = [e for status in ACTIVE_STATUSES
                 for e in self.desk.store.find(status, kind, severity, location, supplier)]
        snoozed = self.decisions.snoozed(now)
        return sorted((e for e in found if e["id"] not in snoozed), key=lambda e: (-e["expected_cost"], e["id"]))

    def move(self, exception: dict[str, Any], today: pd.Timestamp) -> Move:
        """The move accepting ``exception`` makes, given the live stock of its SKU now."""
        skus = [exception["sku_id"]] if exception.get("sku_id") else []
        return recommended_move(exception, self.live.positions(skus), today)

    def decide(
        self,
        exception_id: str,
        decision: str,
        who: str,
        comment: str | None,
        now: datetime,
        today: pd.Timestamp,
        model_versions: dict[str, str],
        snooze_for: timedelta = timedelta(hours=24),
    ) -> dict[str, Any]:
        """Accept, reject or snooze an active exception; returns the decision written."""
        if decision not in DECISIONS:
            raise ValueError(f"decision: expected one of {DECISIONS}, got {decision!r}")
        exception = self.desk.store.get(exception_id)
        if exception is None:
            raise UnknownException(f"no exception {exception_id!r}")
        if exception["status"] not in ACTIVE_STATUSES:
            raise InvalidTransition(f"exception {exception_id!r} is {exception['status']}; only an open or "
                                    "acknowledged one can be decided")
        move = self.move(exception, today)
        snoozed_until = None
        if decision == "accept":
            if move.events:
                sent = self.live.apply([{**e, "occurred_at": now.isoformat()} for e in move.events])
                if sent.rejected:
                    raise MoveRefused("; ".join(err for r in sent.rejected for err in r.errors))
            self.desk.resolve(exception_id, who, comment, now)
        elif decision == "reject":
            self.desk.resolve(exception_id, who, comment, now)
        elif decision == "snooze":
            snoozed_until = now + snooze_for
            if exception["status"] == "open":
                self.desk.acknowledge(exception_id, who, comment, now)
        return self.decisions.record(exception, decision, move, who, comment, now, model_versions, snoozed_until)
