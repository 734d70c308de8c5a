"""Entities, Parquet sources, feature views and one feature service per model version.

A feature service is named after the model that reads it (``<model>_v<version>``); each model's
recipe (``training.recipes``) names the service it reads.

Sources need absolute paths (duckdb resolves relative ones against the working directory), so the
declarations are built by ``definitions(features_dir)`` instead of living as module globals.
Feature names come from the pipeline modules, so the views cannot drift from what ``build`` writes.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from feast import Entity, FeatureService, FeatureView, Field, FileSource, ValueType
from feast.types import Float64, Int64

from features.build import TIMESTAMP, sku_location_feature_names
from features.supplier import lane_feature_names, supplier_feature_names

# Features of day t are usable for 3 days, so a missing snapshot does not blank a row.
TTL = timedelta(days=3)
INTEGER_FEATURES = {"promo_active", "promo_next_h"}

SKU = Entity(
    name="sku", join_keys=["sku_id"], value_type=ValueType.STRING, description="Stock-keeping unit."
)
LOCATION = Entity(
    name="location",
    join_keys=["location_id"],
    value_type=ValueType.STRING,
    description="Stocking location (DC).",
)
SUPPLIER = Entity(
    name="supplier",
    join_keys=["supplier_id"],
    value_type=ValueType.STRING,
    description="Vendor replenishing stock.",
)

# Feature table file names under settings.features_dir; ``build`` writes them.
FEATURE_FILES = {
    "sku_location": "sku_location_features.parquet",
    "supplier": "supplier_features.parquet",
    "sku_supplier": "lane_features.parquet",
}

# feature service (model and version) -> feature views it reads. The SKU-location view already
# carries the primary supplier's and lane's features of the same day (view_rows.with_supplier_features);
# the supplier and lane views serve models keyed by supplier (lead time), not joined a second time.
FEATURE_SERVICES = {
    "backorder_risk_v1": ("sku_location",),
    "sku_location_risk_v1": ("sku_location",),
    "lead_time_v1": ("sku_supplier", "supplier"),
}


def _schema(names: list[str]) -> list[Field]:
    return [Field(name=n, dtype=Int64 if n in INTEGER_FEATURES else Float64) for n in names]


def _source(features_dir: Path, view: str) -> FileSource:
    """The view's table: the month files of ``<table>.parquet/`` that ``build`` writes, or one
    Parquet file of that name."""
    path = (features_dir / FEATURE_FILES[view]).resolve()
    return FileSource(
        name=f"{view}_source",
        path=str(path) if path.is_file() else str(path / "*.parquet"),
        timestamp_field=TIMESTAMP,
    )


def feature_views(features_dir: Path) -> dict[str, FeatureView]:
    """The feature views over the Parquet tables in ``features_dir``, by short name."""
    specs = {
        "sku_location": ([SKU, LOCATION], sku_location_feature_names()),
        "supplier": ([SUPPLIER], supplier_feature_names()),
        "sku_supplier": ([SKU, SUPPLIER], lane_feature_names()),
    }
    return {
        view: FeatureView(
            name=f"{view}_features",
            entities=entities,
            ttl=TTL,
            schema=_schema(names),
            source=_source(features_dir, view),
            online=True,
        )
        for view, (entities, names) in specs.items()
    }


def definitions(features_dir: Path) -> list[object]:
    """Everything to pass to ``FeatureStore.apply``: entities, views and feature services."""
    views = feature_views(features_dir)
    services = [
        FeatureService(name=name, features=[views[v] for v in view_names])
        for name, view_names in FEATURE_SERVICES.items()
    ]
    return [SKU, LOCATION, SUPPLIER, *views.values(), *services]
