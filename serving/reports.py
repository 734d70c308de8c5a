"""``GET /v1/reports/latest[/{path}]``: files of the latest planner report, nothing outside it."""

from __future__ import annotations

from pathlib import Path


class ReportNotFound(LookupError):
    """No such file in the report directory (or the path tries to leave it)."""


def report_file(base: Path, relative: str) -> Path:
    """``base / relative`` if it is a file inside ``base`` (symlinks and ``..`` resolved first)."""
    root = base.resolve()
    if not root.is_dir():
        raise ReportNotFound("no report yet (run the planner report)")
    target = (root / relative).resolve()
    if not target.is_relative_to(root):
        raise ReportNotFound(f"{relative!r} is outside the report directory")
    if not target.is_file():
        raise ReportNotFound(f"{relative!r} is not a file of the latest report")
    return target
