"""Match export headers and file names to canonical names, ignoring case, spaces and underscores."""

from __future__ import annotations

import re
from collections.abc import Iterable

_SEPARATORS = re.compile(r"[\s_\-\.]+")


def normalize_name(name: str) -> str:
    """'Order Lines', 'order_lines' and 'ORDER-LINES' all become 'orderlines'."""
    return _SEPARATORS.sub("", str(name).strip().lower())


def header_mapping(headers: Iterable[str], canonical: Iterable[str]) -> dict[str, str]:
    """Map each export header that matches a canonical column to that column.

    Raises ``ValueError`` naming both headers when two export headers map to the same column,
    because silently keeping one of them would lose data.
    """
    wanted = {normalize_name(name): name for name in canonical}
    mapping: dict[str, str] = {}
    for header in headers:
        target = wanted.get(normalize_name(header))
        if target is None:
            continue
        clash = next((h for h, t in mapping.items() if t == target), None)
        if clash is not None:
            raise ValueError(f"headers {clash!r} and {header!r} both name column {target}")
        mapping[header] = target
    return mapping
