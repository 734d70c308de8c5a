"""An order as events left it in the live state, scored now (for its customer notice).

An OMS that confirms orders with ``order_confirmed`` events need not have scored them first. Once
an event confirmed, shipped or cancelled a line of an order, the live state is what is true about
the order now, whatever a scoring said before:

- its lines are those confirmed or shipped, with the SKU, location, quantity and requested date
  the latest event gave; cancelled lines and the holds of a scoring that no confirmation took
  up are not part of it;
- a line still open is scored on its open quantity (ordered less shipped) by the service's own
  ``Scorer`` (the champion, the online features, the live stock and the decisions), as of now,
  as the same order scored now would be, except that what the order's lines hold is free to
  them (``OwnHoldsFree``): a confirmed line holds its quantity, and against the stock without its
  own hold it would look short of what it holds;
- a line shipped in full is not scored: it cannot go on backorder any more;
- the customer tier, which events do not carry, is the one of the order's latest scoring, and
  missing (as the model reads a missing value) for an order never scored.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from decisions.actions import ActionPlanner
from live.records import OrderLineRecord
from live.state import LiveState
from serving.errors import ServiceError
from serving.live_supply import LiveStockReader, LiveSupply
from serving.runtime import Runtime
from serving.scoring import FeatureStoreUnavailable, Scorer, line_columns

EVENT_LINE_COLUMNS = ["line_id", "sku_id", "location_id", "quantity", "requested_date", "reserved", "shipped_date"]


def event_lines(records: Sequence[OrderLineRecord]) -> pd.DataFrame | None:
    """``EVENT_LINE_COLUMNS`` of the order's lines as events left them (quantity: still open, or
    shipped for a line shipped in full; shipped_date NaT while open); None when no event confirmed,
    shipped or cancelled any of them (the order is known from a scoring only, or not at all)."""
    if not any(r.confirmed_at is not None or r.shipped > 0 or r.cancelled_at is not None for r in records):
        return None
    kept = [r for r in records if r.cancelled_at is None and (r.confirmed_at is not None or r.shipped > 0)]
    done = [r.shipped >= r.quantity for r in kept]
    return pd.DataFrame(
        {
            "line_id": [r.line_id for r in kept],
            "sku_id": [r.sku_id for r in kept],
            "location_id": [r.location_id for r in kept],
            "quantity": [r.shipped if d else r.quantity - r.shipped for r, d in zip(kept, done, strict=True)],
            "requested_date": pd.to_datetime([r.requested_date for r in kept]),
            "reserved": [r.reserved for r in kept],
            "shipped_date": pd.to_datetime(
                [r.shipped_at if d else None for r, d in zip(kept, done, strict=True)]
            ).normalize(),
        },
        columns=EVENT_LINE_COLUMNS,
    )


@dataclass(frozen=True)
class OwnHoldsFree:
    """The live state as an order's lines see it: the units they hold (``held`` by SKU-location)
    are taken off ``reserved``. The scorer's stock reader and supply read only ``stock``."""

    live: LiveState
    held: Mapping[tuple[str, str], int]

    def stock(self, sku_ids: Sequence[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
        positions, open_pos = self.live.stock(sku_ids)
        keys = zip(positions["sku_id"].tolist(), positions["location_id"].tolist(), strict=True)
        own = np.fromiter((self.held.get(key, 0) for key in keys), dtype=np.int64, count=len(positions))
        return positions.assign(reserved=np.maximum(positions["reserved"].to_numpy(np.int64) - own, 0)), open_pos


def scorer_over(scorer: Scorer, stock: OwnHoldsFree) -> Scorer:
    """The service's scorer reading the live stock through ``stock``: the same model, features,
    decisions and threads (a shallow copy, never closed; the service's scorer closes them)."""
    reader, decide = scorer.reader, scorer.decide
    if not (
        isinstance(reader, LiveStockReader)
        and isinstance(decide, ActionPlanner)
        and isinstance(decide.source, LiveSupply)
    ):
        raise RuntimeError("the scorer does not read the live state: no live stock to score against")
    over = copy.copy(scorer)
    over.reader = replace(reader, live=stock)
    over.decide = replace(decide, source=replace(decide.source, live=stock))
    return over


def scored_now(runtime: Runtime, order_id: str, lines: pd.DataFrame, customer_tier: str | None) -> pd.DataFrame:
    """``lines`` (``event_lines``) with promise_date and backorder_probability: the open lines
    scored now (see the module doc), a shipped line 0 and the day it shipped.

    ``ServiceError`` 503 when the service cannot score or the online store does not answer.
    """
    out = lines.assign(promise_date=lines["shipped_date"], backorder_probability=0.0)
    open_lines = lines[lines["shipped_date"].isna()]
    if open_lines.empty:
        return out
    if runtime.scorer is None or runtime.components.live is None:
        problem = "models, feature store or live state not loaded; see GET /v1/status"
        raise ServiceError(503, "not ready", [("service", problem)])
    held = open_lines.groupby(["sku_id", "location_id"])["reserved"].sum()
    scorer = scorer_over(runtime.scorer, OwnHoldsFree(runtime.components.live, held.astype(int).to_dict()))
    order = {
        "order_id": order_id,
        "customer_id": None,
        "customer_tier": customer_tier,
        "lines": [
            {
                "line_id": line,
                "sku_id": sku,
                "location_id": location,
                "quantity": quantity,
                "requested_date": None if pd.isna(requested) else requested,
            }
            for line, sku, location, quantity, requested in open_lines[
                ["line_id", "sku_id", "location_id", "quantity", "requested_date"]
            ].itertuples(index=False)
        ],
    }
    try:
        scored = scorer.score(line_columns([order]), runtime.clock())
    except FeatureStoreUnavailable as exc:
        raise runtime.store_unavailable(exc) from exc
    at = open_lines.index
    out.loc[at, "promise_date"] = pd.to_datetime(np.asarray(scored["promise_date"], dtype="datetime64[ns]"))
    out.loc[at, "backorder_probability"] = np.asarray(scored["backorder_probability"], dtype=float)
    return out
