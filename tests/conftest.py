"""Shared pytest fixtures: an isolated settings object per test, and the public data sets."""

from __future__ import annotations

import os

# pytest-xdist runs one worker per core: each worker's fits get one OpenMP thread (the settings'
# ``num_threads`` and LightGBM's default), since threads that outnumber the cores spin instead of
# working. Set before the libraries load; a value in the environment wins.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("BACKORDER_NUM_THREADS", "1")
# A service in a test runs no alert threads (re-checks, webhook sends) unless the test asks for them.
os.environ.setdefault("BACKORDER_ALERTS__LIVE_CHECKS", "false")

import shutil
import socket
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import psycopg2
import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from serving.key_hashing import hash_key
from settings import Settings, load_settings
from settings.local_production import write_local_production_settings
from settings.third_party_output import KNOWN_WARNINGS

if TYPE_CHECKING:
    from distributed import Client

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
TEST_OMS_KEY = "test-oms-key"
POSTGRES_ADMIN_DSN = "host=127.0.0.1 port=5432 dbname=postgres user=postgres"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--shared-data",
        default=str(DEFAULT_SHARED_DATA),
        metavar="DIR",
        help="folder of the public data sets (default: ../shared/data next to the repository)",
    )


def pytest_configure(config: pytest.Config) -> None:
    """The known third-party warnings are ignored here as in the commands; any other one fails."""
    for known in KNOWN_WARNINGS:
        config.addinivalue_line("filterwarnings", known.pytest_filter())


