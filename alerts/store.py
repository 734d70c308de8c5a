"""The exception store: one active exception per dedup key, its life cycle, and no storm.

``record`` takes a detection frame: an exception whose dedup key has an active (open or
acknowledged) one updates it (fields, ``updated_at``, ``last_seen_at``, ``detections``) instead
of repeating it; a key without one, or whose last exception was resolved or expired, opens a new
one. Only an opening or a rise in severity is an event worth a notice. ``expire`` closes active
exceptions no scan has seen for a while; ``acknowledge`` and ``resolve`` are the planner's moves.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
import sqlalchemy as sa

from alerts.kinds import ACTIVE_STATUSES, EXCEPTION_FIELDS, KIND_NAMES, SEVERITIES, STATUSES, severity_rank
from alerts.schema import exceptions

BATCH = 500
_FILTERS = {"status": STATUSES, "kind": KIND_NAMES, "severity": SEVERITIES}


class UnknownException(LookupError):
    """No exception has this id."""


class InvalidTransition(ValueError):
    """The exception's state does not allow the move (e.g. acknowledging a resolved one)."""


@dataclass(frozen=True)
class ExceptionEvent:
    """Something about an exception that subscribers hear of: its type and the exception then."""

    type: str
    exception: dict[str, Any]
    event_id: str = field(default_factory=lambda: uuid.uuid4().hex)


@dataclass(frozen=True)
class RecordResult:
    """What recording a detection frame did: exceptions opened, updated, and updated with a higher
    severity (``escalated``, also counted in ``updated``)."""

    opened: list[dict[str, Any]]
    updated: list[dict[str, Any]]
    escalated: list[dict[str, Any]]

    @property
    def events(self) -> list[ExceptionEvent]:
        return [ExceptionEvent("exception.opened", e) for e in self.opened] + [
            ExceptionEvent("exception.escalated", e) for e in self.escalated
        ]


