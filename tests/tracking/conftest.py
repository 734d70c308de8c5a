"""MLflow stores for registry tests: a SQLite file and a throwaway PostgreSQL database."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import mlflow
import psycopg2
import pytest

POSTGRES_DSN = "host=127.0.0.1 port=5432 dbname=postgres user=postgres"


@pytest.fixture
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database, dropped after the test; yields its SQLAlchemy URI."""
    name = f"mlflow_test_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(POSTGRES_DSN)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        mlflow.set_tracking_uri(None)
        with admin.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)
            )
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def tracking_uri(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'mlflow.db'}"
    return request.getfixturevalue("postgres_database")
