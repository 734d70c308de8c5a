"""A real Feast store holding a frame of online features, in the settings' online store (this
project's SQLite store or Redis), for the tests and served targets that read it as the service does."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from settings import Settings

VIEW, SERVICE = "stock_features", "risk_test"
WRITTEN_AT = pd.Timestamp("2026-03-01", tz="UTC")


def write_feast_store(settings: Settings, online_table: pd.DataFrame) -> None:
    """Apply one view of ``online_table``'s feature columns and write the table into the online store."""
    from feast import FeatureService, FeatureView, Field, FileSource
    from feast.types import Float64

    from features.feast_repo.definitions import LOCATION, SKU, TTL
    from features.feature_store import open_store

    settings.feature_repo_dir.mkdir(parents=True, exist_ok=True)
    store = open_store(settings)
    names = [c for c in online_table.columns if c not in ("sku_id", "location_id")]
    unused = Path(settings.feature_repo_dir).resolve() / "unused.parquet"  # online only: never read
    view = FeatureView(
        name=VIEW,
        entities=[SKU, LOCATION],
        ttl=TTL,
        schema=[Field(name=n, dtype=Float64) for n in names],
        source=FileSource(name="stock_source", path=str(unused), timestamp_field="event_timestamp"),
        online=True,
    )
    store.apply([SKU, LOCATION, view, FeatureService(name=SERVICE, features=[view])])
    store.write_to_online_store(VIEW, online_table.assign(event_timestamp=WRITTEN_AT))


def feast_reader(settings: Settings):
    """The store's reader, opened as the service opens it (``features.feature_store.OnlineReader``)."""
    from features.feature_store import OnlineReader, open_store

    return OnlineReader(open_store(settings), SERVICE)
