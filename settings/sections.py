"""The sections of the settings: monitoring and alert thresholds, rate limits, the live state
and hashed API keys; ``settings.model.Settings`` holds one of each."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, model_validator


class MonitoringSettings(BaseModel):
    """Thresholds of ``backorder monitor``: what counts as drift or decay worth a retrain."""

    model_config = {"extra": "forbid"}

    window_days: int = Field(28, ge=1, description="Days of the prediction log compared with the reference.")
    min_window_days: int = Field(
        7, ge=1, description="Distinct logged days the window needs before drift is judged (else: not enough data yet)."
    )
    min_window_rows: int = Field(
        500, ge=1, description="Logged lines the window needs before drift is judged (else: not enough data yet)."
    )
    column_psi: float = Field(0.2, gt=0, description="PSI above which a feature has drifted.")
    drifted_share: float = Field(
        0.3, ge=0, le=1, description="Share of drifted model-state features that is data drift (request mix apart)."
    )
    prediction_psi: float = Field(0.2, gt=0, description="PSI above which the predictions have drifted.")
    min_labelled: int = Field(200, ge=1, description="Labelled lines needed to judge performance.")
    min_positives: int = Field(10, ge=1, description="Positive outcomes needed to judge performance.")
    max_pr_auc_drop: float = Field(0.2, gt=0, lt=1, description="Allowed relative PR-AUC drop vs reference.")
    max_calibration_gap: float = Field(0.05, gt=0, lt=1, description="Allowed |mean score - observed rate|.")

    @model_validator(mode="after")
    def _window_can_hold_the_minimum(self) -> MonitoringSettings:
        if self.min_window_days > self.window_days:
            raise ValueError(
                f"min_window_days ({self.min_window_days}) exceeds window_days ({self.window_days}): "
                "drift could never be judged"
            )
        return self


class AlertsSettings(BaseModel):
    """Thresholds of the exceptions (``alerts/``), their store and the webhook deliveries."""

    model_config = {"extra": "forbid"}

    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the exception and webhook store; None = SQLite in data_dir/alerts/.",
    )
    penalty_per_unit: float = Field(10.0, ge=0, description="Cost of one unit backordered, for expected costs.")
    critical_cost: float = Field(1000.0, gt=0, description="Expected cost from which an exception is critical.")
    warning_cost: float = Field(100.0, ge=0, description="Expected cost from which an exception is a warning.")
    line_risk: float = Field(0.5, gt=0, lt=1, description="Backorder probability from which an order line is at risk.")
    line_risk_critical: float = Field(
        0.8, gt=0, le=1, description="Probability from which an at-risk line is critical."
    )
    stockout_demand_factor: float = Field(
        1.0, gt=0, description="Multiplier on the median daily demand the stock-out projection consumes."
    )
    stockout_demand_quantile: float = Field(
        0.6, ge=0.5, lt=1,
        description="Quantile of the cumulative demand the stock-out projection consumes (0.5: the median alone).",
    )
    stockout_recent_floor: bool = Field(
        True,
        description="On the demand forecast's days, consume at least the series' recent daily mean (p50 and p90).",
    )
    stockout_margin_units: float = Field(
        0.0, ge=0, description="Units the projected stock must fall below zero within the lead time to alert."
    )
    stockout_asn_notice_days: int = Field(
        4, ge=1,
        description="Days ahead suppliers send an ASN: the stock-out projection lands a PO without one no "
                    "sooner than this many days after the check (1: the next day, as a PO with an ASN).",
    )
    po_late_probability: float = Field(
        0.5, gt=0, lt=1, description="P(arrival after the promised date) from which an open PO is late."
    )
    supplier_delay_days: float = Field(
        3.0, gt=0, description="Mean delay (days) of a supplier's recent receipts that breaches its limit."
    )
    supplier_trend_days: float = Field(
        2.0, gt=0, description="Rise of the recent mean delay over the longer baseline (days) that breaches."
    )
    supplier_recent_days: int = Field(90, ge=1, description="Days of receipts that are 'recent' for a supplier.")
    supplier_baseline_days: int = Field(365, ge=1, description="Days of receipts of a supplier's baseline.")
    supplier_min_receipts: int = Field(5, ge=1, description="Recent receipts a supplier needs before it is judged.")
    forecast_bias: float = Field(
        0.3, gt=0, description="|sum(forecast) / sum(actual) - 1| of a demand series that breaches."
    )
    forecast_min_units: float = Field(20.0, ge=0, description="Actual units a series needs before its bias is judged.")
    expire_after_hours: float = Field(
        36.0, gt=0, description="An open exception not detected again for this long expires."
    )
    delivery_attempts: int = Field(6, ge=1, description="Tries of one webhook delivery before the dead-letter list.")
    delivery_base_delay_seconds: float = Field(
        30.0, gt=0, description="Wait before the first retry; doubled after each failed try."
    )
    delivery_timeout_seconds: float = Field(10.0, gt=0, description="Time a receiver has to answer one delivery.")
    subscriber_per_minute: int = Field(60, ge=1, description="Deliveries a subscriber receives per minute at most.")
    live_checks: bool = Field(
        True, description="The service re-checks the SKU-locations and POs its events touch, and sends webhooks."
    )
    live_debounce_seconds: float = Field(
        0.5, ge=0, description="Wait after a touch before the re-check, so a burst of events is checked once."
    )
    delivery_poll_seconds: float = Field(
        1.0, gt=0, description="Pause between the service's passes over due webhook deliveries (retries)."
    )
    redis_stream: str | None = Field(
        None, description="Redis stream (on live.redis_url) exception events are added to; None = none."
    )
    redis_stream_maxlen: int = Field(100_000, ge=1, description="Approximate length the stream is trimmed to.")

    @model_validator(mode="after")
    def _ordered_levels(self) -> AlertsSettings:
        if self.warning_cost > self.critical_cost:
            raise ValueError(f"warning_cost ({self.warning_cost}) exceeds critical_cost ({self.critical_cost})")
        if self.line_risk > self.line_risk_critical:
            raise ValueError(f"line_risk ({self.line_risk}) exceeds line_risk_critical ({self.line_risk_critical})")
        return self


class RateLimit(BaseModel):
    """A token bucket: ``per_second`` requests on average, up to ``burst`` at once."""

    model_config = {"extra": "forbid"}

    per_second: float = Field(gt=0, description="Requests per second a key may make on average.")
    burst: int = Field(ge=1, description="Requests a key may make at once after a quiet spell.")


class RateLimitSettings(RateLimit):
    """Requests per API key of the service; over the limit a request is answered 429."""

    enabled: bool = Field(True, description="False turns the limit off.")
    per_second: float = Field(
        200, gt=0, description="Requests per second per key; more than one worker serves, so normal use is not limited."
    )
    burst: int = Field(400, ge=1, description="Requests a key may make at once after a quiet spell.")
    per_role: dict[str, RateLimit] = Field(
        default_factory=dict,
        description="Role -> limit for keys with that role (a key with several roles gets the most generous).",
    )


class LiveSettings(BaseModel):
    """Where the live state (stock, reservations, open PO lines) is kept and how events reach it."""

    model_config = {"extra": "forbid"}

    store: Literal["sqlite", "redis"] | None = Field(
        None, description="sqlite (a file in the data folder) or redis; default: sqlite embedded, redis in production."
    )
    redis_url: str = Field("redis://127.0.0.1:6379/0", description="Redis of the live state and the event stream.")
    key_prefix: str = Field("backorder:live", description="Prefix of every key the live state writes in Redis.")
    idempotency_window_seconds: float = Field(
        7 * 86400, gt=0,
        description="How long an applied event_id is remembered: the same id sent again within it is a duplicate.",
    )
    event_stream: str = Field("backorder:events", description="Redis stream that `backorder events consume` reads.")
    dead_letter_stream: str = Field(
        "backorder:events:dead", description="Stream where events that cannot be applied go, with the reason."
    )
    consumer_group: str = Field("live-state", description="Consumer group of the event stream.")
    batch_size: int = Field(500, ge=1, description="Stream entries read and applied at once.")
    claim_idle_ms: int = Field(
        30_000, ge=0, description="An entry left unacknowledged this long by a consumer is taken over by another."
    )


class HashedApiKey(BaseModel):
    """An API key kept as a salted hash (``backorder keys add`` prints one); named by its entry."""

    model_config = {"extra": "forbid"}

    hash: str = Field(description="scrypt$<n>$<r>$<p>$<salt>$<hash>, as printed by 'backorder keys add'.")
    roles: list[str] = Field(description="Some of oms, erp, planner, admin.")
