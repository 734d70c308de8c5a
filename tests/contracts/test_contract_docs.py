"""docs/data-contracts.md must say exactly what the schemas enforce."""

from pathlib import Path

from contracts import CANONICAL_TABLES
from contracts.docs import render_contract_docs

DOC = Path(__file__).resolve().parents[2] / "docs" / "data-contracts.md"


def test_committed_contract_docs_match_the_schemas():
    assert DOC.read_text() == render_contract_docs(), "run `backorder contracts-doc` to regenerate"


def test_docs_document_every_table_and_column():
    text = render_contract_docs()
    for table in CANONICAL_TABLES.values():
        assert f"## `{table.name}`" in text
        for column in table.column_names:
            assert f"| `{column}` |" in text
