"""What-if runs on the simulator: the same world and seed under changed lead times or safety stock,
or with substitutes offered to short lines.

Each run simulates the world of the canonical tables for a short horizon, once as it is and once
per what-if, so the runs face the same demand and supplier draws and differ only by the knob. A
simulated world is re-run from its own config (seed, size and knobs, read from the simulation
summary); a user's data is first calibrated into a world (``simulation.calibration``), which starts
from the latest stock. The runs compare parameters on one world; they are not a forecast.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

from simulation import Knobs, SimulationConfig, scenario_config, simulate
from simulation.calibration import Calibration
from simulation.policy import BaselinePolicy
from simulation.world import World

WORLD_FIELDS = ("seed", "n_skus", "n_locations", "n_suppliers", "n_customers", "substitute_share")


@dataclass(frozen=True)
class WhatIf:
    """One run: a name, the factors applied to the world's own knobs, and whether lines left short
    are offered their SKU's substitutes (worlds without substitutes skip such a run)."""

    name: str
    lead_time_scale: float = 1.0
    safety_stock_factor: float = 1.0
    substitute: bool = False


DEFAULT_WHAT_IFS: tuple[WhatIf, ...] = (
    WhatIf("baseline"),
    WhatIf("lead time -20%", lead_time_scale=0.8),
    WhatIf("safety stock +10%", safety_stock_factor=1.1),
    WhatIf("offer substitutes", substitute=True),
)


def what_if_configs(world: Mapping[str, Any], days: int,
                    what_ifs: Sequence[WhatIf] = DEFAULT_WHAT_IFS) -> list[tuple[WhatIf, SimulationConfig]]:
    """Configs of the runs: the world's seed, size and knobs (``world`` is the ``config`` dict of the
    simulation summary), ``days`` long, with each what-if's factors on top of the world's knobs."""
    knobs = {f.name: float(world.get("knobs", {}).get(f.name, getattr(Knobs(), f.name))) for f in fields(Knobs)}
    base = {k: world[k] for k in WORLD_FIELDS if k in world}
    out = []
    for what_if in what_ifs:
        if what_if.substitute and not float(world.get("substitute_share", 0.0)) > 0:
            continue
        changed = dict(knobs)
        changed["lead_time_scale"] *= what_if.lead_time_scale
        changed["safety_stock_factor"] *= what_if.safety_stock_factor
        out.append((what_if, scenario_config("baseline", **base, n_days=days, **changed)))
    return out


def calibrated_what_if_worlds(calibration: Calibration, days: int,
                              what_ifs: Sequence[WhatIf] = DEFAULT_WHAT_IFS) -> list[tuple[WhatIf, World]]:
    """The calibrated world under each what-if's factors, ``days`` long."""
    return [
        (what_if, calibration.world_for(
            Knobs(lead_time_scale=what_if.lead_time_scale, safety_stock_factor=what_if.safety_stock_factor), days))
        for what_if in what_ifs
        if not what_if.substitute or calibration.world.substitutes is not None
    ]


def run_what_ifs(runs: Sequence[tuple[WhatIf, SimulationConfig | World]]) -> list[dict[str, Any]]:
    """Simulate every config (a generated world) or world (a calibrated one) under the ERP
    baseline rule; backordered units, units shipped from substitutes, fill rate and total cost of
    each run."""
    out = []
    for what_if, setup in runs:
        world = setup if isinstance(setup, World) else None
        config = setup.config if isinstance(setup, World) else setup
        policy = replace(BaselinePolicy.from_config(config), substitute=what_if.substitute)
        metrics = simulate(config, policy, world=world).metrics
        out.append(
            {
                "scenario": what_if.name,
                "lead_time_scale": config.knobs.lead_time_scale,
                "safety_stock_factor": config.knobs.safety_stock_factor,
                "days": config.n_days,
                "backordered_units": float(metrics["backordered_units"]),
                "substituted_units": float(metrics["substituted_units"]),
                "fill_rate": float(metrics["fill_rate"]),
                "total_cost": float(metrics["total_cost"]),
            }
        )
    return out
