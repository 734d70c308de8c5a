"""The first run and the nightly run of a world K times the default one, step by step: wall time, CPU time, peak memory.

    nice -n 10 .venv/bin/python benchmarks/scale_run.py --scale 20 --data-dir /tmp/scale20
    nice -n 10 .venv/bin/python benchmarks/scale_run.py --scale 20 --data-dir /tmp/scale20 \\
        --steps train-risk,score                 # rerun single steps on the same world

Each step is the ``backorder`` command a first run would type, in a fresh process, with the
production profile's stores: MLflow in PostgreSQL (``--database-uri``, created if missing; one
registry per world, or promotion would compare models of different worlds), Feast's online
store and the live state in Redis (project ``--project``), the as-of demand replay, the risk
classifiers and the demand model on a Dask LocalCluster (``engine: dask``; workers spill to
``DATA_DIR/dask-scratch``).
The steps: simulate (``--scale K``), then hold back the world's last day (the canonical tables
as known the day before, ``contracts.known_at``; the whole tables wait in ``canonical-next-day``),
the first run on them: as-of replay, feature build, Feast apply and materialize, training of the
four models, promotion, scoring ``examples/score_request.json`` and a batch of orders through the
service's own scorer; then the nightly run once the last day arrives: the whole tables back in
place, and the as-of replay, feature build and materialization without ``--force`` (each
processes what is new since the first run), and scoring again. With ``--hold-back-days N`` the
first run sees the world up to N days before its last and each ``next-day`` step brings one
more day: rerun ``--steps next-day,nightly-asof,nightly-build,nightly-materialize,nightly-score``
for each (a day after a weekly as-of origin, say, where the as-of step also forecasts it).

Per step it prints the wall time, the CPU time and the peak resident memory of the step's whole
process tree (sampled every 0.2 s: the command and its children, e.g. the Dask workers), and the
cost per million SKU-location-days (SKUs x locations x days of the world) of each. A step that fails is
reported with its exit code and the run stops there (the figures so far are kept in
``DATA_DIR/scale_run.json``).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from bench_dask_training import PeakMemory

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "score_request.json"
BATCH_ORDERS = 100
LINES_PER_ORDER = 10

STEPS: dict[str, list[str]] = {
    "simulate": ["simulate", "--force", "--scale", "{scale}"],
    "hold-back": [],  # this script's --hold-back child: the canonical tables as known the day before
    "asof": ["features", "asof", "--force", "--engine", "dask"],
    "build": ["features", "build", "--force"],
    "apply": ["features", "apply"],
    "materialize": ["features", "materialize"],
    "train-sku-risk": ["train", "sku-risk", "--force", "--engine", "dask"],
    "train-risk": ["train", "risk", "--force", "--engine", "dask"],
    "train-demand": ["train", "demand", "--force", "--engine", "dask"],
    "train-lead-time": ["train", "lead-time", "--force"],
    "promote": ["promote", "--all"],
    "score": [],  # this script's --score child: the service's scorer in one process
    "next-day": [],  # this script's --next-day child: the held-back day's tables arrive
    "nightly-asof": ["features", "asof", "--engine", "dask"],
    "nightly-build": ["features", "build"],
    "nightly-materialize": ["features", "materialize"],
    "nightly-score": [],
}
# Steps run by this script's own children: name -> its option.
CHILDREN = {"hold-back": "--hold-back", "next-day": "--next-day", "score": "--score", "nightly-score": "--score"}
NIGHTLY = ("nightly-asof", "nightly-build", "nightly-materialize", "nightly-score")
# The data's arrival, not steps of a run: left out of the totals.
ARRIVALS = ("hold-back", "next-day")
NEXT_DAY = "canonical-next-day"


def write_settings(data_dir: Path, database_uri: str, project: str, partitions: int, worker_memory: str) -> Path:
    """A production-profile settings file for ``data_dir`` on this machine's PostgreSQL and Redis,
    training on a LocalCluster of two workers of ``worker_memory`` each that spill to the data folder."""
    from serving.key_hashing import hash_key
    from settings.local_production import write_local_production_settings

    api_keys = {"scale-run": {"hash": hash_key(os.urandom(16).hex()), "roles": ["oms"]}}
    return write_local_production_settings(
        data_dir / "scale_run.yaml", data_dir, database_uri, project, api_keys,
        engine="dask", dask_workers=2, dask_partitions=partitions,
        dask_worker_memory_limit=worker_memory, dask_local_directory=str(data_dir / "dask-scratch"),
    )


def ensure_database(database_uri: str) -> None:
    """Create the PostgreSQL database of ``database_uri`` if it does not exist."""
    import sqlalchemy

    url = sqlalchemy.make_url(database_uri)
    admin = sqlalchemy.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.execute(
            sqlalchemy.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": url.database}
        ).first()
        if not exists:
            connection.execute(sqlalchemy.text(f'CREATE DATABASE "{url.database}"'))
    admin.dispose()


def run_step(
    name: str, scale: float, config: Path, data_dir: Path, child_options: tuple[str, ...] = ()
) -> dict[str, object]:
    """Run one step in a fresh process tree; its seconds, CPU seconds, peak memory and exit code.

    CPU seconds are those of every process of the step once it ended (the Dask workers included):
    on a shared machine they are the step's own work, where wall time also counts the waits for a core.
    """
    if name in CHILDREN:
        command = [sys.executable, __file__, CHILDREN[name], str(config), *child_options]
    else:
        backorder = str(Path(sys.executable).parent / "backorder")
        command = [backorder, "--config", str(config), *(a.format(scale=scale) for a in STEPS[name])]
    env = {
        **os.environ,
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "DO_NOT_TRACK": "true",
    }
    log = data_dir / "logs" / f"{name}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with PeakMemory() as peak, open(log, "wb") as sink:
        started = time.perf_counter()
        code = subprocess.run(command, stdout=sink, stderr=subprocess.STDOUT, cwd=REPO, env=env).returncode
        seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        "step": name,
        "seconds": round(seconds, 1),
        "cpu_seconds": round(cpu, 1),
        "peak_gb": round(peak.total / 2**30, 2),
        "exit_code": code,
        "load_average": round(os.getloadavg()[0], 1),
    }


def world_size(data_dir: Path) -> dict[str, int]:
    """SKUs, locations and days of the simulated world in ``data_dir``."""
    config = json.loads((data_dir / "canonical" / "summary.json").read_text())["config"]
    return {"skus": config["n_skus"], "locations": config["n_locations"], "days": config["n_days"]}


def score_orders(config: Path) -> None:
    """Score the example order and a batch of orders with the service's runtime (the child of ``score``)."""
    import numpy as np
    import pandas as pd

    from serving.runtime import build_runtime, production_components
    from serving.scoring import line_columns
    from settings import load_settings

    settings = load_settings(config)
    started = time.perf_counter()
    runtime = build_runtime(settings, production_components(settings))
    if not runtime.ready:
        raise SystemExit(f"service not ready: {runtime.readiness()}")
    load_seconds = time.perf_counter() - started
    example = json.loads(EXAMPLE.read_text())
    skus = pd.read_parquet(settings.canonical_dir / "skus.parquet", columns=["sku_id"])
    locations = pd.read_parquet(settings.canonical_dir / "locations.parquet", columns=["location_id"])
    keys = skus.merge(locations, how="cross").to_numpy()
    rng = np.random.default_rng(0)
    picked = keys[rng.integers(0, len(keys), BATCH_ORDERS * LINES_PER_ORDER)]
    batch = [
        {
            **example,
            "order_id": f"SCALE-{o:04d}",
            "lines": [
                {**example["lines"][0], "line_id": str(i + 1), "sku_id": str(sku), "location_id": str(location)}
                for i, (sku, location) in enumerate(picked[o * LINES_PER_ORDER : (o + 1) * LINES_PER_ORDER])
            ],
        }
        for o in range(BATCH_ORDERS)
    ]
    timings = {}
    for label, orders in (("example", [example]), ("batch", batch)):
        started = time.perf_counter()
        scored = runtime.scorer.score(line_columns(orders, batch=label == "batch"), runtime.clock())
        timings[label] = {"lines": len(scored["backorder_probability"]), "seconds": time.perf_counter() - started}
    runtime.close()
    print(json.dumps({"load_seconds": round(load_seconds, 1), **timings}))


