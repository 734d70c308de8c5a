"""Shared pytest fixtures: an isolated settings object per test, pointing at tmp_path."""

from __future__ import annotations

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
