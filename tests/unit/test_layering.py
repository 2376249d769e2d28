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


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """Module -> the modules of the four layers it imports, at any depth, TYPE_CHECKING
    imports included (`from package import module` counts as importing that module)."""
    paths = {module_name(p): p for layer in LAYERS for p in modules_of(layer)}
    graph: dict[str, set[str]] = {}
    for name, path in paths.items():
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                submodules = {f"{node.module}.{alias.name}" for alias in node.names} & set(paths)
                targets.update(submodules or {node.module})
        graph[name] = {t for t in targets if t in paths and t != name}
    return graph


def cycles_in(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every import cycle, each as the path of modules that closes it (depth-first)."""
    found: list[list[str]] = []
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> None:
        for target in sorted(graph[module]):
            if target in path:
                found.append([*path[path.index(target) :], target])
            elif target not in done:
                visit(target, [*path, target])
        done.add(module)

    for module in sorted(graph):
        if module not in done:
            visit(module, [module])
    return found


# None allowed: a cycle found here is to be broken, not listed.
CYCLES_ALLOWED: list[list[str]] = []


def test_no_module_imports_another_in_a_circle() -> None:
    assert cycles_in(import_graph()) == CYCLES_ALLOWED


def test_the_cycle_check_finds_a_cycle() -> None:
    assert cycles_in({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]
    assert "ledger.base" in import_graph()["ledger.group_commit"]


MAX_FUNCTION_LINES = 40
# None allowed: a function found here is to be split, not listed.
LONG_FUNCTIONS_ALLOWED: set[str] = set()


def long_functions() -> set[str]:
    found = set()
    for layer in LAYERS:
        for path in modules_of(layer):
            for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    lines = (node.end_lineno or node.lineno) - node.lineno + 1
                    if lines > MAX_FUNCTION_LINES:
                        found.add(f"{path.relative_to(ROOT)}:{node.name}")
    return found


def test_no_function_is_longer_than_forty_lines() -> None:
    assert long_functions() <= LONG_FUNCTIONS_ALLOWED


def test_every_allowance_for_a_long_function_is_still_needed() -> None:
    assert long_functions() >= LONG_FUNCTIONS_ALLOWED