def hold_back_days(config: Path, days: int) -> None:
    """Move the canonical tables to ``canonical-next-day`` and write them as known ``days`` days
    before their last day in their place (the child of ``hold-back``)."""
    import shutil

    import pandas as pd

    from contracts.known_at import tables_known_at
    from contracts.tables import CANONICAL_TABLES
    from features.incremental import data_end
    from pipelines.tables import write_canonical_tables
    from settings import load_settings

    canonical = load_settings(config).canonical_dir
    held = canonical.with_name(NEXT_DAY)
    shutil.rmtree(held, ignore_errors=True)
    canonical.rename(held)
    names = [n for n in CANONICAL_TABLES if (held / f"{n}.parquet").exists()]
    tables = {n: pd.read_parquet(held / f"{n}.parquet") for n in names}
    write_canonical_tables(tables_known_at(tables, data_end(tables) - pd.Timedelta(days=days)), canonical)
    for other in held.iterdir():
        if other.suffix != ".parquet":
            shutil.copy2(other, canonical / other.name)


def next_day(config: Path) -> None:
    """The next held-back day arrives (the child of ``next-day``): the tables of ``canonical-next-day``
    as known one day after the current ones, or the whole tables in their place on the last day."""
    import shutil

    import pandas as pd

    from contracts.known_at import tables_known_at
    from features.incremental import data_end
    from pipelines.tables import write_canonical_tables
    from settings import load_settings

    canonical = load_settings(config).canonical_dir
    held = canonical.with_name(NEXT_DAY)
    if not held.exists():
        raise SystemExit(f"no held-back tables in {held}: run the hold-back step first")
    current = data_end({"inventory_snapshots": pd.read_parquet(canonical / "inventory_snapshots.parquet")})
    tables = {path.stem: pd.read_parquet(path) for path in held.glob("*.parquet")}
    if data_end(tables) > current + pd.Timedelta(days=1):
        write_canonical_tables(tables_known_at(tables, current + pd.Timedelta(days=1)), canonical)
        return
    shutil.rmtree(canonical)
    held.rename(canonical)


