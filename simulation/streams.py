"""Keyed random streams: one independent generator per (seed, component).

Every source of exogenous randomness draws from its own stream and never from a stream that
policy-dependent events consume, so two policies run on the same seed see the same demand and
the same supplier behaviour (common random numbers).
"""

from __future__ import annotations

import numpy as np

STREAMS = {
    "world": 0,
    "demand": 1,
    "orders": 2,
    "promotions": 3,
    "surges": 4,
    "supply": 5,
    "disruptions": 6,
    "receipts": 7,
    "seasonality": 8,
    "substitutes": 9,
}


def stream(seed: int, name: str) -> np.random.Generator:
    """The generator of component ``name`` for ``seed`` (independent of all other components)."""
    return np.random.Generator(
        np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(STREAMS[name],)))
    )
