"""A canonical folder holds one world: ``manifest.json`` says which.

The manifest names the world's source (an export folder, or a simulation config), and per table
its rows, content digest and time span. Ingest and simulate write it once their tables are
published; a later ingest of another source into the folder is refused unless it replaces the
world, so tables of two worlds never mix.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq

from contracts.errors import ContractError
from contracts.fingerprint import file_digest
from contracts.tables import CANONICAL_TABLES

MANIFEST_FILE = "manifest.json"


@dataclass(frozen=True)
class TableSummary:
    """One table of a world: rows, content digest, first and last day of its dates (ISO)."""

    rows: int
    digest: str
    first_day: str | None
    last_day: str | None


@dataclass(frozen=True)
class WorldManifest:
    """Where a canonical folder's world came from and what it holds.

    ``source`` identifies the world (``exports:<folder>`` or ``simulation:<digest of the config>``);
    ``inputs_digest`` is the digest of what was read (export files and description, or config), so
    an unchanged input can be recognised and skipped.
    """

    source: str
    written_by: str
    inputs_digest: str
    tables: dict[str, TableSummary] = field(default_factory=dict)

    @property
    def first_day(self) -> str | None:
        days = [t.first_day for t in self.tables.values() if t.first_day]
        return min(days) if days else None

    @property
    def last_day(self) -> str | None:
        days = [t.last_day for t in self.tables.values() if t.last_day]
        return max(days) if days else None

    def to_json(self) -> str:
        body = {**asdict(self), "first_day": self.first_day, "last_day": self.last_day}
        return json.dumps(body, indent=2, sort_keys=True)


def exports_source(source_dir: Path) -> str:
    """The source name of an export folder (its absolute path)."""
    return f"exports:{source_dir.resolve()}"


def table_summary(path: Path, table: str) -> TableSummary:
    """Rows, digest and date span of a canonical Parquet file of ``table``."""
    dates = [c.name for c in CANONICAL_TABLES[table].columns if c.kind in ("date", "datetime")]
    data = pq.read_table(path, columns=dates)
    lows, highs = [], []
    for name in dates:
        span = pc.min_max(data[name])
        if span["min"].is_valid:
            lows.append(span["min"].as_py())
            highs.append(span["max"].as_py())
    return TableSummary(
        rows=data.num_rows,
        digest=file_digest([path]),
        first_day=min(lows).date().isoformat() if lows else None,
        last_day=max(highs).date().isoformat() if highs else None,
    )


def write_manifest(canonical_dir: Path, source: str, written_by: str, inputs_digest: str) -> WorldManifest:
    """Describe every canonical table in ``canonical_dir`` and write ``manifest.json`` there."""
    tables = {
        name: table_summary(path, name)
        for name in CANONICAL_TABLES
        if (path := canonical_dir / f"{name}.parquet").exists()
    }
    manifest = WorldManifest(source, written_by, inputs_digest, tables)
    (canonical_dir / MANIFEST_FILE).write_text(manifest.to_json() + "\n")
    return manifest


def read_manifest(canonical_dir: Path) -> WorldManifest | None:
    """The manifest of ``canonical_dir``, or None when the folder has none."""
    path = canonical_dir / MANIFEST_FILE
    if not path.exists():
        return None
    body = json.loads(path.read_text())
    tables = {name: TableSummary(**summary) for name, summary in body["tables"].items()}
    return WorldManifest(body["source"], body["written_by"], body["inputs_digest"], tables)


class OtherWorld(ContractError):
    """The canonical folder holds the world of another source."""

    def __init__(self, canonical_dir: Path, held: str, offered: str) -> None:
        self.held, self.offered = held, offered
        super().__init__(
            f"{canonical_dir} holds the world of {held}, not of {offered}; ingest into another "
            "--data-dir, or add --replace to replace every table (the old world's champions are retired)"
        )


def check_same_world(canonical_dir: Path, source: str) -> WorldManifest | None:
    """The folder's manifest if it holds ``source``'s world or none; ``OtherWorld`` otherwise.

    A folder with tables but no manifest holds a world of unknown source, which is refused too.
    """
    manifest = read_manifest(canonical_dir)
    if manifest is None:
        if any(canonical_dir.glob("*.parquet")):
            raise OtherWorld(canonical_dir, "an unknown source (no manifest.json)", source)
        return None
    if manifest.source != source:
        raise OtherWorld(canonical_dir, manifest.source, source)
    return manifest