def print_table(results: list[dict[str, object]], size: dict[str, int] | None) -> None:
    sld = size["skus"] * size["locations"] * size["days"] / 1e6 if size else None
    print(
        f"{'step':<16} {'seconds':>9} {'CPU s':>9} {'peak GB':>8} {'s / M SLD':>10} {'CPU s / M SLD':>14} "
        f"{'exit':>5} {'load':>5}"
    )
    for row in results:
        per = f"{row['seconds'] / sld:10.1f} {row['cpu_seconds'] / sld:14.1f}" if sld else f"{'':>10} {'':>14}"
        print(
            f"{row['step']:<16} {row['seconds']:>9.1f} {row['cpu_seconds']:>9.1f} {row['peak_gb']:>8.2f} {per} "
            f"{row['exit_code']:>5} {row['load_average']:>5.1f}"
        )
    for label, rows in (
        ("first run", [r for r in results if r["step"] not in (*NIGHTLY, *ARRIVALS)]),
        ("nightly run", [r for r in results if r["step"] in NIGHTLY]),
    ):
        if rows:
            total = sum(float(row["seconds"]) for row in rows)
            cpu = sum(float(row["cpu_seconds"]) for row in rows)
            peak = max(float(row["peak_gb"]) for row in rows)
            print(f"{label:<16} {total:>9.1f} {cpu:>9.1f} {peak:>8.2f}")
    if size:
        print(
            f"world: {size['skus']} SKUs x {size['locations']} locations x {size['days']} days"
            f" = {sld:.2f}M SKU-location-days"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="World size, times the default one.")
    parser.add_argument("--data-dir", type=Path, required=False, help="Data folder of the run (kept).")
    parser.add_argument("--steps", default=",".join(STEPS), help=f"Comma-separated, of: {', '.join(STEPS)}.")
    parser.add_argument(
        "--database-uri", help="MLflow registry (default: the PostgreSQL database named after --project, here)."
    )
    parser.add_argument("--project", default="scale_run", help="Feast project and live-state key prefix in Redis.")
    parser.add_argument("--partitions", type=int, help="SKU partitions of the Dask path (default: 8 x scale).")
    parser.add_argument("--worker-memory", default="5GB", help="Memory limit of each of the 2 Dask workers.")
    parser.add_argument("--score", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--hold-back", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--next-day", type=Path, help=argparse.SUPPRESS)
    parser.add_argument(
        "--hold-back-days",
        type=int,
        default=1,
        help="Days the first run does not see; each next-day step brings one (rerun the nightly steps per day).",
    )
    args = parser.parse_args()
    if args.hold_back:
        hold_back_days(args.hold_back, args.hold_back_days)
        return
    for child, run in ((args.score, score_orders), (args.next_day, next_day)):
        if child:
            run(child)
            return
    if args.data_dir is None:
        parser.error("--data-dir is required")
    steps = args.steps.split(",")
    unknown = [step for step in steps if step not in STEPS]
    if unknown:
        parser.error(f"--steps: unknown step(s) {', '.join(unknown)}; choose from {', '.join(STEPS)}")
    data_dir = args.data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    database_uri = args.database_uri or f"postgresql://postgres@127.0.0.1:5432/{args.project}"
    ensure_database(database_uri)
    partitions = args.partitions or max(8, round(8 * args.scale))
    config = write_settings(data_dir, database_uri, args.project, partitions, args.worker_memory)
    record = data_dir / "scale_run.json"
    results = json.loads(record.read_text()) if record.exists() else []
    print(f"scale {args.scale:g}, data {data_dir}; load average {os.getloadavg()}", flush=True)
    for step in steps:
        options = ("--hold-back-days", str(args.hold_back_days)) if step == "hold-back" else ()
        row = run_step(step, args.scale, config, data_dir, options)
        results = [r for r in results if r["step"] != step] + [row]
        record.write_text(json.dumps(results, indent=2))
        print(json.dumps(row), flush=True)
        if row["exit_code"] != 0:
            print(f"step {step} failed; see {data_dir / 'logs' / (step + '.log')}")
            break
    size_file = data_dir / "canonical" / "summary.json"
    order = list(STEPS)
    print_table(
        sorted(results, key=lambda r: order.index(r["step"])), world_size(data_dir) if size_file.exists() else None
    )


if __name__ == "__main__":
    main()