@event.listens_for(Engine, "connect")
def _sqlite_without_fsync(connection: object, _record: object) -> None:
    """Test databases need not survive a power cut: SQLite stops syncing to disk on each commit
    (a new MLflow registry commits each of its schema migrations)."""
    if isinstance(connection, sqlite3.Connection):
        connection.execute("PRAGMA synchronous = OFF")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that reads the public data sets carries the ``shared_data`` marker. Modules with
    slow tests run first (each module kept whole, for its module-scoped fixtures), so the xdist
    workers start on the long tests and finish on the short ones instead of waiting on one."""
    for item in items:
        if "shared_data" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.shared_data)
    slow_modules = {item.path for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.path not in slow_modules)


@pytest.fixture(scope="session")
def shared_data(request: pytest.FixtureRequest) -> Callable[[str], Path]:
    """The path of a public data set (relative to --shared-data); skips the test naming it if absent."""
    root = Path(request.config.getoption("--shared-data")).resolve()

    def locate(relative: str) -> Path:
        path = root / relative
        if not path.exists():
            pytest.skip(f"needs the public data set {relative!r}: {path} is missing (see --shared-data)")
        return path

    return locate


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings whose data folder is the test's own temporary directory."""
    monkeypatch.delenv("BACKORDER_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    return load_settings(data_dir=tmp_path / "data")


@pytest.fixture(scope="session")
def featured_world(
    tmp_path_factory: pytest.TempPathFactory,
) -> Callable[[str, int], AbstractContextManager[Settings]]:
    """``featured_world(name, n_skus)``: a baseline 240-day simulated world with its feature tables,
    in a fresh folder that is the working directory while the ``with`` block runs."""

    @contextmanager
    def make(name: str, n_skus: int) -> Iterator[Settings]:
        from pipelines.commands.features import write_feature_tables
        from pipelines.commands.simulate import write_simulation
        from simulation import scenario_config

        root = tmp_path_factory.mktemp(name)
        with pytest.MonkeyPatch.context() as patch:
            patch.delenv("BACKORDER_CONFIG", raising=False)
            patch.chdir(root)
            settings = load_settings(data_dir=root / "data")
            write_simulation(scenario_config("baseline", seed=0, n_skus=n_skus, n_days=240), settings.canonical_dir)
            write_feature_tables(settings, horizon=14, forecasts=None)
            yield settings

    return make


def seasonal_panel(n_series: int, n_periods: int, seed: int, freq: str = "MS") -> pd.DataFrame:
    """Long ``unique_id, ds, y, price`` panel: level x seasonality x price effect + noise."""
    rng = np.random.default_rng(seed)
    ds = pd.date_range("2015-01-01", periods=n_periods, freq=freq)
    ids = np.repeat([f"s{i:02d}" for i in range(n_series)], n_periods)
    t = np.tile(np.arange(n_periods), n_series)
    level = np.repeat(rng.uniform(20, 200, n_series), n_periods)
    price = rng.uniform(0.8, 1.2, len(t))
    mean = level * (1 + 0.3 * np.sin(2 * np.pi * t / 12)) * price**-1.5
    y = rng.gamma(shape=8.0, scale=mean / 8.0)
    return pd.DataFrame({"unique_id": ids, "ds": np.tile(ds, n_series), "y": y, "price": price})


@contextmanager
def throwaway_database(name: str) -> Iterator[str]:
    """A new PostgreSQL database ``name`` on the local server, dropped with its connections
    afterwards; yields its SQLAlchemy URI. Throwaway: its commits do not wait for the disk."""
    admin = psycopg2.connect(POSTGRES_ADMIN_DSN)
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
            cursor.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.close()


def write_production_config(
    path: Path, data_dir: Path, database_uri: str, project: str, roles: list[str], **more: object
) -> Path:
    """A production-profile settings file on this machine's services (the live state's keys are
    removed with the project's) with the one API key "test-oms-key" with ``roles``; ``more`` adds
    or overrides settings."""
    api_keys = {"oms-system": {"hash": hash_key(TEST_OMS_KEY), "roles": roles}}
    return write_local_production_settings(path, data_dir, database_uri, project, api_keys, **more)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (closed again when returned)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def chromium_path() -> str:
    """Debian's chromium for the browser tests: missing fails in CI (which installs it), else skips."""
    path = shutil.which("chromium")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed (.ci/run installs Debian's chromium package)")
        pytest.skip("chromium is not installed")
    return path


def small_monthly_spec():
    """A small, quick demand spec for ``seasonal_panel`` (monthly, 3 months ahead, 30 rounds)."""
    from features.timeseries import LagFeatureSpec
    from training.forecasting.model import DemandSpec

    return DemandSpec(
        features=LagFeatureSpec(lags=(0, 1), seasonal_lags=(12,), windows=(3,), scale_window=6),
        horizon=3,
        freq="MS",
        known_covariates=("price",),
        params={"min_data_in_leaf": 10, "learning_rate": 0.2, "num_leaves": 7, "max_bin": 31},
        num_boost_round=30,
    )


@pytest.fixture
def make_panel():
    """``seasonal_panel``: a long monthly demand panel for the forecasting and feature tests."""
    return seasonal_panel


_STARTUP: dict[str, object] = {}  # the runtime the in-process service starts with


@pytest.fixture(scope="session")
def _asgi_client():
    """The in-process BentoML app (built once per process: a second build re-registers its
    Prometheus metrics), started once per test process.

    Here, not beside the serving tests, so that every directory using ``client`` (tests/serving,
    tests/reliability, ...) shares it. The demo's in-process replay starts the same app, and a
    start while this one is open would orphan this service instance with its unclosed BentoML
    client: ``make test`` hands out the demo's module (modules with slow tests go first, in path
    order) before every module that uses ``client``, so no worker starts the two together."""
    import warnings

    from serving.service import RiskService, in_process_app

    with warnings.catch_warnings():
        # starlette 1.x asks for httpx2 in its TestClient; httpx works and is what the stack pins.
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    original = RiskService.inner.runtime_factory
    RiskService.inner.runtime_factory = staticmethod(lambda: _STARTUP["runtime"])
    try:
        with TestClient(in_process_app()) as c:
            yield c
    finally:
        RiskService.inner.runtime_factory = original


@pytest.fixture
def client(runtime, request: pytest.FixtureRequest):
    """The BentoML service in-process, serving this test's ``runtime`` (a fixture of the
    directory's conftest)."""
    from serving.service import RiskService, app

    _STARTUP["runtime"] = runtime
    c = request.getfixturevalue("_asgi_client")
    app.state.runtime = runtime
    request.addfinalizer(lambda: runtime.log.close())
    assert RiskService.inner.runtime_factory() is runtime  # /v1/admin/reload reloads the same
    return c


@contextmanager
def local_cluster(n_workers: int = 2) -> Iterator[Client]:
    """A Dask LocalCluster of ``n_workers`` one-thread in-process workers on 127.0.0.1, the
    default client while open."""
    from distributed import Client, LocalCluster

    from training.dask_expression_cache import read_expression_cache_once

    read_expression_cache_once()
    with (
        LocalCluster(
            n_workers=n_workers,
            threads_per_worker=1,
            processes=False,
            protocol="tcp",
            host="127.0.0.1",
            dashboard_address=":0",  # a free port: None still binds 8787
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client
