"""The service's alert re-check for events applied outside it, by ``backorder events consume``.

The consumer process has no service around it, so it loads what the service's re-check reads
(the ``demand`` and ``lead_time`` champions, the serving date, the start-up POs' delay quantiles)
the way ``serving.runtime`` does, and runs the same check (``serving.live_alerts.live_checks``)
on the SKU-locations and PO lines of each applied batch, then makes one delivery pass for what it
queued. A check that fails is logged and the consumer carries on: the events are applied and
acknowledged already, and the nightly ``backorder exceptions scan --live`` still sees them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import pandas as pd

from live.state import ApplyResult, LiveState
from serving.forecast import load_forecaster
from serving.live_alerts import live_checks
from serving.registry import load_champions
from serving.runtime import DEMAND, LEAD_TIME, live_parts, open_alert_desk, registry_loader, serving_date, utc_today
from serving.supply import load_canonical_supply
from settings import Settings

logger = logging.getLogger(__name__)


def stream_alert_check(
    settings: Settings, live: LiveState, notes: list[str] | None = None
) -> Callable[[ApplyResult], None] | None:
    """The callback a ``StreamConsumer`` runs after each applied batch; None when
    ``alerts.live_checks`` is off or the alert database cannot be opened. What could not be
    loaded (a champion, the canonical supply) is appended to ``notes``; the check then reads what
    the service would read without it."""
    notes = [] if notes is None else notes
    if not settings.alerts.live_checks:
        return None
    desk = open_alert_desk(settings, notes)
    if desk is None:
        return None
    loader = registry_loader(settings)
    models = {}
    for name in (DEMAND, LEAD_TIME):
        try:
            models.update(load_champions([name], loader, settings.model_cache_dir))
        except Exception as exc:  # noted: the check stands in as the service would
            notes.append(f"{name}: not loaded ({exc})")
    now = utc_today().normalize()
    as_of = serving_date(settings, now, notes)
    today: Callable[[], pd.Timestamp] = (lambda: as_of) if as_of != now else utc_today
    supply: object = None
    try:
        lead_time = models.get(LEAD_TIME)
        canonical = load_canonical_supply(settings.canonical_dir, as_of, lead_time.estimator if lead_time else None)
        supply = live_parts(live, None, canonical, settings.canonical_dir, as_of)[1]
    except Exception as exc:  # noted: POs are then expected on their ASN or promised date
        notes.append(f"PO delay quantiles: not loaded ({exc})")
    forecaster = None
    if DEMAND in models:
        try:
            forecaster = load_forecaster(settings.canonical_dir, models[DEMAND].estimator)
        except Exception as exc:  # noted: the recent mean stands in
            notes.append(f"demand forecasts: not loaded ({exc})")
    check = live_checks(desk, live, supply, forecaster, settings.canonical_dir, today)
    deliverer = desk.deliverer()

    def after_batch(applied: ApplyResult) -> None:
        try:
            check(set(applied.sku_locations), set(applied.po_ids))
            deliverer.deliver_due()
        except Exception:  # the batch is applied and acknowledged; the nightly scan still sees it
            logger.exception("alert re-check of %d SKU-locations failed", len(applied.sku_locations))

    return after_batch
