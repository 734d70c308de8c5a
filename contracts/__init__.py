"""Canonical supply-chain data contracts: the tables every other package reads and writes.

Each table (SKUs, locations, suppliers, SKU-supplier terms, transfer lanes, inventory snapshots
and movements, orders and order lines, purchase orders, ASN events, promotions) is declared once
as data in ``contracts.tables``; the pandera schemas, the ingestion of ERP/WMS/OMS exports with its
quarantine of bad rows, and ``docs/data-contracts.md`` are all derived from that declaration.
An export's own header names and date formats are declared in its ``export.yaml``
(``contracts.export_description``); dates of unclear day/month order are refused, not guessed.
An export may also hold tables the ingest uses and does not keep: goods receipts summed onto their
PO lines (``contracts.summed_tables``) and unit-of-measure conversions (``contracts.units``).
Daily inventory snapshots of an export that holds only current stock are rebuilt from it and
the recorded flows (``contracts.inventory_history``). The Kaggle backorder importer also lives
here because it turns an external export into a typed table. The SKU-location key, the series
id built from it and the day unit every package shares are declared once in ``contracts.keys``.
This package depends on nothing else in the project.
"""

from contracts.table_spec import ColumnSpec, ForeignKey, TableContract
from contracts.tables import CANONICAL_TABLES, TABLE_ORDER

__all__ = ["CANONICAL_TABLES", "TABLE_ORDER", "ColumnSpec", "ForeignKey", "TableContract"]
