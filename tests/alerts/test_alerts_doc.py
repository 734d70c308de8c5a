"""docs/alerts.md names every kind, reason code, event and setting that the code declares."""

from __future__ import annotations

from pathlib import Path

from alerts.kinds import EVENT_TYPES, KINDS
from settings.sections import AlertsSettings

DOC = (Path(__file__).resolve().parents[2] / "docs" / "alerts.md").read_text()


def test_the_doc_names_every_declared_kind_reason_event_and_setting():
    names = [k.name for k in KINDS] + [code for k in KINDS for code in k.reason_codes] + list(EVENT_TYPES)
    names += list(AlertsSettings.model_fields)
    missing = [name for name in names if f"`{name}`" not in DOC]
    assert not missing, f"docs/alerts.md does not mention {missing}"
