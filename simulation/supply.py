"""Supplier behaviour: how late, how short and how early announced each delivery is.

Realized lead time = quoted lead time + delay, where the delay of a PO placed on day t for
SKU-location n by supplier s is ``floor(mean_delay[s, t] * E[t, n]) + disruption[s, promised]``:

* ``mean_delay`` is the supplier's base lateness (reliability differs between suppliers)
  times a slow mean-reverting log random walk (reliability drifts over time);
* ``E[t, n]`` ~ Exp(1) is drawn for every (day, SKU-location) before the run, so the same PO
  gets the same delay under any policy (common random numbers);
* ``disruption`` adds 1-4 weeks to every PO of the supplier due during an episode of 2-8 weeks.

Deliveries are short with a supplier-specific probability (unreliable suppliers ship short more
often) and an ASN announces the true arrival date 1-5 days before it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import lfilter

from simulation.config import MAX_EVENT_MULTIPLIER
from simulation.streams import stream
from simulation.world import World

DRIFT_PERSISTENCE = 0.99  # AR(1) coefficient of the log reliability drift, per day
DRIFT_STEP_SD = 0.05


@dataclass(frozen=True)
class SupplyDraws:
    mean_delay: np.ndarray  # (suppliers, days + margin)
    disruption_delay: np.ndarray  # (suppliers, days + margin), 0 outside episodes
    delay_noise: np.ndarray  # (T, N) Exp(1)
    short_draw: np.ndarray  # (T, N) U(0, 1): short if below the supplier's short probability
    short_fraction: np.ndarray  # (T, N) share of the quantity that arrives when short
    asn_lead: np.ndarray  # (T, N) days between the ASN and the arrival


@dataclass(frozen=True)
class Receipts:
    """Planned outcome of new PO lines, known to the simulator but not to the policy."""

    promised_day: np.ndarray
    arrival_day: np.ndarray
    received_quantity: np.ndarray
    asn_lead: np.ndarray


def generate_supply(world: World) -> SupplyDraws:
    """Draw supplier reliability paths, disruption episodes and per-PO noise for the horizon."""
    config = world.config
    n_sup, n_days = config.n_suppliers, config.n_days
    horizon = n_days + int(world.quoted_lead_time.max()) + 1
    rng = stream(config.seed, "supply")
    steps = rng.normal(0, DRIFT_STEP_SD, (n_sup, horizon))
    # AR(1) x_t = phi * x_(t-1) + e_t as a linear filter, vectorized over suppliers.
    drift = lfilter([1.0], [1.0, -DRIFT_PERSISTENCE], steps, axis=1)
    mean_delay = world.supplier_base_delay[:, None] * np.exp(drift)

    disruption_rng = stream(config.seed, "disruptions")
    expected = config.disruptions_per_year * horizon / 365 * MAX_EVENT_MULTIPLIER
    # Unreliable suppliers are disrupted more often (up to twice the average rate).
    rank = np.argsort(np.argsort(world.supplier_base_delay)) / max(n_sup - 1, 1)
    counts = disruption_rng.poisson(expected * (0.5 + rank))
    supplier = np.repeat(np.arange(n_sup), counts)
    start = disruption_rng.integers(0, horizon, len(supplier))
    end = np.minimum(start + disruption_rng.integers(14, 57, len(supplier)) - 1, horizon - 1)
    extra = disruption_rng.uniform(7, 28, len(supplier))
    keep = (
        disruption_rng.random(len(supplier))
        < config.knobs.disruption_frequency / MAX_EVENT_MULTIPLIER
    )
    supplier, start, end, extra = supplier[keep], start[keep], end[keep], extra[keep]
    diff = np.zeros((n_sup, horizon + 1))
    np.add.at(diff, (supplier, start), extra)
    np.add.at(diff, (supplier, end + 1), -extra)
    disruption = np.cumsum(diff[:, :-1], axis=1)

    receipts_rng = stream(config.seed, "receipts")
    shape = (n_days, world.n_sku_locations)
    return SupplyDraws(
        mean_delay=mean_delay,
        disruption_delay=np.round(disruption, 6),
        delay_noise=receipts_rng.standard_exponential(shape, dtype=np.float32),
        short_draw=receipts_rng.random(shape, dtype=np.float32),
        short_fraction=receipts_rng.uniform(0.3, 0.95, shape).astype(np.float32),
        asn_lead=receipts_rng.integers(1, 6, shape, dtype=np.int8),
    )


def plan_receipts(
    world: World,
    draws: SupplyDraws,
    day: int,
    n: np.ndarray,
    slot: np.ndarray,
    quantity: np.ndarray,
) -> Receipts:
    """Promised date, true arrival date and received quantity of PO lines placed on ``day``."""
    scale = world.config.knobs.lead_time_scale
    sku = world.sku_of[n]
    supplier = world.supplier[sku, slot]
    quoted = world.quoted_lead_time[sku, slot]
    promised = day + quoted
    last = draws.mean_delay.shape[1] - 1
    base = np.floor(draws.mean_delay[supplier, day] * draws.delay_noise[day, n] * scale)
    disrupted = draws.disruption_delay[supplier, np.minimum(promised, last)] * scale
    arrival = promised + (base + np.rint(disrupted)).astype(np.int64)
    if world.config.shock_start_day is not None:
        arrival += np.where(promised >= world.config.shock_start_day, world.config.shock_delay_days, 0)
    short = draws.short_draw[day, n] < world.supplier_short_prob[supplier]
    short_quantity = np.maximum(1, np.floor(quantity * draws.short_fraction[day, n])).astype(
        np.int64
    )
    received = np.where(short, np.minimum(short_quantity, quantity), quantity)
    return Receipts(
        promised_day=promised,
        arrival_day=arrival,
        received_quantity=received,
        asn_lead=draws.asn_lead[day, n].astype(np.int64),
    )
