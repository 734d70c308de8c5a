"""Shared by the alert tests (imported by name; tests have no packages): the webhook receiver."""

from __future__ import annotations

import json
from pathlib import Path

RECEIVER = Path(__file__).resolve().parents[1] / "support" / "webhook_receiver.py"
SECRET = "s3cret-s3cret-s3cret"


class Receiver:
    def __init__(self, url: str, log: Path) -> None:
        self.url, self.log = url, log

    def calls(self) -> list[dict]:
        return [json.loads(line) for line in self.log.read_text().splitlines()] if self.log.exists() else []