class ExceptionStore:
    """Exceptions in the alert database (SQLite or PostgreSQL, ``alerts.schema``)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def record(self, detected: pd.DataFrame, now: datetime) -> RecordResult:
        """Open or update one exception per row of ``detected`` (``EXCEPTION_FIELDS``)."""
        missing = [c for c in EXCEPTION_FIELDS if c not in detected.columns]
        if missing:
            raise ValueError(f"detected is missing column(s) {missing}")
        rows = [_clean(r) for r in detected[list(EXCEPTION_FIELDS)].to_dict("records")]
        for row in rows:
            severity_rank(row["severity"])
        rows = list({r["dedup_key"]: r for r in rows}.values())  # the last detection of a key wins
        opened, updated, escalated = [], [], []
        for batch in _chunks(rows, BATCH):
            try:
                o, u, e = self._record_batch(batch, now)
            except sa.exc.IntegrityError:  # another scan opened one of these keys meanwhile
                o, u, e = self._record_batch(batch, now)
            opened += o
            updated += u
            escalated += e
        return RecordResult(opened, updated, escalated)

    def _record_batch(self, rows: list[dict[str, Any]], now: datetime) -> tuple[list, list, list]:
        keys = [r["dedup_key"] for r in rows]
        with self.engine.begin() as conn:
            active = {
                r.dedup_key: r
                for r in conn.execute(
                    sa.select(exceptions.c.id, exceptions.c.dedup_key, exceptions.c.severity).where(
                        exceptions.c.dedup_key.in_(keys), exceptions.c.status.in_(ACTIVE_STATUSES)
                    )
                )
            }
            fresh = [
                {**r, "id": uuid.uuid4().hex, "status": "open", "detections": 1, "opened_at": now,
                 "updated_at": now, "last_seen_at": now}
                for r in rows
                if r["dedup_key"] not in active
            ]
            again = [{**r, "_id": active[r["dedup_key"]].id} for r in rows if r["dedup_key"] in active]
            if fresh:
                conn.execute(exceptions.insert(), fresh)
            if again:
                values = {c: sa.bindparam(c) for c in EXCEPTION_FIELDS if c != "dedup_key"}
                conn.execute(
                    exceptions.update()
                    .where(exceptions.c.id == sa.bindparam("_id"))
                    .values(**values, updated_at=now, last_seen_at=now, detections=exceptions.c.detections + 1),
                    again,
                )
            raised = {
                r["_id"] for r in again if severity_rank(r["severity"]) > severity_rank(active[r["dedup_key"]].severity)
            }
            ids = [r["id"] for r in fresh] + [r["_id"] for r in again]
            current = {r["id"]: r for r in self._select(conn, exceptions.c.id.in_(ids))}
        return (
            [current[r["id"]] for r in fresh],
            [current[r["_id"]] for r in again],
            [current[i] for i in raised],
        )

    def expire(self, now: datetime, unseen_for: timedelta) -> list[dict[str, Any]]:
        """Expire the active exceptions no scan has seen since ``now - unseen_for``."""
        stale = sa.and_(exceptions.c.status.in_(ACTIVE_STATUSES), exceptions.c.last_seen_at < now - unseen_for)
        with self.engine.begin() as conn:
            ids = [r.id for r in conn.execute(sa.select(exceptions.c.id).where(stale))]
            if ids:
                conn.execute(
                    exceptions.update()
                    .where(exceptions.c.id.in_(ids), exceptions.c.status.in_(ACTIVE_STATUSES))
                    .values(status="expired", expired_at=now, updated_at=now)
                )
            return self._select(conn, exceptions.c.id.in_(ids)) if ids else []

    def acknowledge(self, exception_id: str, who: str, comment: str | None, now: datetime) -> dict[str, Any]:
        """open -> acknowledged: someone is on it (it still updates when detected again)."""
        return self._move(exception_id, ("open",), {"status": "acknowledged", "acknowledged_at": now,
                                                    "acknowledged_by": who, "comment": comment, "updated_at": now})

    def resolve(self, exception_id: str, who: str, comment: str | None, now: datetime) -> dict[str, Any]:
        """open or acknowledged -> resolved; the same problem detected later opens a new exception."""
        return self._move(exception_id, ACTIVE_STATUSES, {"status": "resolved", "resolved_at": now,
                                                          "resolved_by": who, "comment": comment, "updated_at": now})

    def resolve_keys(self, dedup_keys: Sequence[str], who: str, comment: str, now: datetime) -> list[dict[str, Any]]:
        """Resolve the active exceptions of ``dedup_keys`` (their problem is gone); returns them."""
        if not dedup_keys:
            return []
        active = sa.and_(exceptions.c.dedup_key.in_(list(dedup_keys)), exceptions.c.status.in_(ACTIVE_STATUSES))
        with self.engine.begin() as conn:
            ids = [r.id for r in conn.execute(sa.select(exceptions.c.id).where(active))]
            if not ids:
                return []
            conn.execute(
                exceptions.update()
                .where(exceptions.c.id.in_(ids), exceptions.c.status.in_(ACTIVE_STATUSES))
                .values(status="resolved", resolved_at=now, resolved_by=who, comment=comment, updated_at=now)
            )
            return self._select(conn, exceptions.c.id.in_(ids))

    def _move(self, exception_id: str, allowed: Sequence[str], values: dict[str, Any]) -> dict[str, Any]:
        with self.engine.begin() as conn:
            moved = conn.execute(
                exceptions.update()
                .where(exceptions.c.id == exception_id, exceptions.c.status.in_(allowed))
                .values(**values)
            ).rowcount
            found = self._select(conn, exceptions.c.id == exception_id)
        if not found:
            raise UnknownException(f"no exception {exception_id!r}")
        if not moved:
            raise InvalidTransition(
                f"exception {exception_id!r} is {found[0]['status']}; only {' or '.join(allowed)} can become "
                f"{values['status']}"
            )
        return found[0]

    def get(self, exception_id: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            found = self._select(conn, exceptions.c.id == exception_id)
        return found[0] if found else None

    def find(
        self,
        status: str | None = None,
        kind: str | None = None,
        severity: str | None = None,
        location: str | None = None,
        supplier: str | None = None,
        limit: int = 500,
    ) -> list[dict[str, Any]]:
        """Exceptions matching every filter given, highest expected cost first."""
        conditions = []
        for name, value in (("status", status), ("kind", kind), ("severity", severity)):
            if value is not None:
                if value not in _FILTERS[name]:
                    raise ValueError(f"{name}: expected one of {_FILTERS[name]}, got {value!r}")
                conditions.append(exceptions.c[name] == value)
        if location is not None:
            conditions.append(exceptions.c.location_id == location)
        if supplier is not None:
            conditions.append(exceptions.c.supplier_id == supplier)
        with self.engine.connect() as conn:
            return self._select(conn, sa.and_(sa.true(), *conditions), limit)

    @staticmethod
    def _select(conn: sa.Connection, where: Any, limit: int | None = None) -> list[dict[str, Any]]:
        query = sa.select(exceptions).where(where).order_by(exceptions.c.expected_cost.desc(), exceptions.c.id)
        return [dict(r._mapping) for r in conn.execute(query.limit(limit) if limit else query)]


def exception_json(exception: dict[str, Any]) -> dict[str, Any]:
    """An exception as JSON-ready values: times as ISO 8601 text (UTC)."""
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in exception.items()}


def _clean(row: dict[str, Any]) -> dict[str, Any]:
    """Nulls of a detection row as None (pandas gives NaN for absent ids)."""
    return {k: (None if not isinstance(v, list | dict) and pd.isna(v) else v) for k, v in row.items()}


def _chunks(rows: list[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]
