"""The alert database on SQLite and on a fresh PostgreSQL database per test; webhook receivers."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa
from alert_helpers import RECEIVER, SECRET, Receiver

from alerts.schema import open_database
from tests.conftest import throwaway_database


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database, dropped after the test; yields its SQLAlchemy URL."""
    with throwaway_database(f"alerts_test_{uuid.uuid4().hex[:12]}") as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'alerts' / 'alerts.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def engine(database_url) -> Iterator[sa.Engine]:
    engine = open_database(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def receiver(tmp_path) -> Iterator[Callable[[int], Receiver]]:
    """Starts receivers that fail their first ``n`` calls (every call for -1); stops them after."""
    started: list[subprocess.Popen] = []

    def start(fail_first: int) -> Receiver:
        log = tmp_path / f"receiver-{len(started)}.jsonl"
        process = subprocess.Popen(
            [sys.executable, str(RECEIVER), "--secret", SECRET, "--log", str(log), "--fail-first", str(fail_first)],
            stdout=subprocess.PIPE, text=True,
        )
        started.append(process)
        port = int(process.stdout.readline())
        return Receiver(f"http://127.0.0.1:{port}/hooks", log)

    yield start
    for process in started:
        process.terminate()
        process.wait(10)
        process.stdout.close()
