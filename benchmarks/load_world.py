"""``bentoml serve load_world:RiskService`` (from ``benchmarks/``): the real service on the generated
world of ``bench_serving.components``, with the demo world's ids (300 SKUs ``SKU-0000``.. at
``DC-1``..``DC-4``), so the committed example order scores without a trained demo world."""

from __future__ import annotations

from bench_serving import TODAY, components

from serving.runtime import build_runtime
from serving.service import RiskService
from settings import load_settings

LOCATIONS = ("DC-1", "DC-2", "DC-3", "DC-4")


def load_world_runtime():
    return build_runtime(load_settings(), components(300, 0, "SKU-{:04d}", LOCATIONS), today=lambda: TODAY)


RiskService.inner.runtime_factory = staticmethod(load_world_runtime)
