"""Imports point down only: domain <- ledger <- projections <- api, and nothing imports api."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ["domain", "ledger", "projections", "api"]


def modules_of(layer: str) -> list[Path]:
    return sorted((ROOT / layer).rglob("*.py"))


def imports_of(path: Path) -> set[str]:
    """Every absolute module a file imports, at any depth (also inside functions)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return found


def top(module: str) -> str:
    return module.split(".", 1)[0]


@pytest.mark.parametrize("layer", LAYERS)
def test_a_layer_imports_only_itself_and_the_layers_below(layer: str) -> None:
    allowed_below = set(LAYERS[: LAYERS.index(layer) + 1])
    upward = {
        f"{path.relative_to(ROOT)} imports {module}"
        for path in modules_of(layer)
        for module in imports_of(path)
        if top(module) in LAYERS and top(module) not in allowed_below
    }
    assert not upward


def test_the_domain_imports_only_the_standard_library_and_eventsourcing_domain() -> None:
    foreign = {
        f"{path.relative_to(ROOT)} imports {module}"
        for path in modules_of("domain")
        for module in imports_of(path)
        if top(module) not in sys.stdlib_module_names
        and top(module) != "domain"
        and module != "eventsourcing.domain"
    }
    assert not foreign


def test_nothing_outside_api_imports_api() -> None:
    importers = {
        str(path.relative_to(ROOT))
        for layer in LAYERS[:-1]
        for path in modules_of(layer)
        if any(top(module) == "api" for module in imports_of(path))
    }
    assert not importers


def test_every_layer_is_actually_scanned() -> None:
    # An empty scan would make the tests above pass without checking anything.
    assert all(modules_of(layer) for layer in LAYERS)
    assert "eventsourcing.domain" in imports_of(ROOT / "domain" / "base.py")
    assert "domain.account" in imports_of(ROOT / "ledger" / "base.py")
