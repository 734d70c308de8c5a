"""``bentoml serve live_service:RiskService`` target of the multi-worker tests.

The real service (routes, middleware, live state from settings: Redis in the production profile)
on the generated world's model and features (read from the Feast store ``feast_world`` wrote when
the settings name the Redis online store, else from the frame), seeded with its stock and one open PO; each answer
carries the worker's process id in ``X-Worker-Pid``, so a test can tell the workers apart. The
model's version is the text of ``champion_version`` in the data folder when that file exists
(else "1"): a test "promotes" a model by writing it, then reloads.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
from feast_world import feast_reader
from generated_world import generated_online_table, generated_risk_model, generated_stock
from serving_helpers import TODAY

from live.factory import open_live_state
from serving.live_supply import LiveStockReader, LiveSupply, PoDelays, seed_if_empty
from serving.registry import LoadedModel
from serving.runtime import RISK, Components, Runtime, build_runtime
from serving.scoring import FrameFeatureReader
from serving.service import RiskService
from settings import load_settings

INBOUND = pd.DataFrame(
    {
        "po_id": ["PO-LIVE"], "supplier_id": ["SUP1"], "sku_id": ["SKU010"], "location_id": ["DC1"],
        "quantity": [20.0], "promised_date": pd.to_datetime(["2026-03-20"]),
        "delay_p10": [0.0], "delay_p50": [1.0], "delay_p90": [3.0], "asn_eta": [pd.NaT],
    }
)


def generated_runtime() -> Runtime:
    settings = load_settings()
    stock = generated_stock()
    online = generated_online_table(stock)
    live = open_live_state(settings)
    seed_if_empty(live, stock.assign(on_hand=0.0, allocated=0.0), INBOUND, TODAY)
    delays = PoDelays(None, lambda: TODAY)
    delays.remember(INBOUND)
    reader = feast_reader(settings) if settings.online_store == "redis" else FrameFeatureReader(online)
    promoted = Path(settings.data_dir) / "champion_version"
    version = promoted.read_text().strip() if promoted.exists() else "1"
    components = Components(
        models={RISK: LoadedModel(RISK, version, "provided", generated_risk_model(online, monotone=True))},
        reader=LiveStockReader(reader, live),
        supply=LiveSupply(live, delays),
        live=live,
    )
    return build_runtime(settings, components, today=lambda: TODAY)


class WorkerPid:
    """ASGI middleware: the answering worker's process id in ``X-Worker-Pid``."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        async def tagged(message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"x-worker-pid", str(os.getpid()).encode())]
            await send(message)

        await self.app(scope, receive, tagged)


RiskService.inner.runtime_factory = staticmethod(generated_runtime)
RiskService.add_asgi_middleware(WorkerPid)
