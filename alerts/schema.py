"""The alert database's tables (SQLAlchemy Core), the same on SQLite and PostgreSQL.

``exceptions`` holds every exception with its life cycle; a partial unique index keeps one
active (open or acknowledged) exception per dedup key, so concurrent scans cannot open the same
problem twice. ``subscriptions`` are the webhook subscribers and ``deliveries`` the outbox of
signed webhook calls (pending, delivered, or dead: the dead-letter list). ``decisions`` is the
planner workbench's audit trail: who accepted, rejected or snoozed which exception's
recommendation, when, why, and the events and model versions behind it.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from alerts.kinds import ACTIVE_STATUSES

metadata = sa.MetaData()

_active = sa.text("status IN (" + ", ".join(f"'{s}'" for s in ACTIVE_STATUSES) + ")")

exceptions = sa.Table(
    "alert_exceptions",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("kind", sa.String(64), nullable=False),
    sa.Column("dedup_key", sa.String(512), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("severity", sa.String(16), nullable=False),
    sa.Column("expected_cost", sa.Float, nullable=False),
    sa.Column("reason_codes", sa.JSON, nullable=False),
    sa.Column("summary", sa.Text, nullable=False),
    sa.Column("action", sa.Text, nullable=False),
    sa.Column("expected_effect", sa.Text, nullable=False),
    sa.Column("sku_id", sa.String(128)),
    sa.Column("location_id", sa.String(128)),
    sa.Column("supplier_id", sa.String(128)),
    sa.Column("po_id", sa.String(128)),
    sa.Column("order_id", sa.String(128)),
    sa.Column("line_id", sa.String(128)),
    sa.Column("details", sa.JSON, nullable=False),
    sa.Column("detections", sa.Integer, nullable=False),
    sa.Column("opened_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Column("last_seen_at", sa.DateTime, nullable=False),
    sa.Column("acknowledged_at", sa.DateTime),
    sa.Column("acknowledged_by", sa.String(128)),
    sa.Column("resolved_at", sa.DateTime),
    sa.Column("resolved_by", sa.String(128)),
    sa.Column("expired_at", sa.DateTime),
    sa.Column("comment", sa.Text),
    sa.Index(
        "alert_exceptions_one_active_per_key", "dedup_key", unique=True,
        sqlite_where=_active, postgresql_where=_active,
    ),
    sa.Index("alert_exceptions_status_kind", "status", "kind"),
)

subscriptions = sa.Table(
    "alert_subscriptions",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("secret", sa.Text, nullable=False),
    sa.Column("kinds", sa.JSON),
    sa.Column("min_severity", sa.String(16)),
    sa.Column("locations", sa.JSON),
    sa.Column("created_at", sa.DateTime, nullable=False),
)

deliveries = sa.Table(
    "alert_deliveries",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("event_id", sa.String(32), nullable=False),
    sa.Column("event_type", sa.String(32), nullable=False),
    sa.Column("subscription_id", sa.String(32), nullable=False),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", sa.DateTime, nullable=False),
    sa.Column("last_error", sa.Text),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("finished_at", sa.DateTime),
    sa.UniqueConstraint("event_id", "subscription_id", name="alert_deliveries_once_per_subscriber"),
    sa.Index("alert_deliveries_due", "status", "next_attempt_at"),
)

decisions = sa.Table(
    "alert_decisions",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("exception_id", sa.String(32), nullable=False),
    sa.Column("kind", sa.String(64), nullable=False),
    sa.Column("dedup_key", sa.String(512), nullable=False),
    sa.Column("severity", sa.String(16), nullable=False),
    sa.Column("expected_cost", sa.Float, nullable=False),
    sa.Column("decision", sa.String(16), nullable=False),
    sa.Column("action_kind", sa.String(16), nullable=False),
    sa.Column("who", sa.String(128), nullable=False),
    sa.Column("decided_at", sa.DateTime, nullable=False),
    sa.Column("comment", sa.Text),
    sa.Column("snoozed_until", sa.DateTime),
    sa.Column("events", sa.JSON, nullable=False),
    sa.Column("model_versions", sa.JSON, nullable=False),
    sa.Index("alert_decisions_exception", "exception_id", "decided_at"),
)


def open_database(url: str) -> sa.Engine:
    """An engine on ``url`` with the alert tables created if absent (a SQLite file's folder too)."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
    else:
        # psycopg2 sends an UPDATE of many rows in pages instead of one round trip per row
        batched = {"executemany_mode": "values_plus_batch"} if sa.make_url(url).get_driver_name() == "psycopg2" else {}
        engine = sa.create_engine(url, pool_pre_ping=True, **batched)
    metadata.create_all(engine)
    return engine
