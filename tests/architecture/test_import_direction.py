"""Imports point one way (docs/architecture.md); this test fails on an edge that breaks it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# package -> project packages it may import
ALLOWED: dict[str, set[str]] = {
    "settings": set(),
    "contracts": set(),
    "simulation": {"contracts"},
    "features": {"contracts", "settings"},
    "decisions": {"contracts"},
    "live": {"contracts", "settings"},
    "alerts": {"contracts", "settings", "features", "decisions", "live"},
    "training": {"features", "contracts", "settings"},
    "serving": {"features", "training", "decisions", "live", "alerts", "contracts", "settings"},
    "monitoring": {"features", "training", "contracts", "settings"},
    "policy": {"simulation", "decisions", "training", "features", "contracts", "settings"},
    "reports": {"settings", "contracts", "simulation", "features", "training", "decisions", "monitoring"},
    "pipelines": {"settings", "contracts", "simulation", "features", "training", "decisions",
                  "serving", "monitoring", "reports", "pipelines", "policy", "live", "alerts"},
}


def _project_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names & set(ALLOWED)


@pytest.mark.parametrize("package", [p for p in ALLOWED if (ROOT / p).is_dir()])
def test_package_imports_only_what_the_architecture_allows(package):
    offending = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for imported in _project_imports(path) - ALLOWED[package] - {package}:
            offending.append(f"{path.relative_to(ROOT)} imports {imported}")
    assert not offending, "\n".join(offending)


def test_every_package_states_its_role():
    for package in ALLOWED:
        init = ROOT / package / "__init__.py"
        if init.exists():
            doc = ast.get_docstring(ast.parse(init.read_text()))
            assert doc and len(doc) > 80, f"{init.relative_to(ROOT)} needs a docstring stating its role"


def test_only_settings_reads_environment_variables():
    readers = []
    for package in ALLOWED:
        if package == "settings" or not (ROOT / package).is_dir():
            continue
        for path in sorted((ROOT / package).rglob("*.py")):
            text = path.read_text()
            if "os.environ" in text or "getenv(" in text:
                readers.append(str(path.relative_to(ROOT)))
    assert not readers, f"read settings instead of the environment in: {readers}"
