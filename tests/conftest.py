"""Shared pytest fixtures: an isolated settings object per test, pointing at tmp_path."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest

from settings import Settings, load_settings

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


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
