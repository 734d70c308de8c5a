"""Time of the as-of step (``backorder features asof``) on a simulated world: one full run on the
tables known at a day, then one incremental run on the tables of the next day, with equal
outputs checked against a full run on those tables when asked.

    .venv/bin/python benchmarks/bench_asof.py                      # default world, last day added
    .venv/bin/python benchmarks/bench_asof.py --days 200 --profile  # shorter history, cProfile top 25
    .venv/bin/python benchmarks/bench_asof.py --check               # also a full run on the last day
    .venv/bin/python benchmarks/bench_asof.py --engine dask         # on a LocalCluster of 2 workers

Each run prints its wall seconds and the CPU seconds of this process and its children (the
LocalCluster's worker processes, once they ended), and both per million SKU-location-days
(inventory snapshot rows of the tables it ran on). The profile counts CPU time, not wall time.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import resource
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skus", type=int, default=300)
    parser.add_argument("--days", type=int, default=730, help="days of the simulated world")
    parser.add_argument("--profile", action="store_true", help="cProfile the full run")
    parser.add_argument("--check", action="store_true", help="compare with a full run on the last day's tables")
    parser.add_argument("--engine", choices=("local", "dask"), default="local")
    parser.add_argument("--workers", type=int, default=2, help="LocalCluster workers with --engine dask")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    import pandas as pd

    from pipelines.asof_outputs import ASOF_FILES, describe_asof, write_asof_outputs
    from settings import load_settings
    from simulation import SimulationConfig
    from simulation.engine import advance
    from simulation.policy import BaselinePolicy
    from simulation.run import checkpoint
    from training import world_asof  # noqa: F401  (imported here: the runs time the step's work)

    point = checkpoint(SimulationConfig(n_skus=args.skus, n_days=args.days), args.days - 2)
    before = point.history_tables()
    state = point.state.copy()
    advance(state, point.world, point.demand, point.draws, BaselinePolicy.from_config(point.config), args.days - 1)
    after = replace(point, state=state).history_tables()

    def run(settings, tables, force: bool) -> dict[str, object]:
        settings.canonical_dir.mkdir(parents=True, exist_ok=True)
        for name, frame in tables.items():
            frame.to_parquet(settings.canonical_dir / f"{name}.parquet", index=False)
        started, cpu = time.perf_counter(), cpu_seconds()
        stamp = write_asof_outputs(settings, force=force)
        seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
        million = len(tables["inventory_snapshots"]) / 1e6
        print(
            f"{'full' if force else 'next day'} ({args.engine}): {seconds:.1f} s wall, {cpu:.1f} CPU s "
            f"({seconds / million:.1f} wall s, {cpu / million:.1f} CPU s per million SKU-location-days), "
            f"load average {os.getloadavg()[0]:.1f}: {describe_asof(stamp)}"
        )
        return stamp

    engine = {"engine": args.engine, "dask_workers": args.workers}
    with tempfile.TemporaryDirectory() as tmp:
        daily = load_settings(data_dir=Path(tmp) / "daily").model_copy(update=engine)
        profiler = cProfile.Profile(time.process_time) if args.profile else None
        if profiler:
            profiler.enable()
        run(daily, before, force=True)
        if profiler:
            profiler.disable()
            pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
        run(daily, after, force=False)
        if args.check:
            whole = load_settings(data_dir=Path(tmp) / "whole").model_copy(update=engine)
            run(whole, after, force=True)
            for file in ASOF_FILES.values():
                pd.testing.assert_frame_equal(
                    pd.read_parquet(daily.asof_dir / file),
                    pd.read_parquet(whole.asof_dir / file),
                    check_exact=False,
                    rtol=1e-9,
                    atol=1e-9,
                )
            print("next-day outputs equal the full run's")


def cpu_seconds() -> float:
    """User and system CPU seconds of this process and its ended children."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


if __name__ == "__main__":
    main()
