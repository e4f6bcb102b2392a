"""The package's layers, checked from the source: the wire stands alone, the server and the client
core share only the wire, and each side's rules cannot drift back into a private copy."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "tempodb"


def _imports(folder: str) -> set[tuple[str, str]]:
    """``(file, imported module)`` for every ``tempodb`` import in ``folder``, lazy ones included."""
    found: set[tuple[str, str]] = set()
    for path in (PACKAGE / folder).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            found |= {(path.name, name) for name in names if name.startswith("tempodb")}
    return found


@pytest.mark.parametrize(
    ("folder", "forbidden"),
    [
        ("_wire", ("tempodb._core", "tempodb.server", "tempodb.sync", "tempodb.aio", "tempodb.transports")),
        ("server", ("tempodb._core", "tempodb.sync", "tempodb.aio")),
        ("_core", ("tempodb.server", "tempodb.sync", "tempodb.aio")),
    ],
)
def test_layers_import_only_what_they_may(folder: str, forbidden: tuple[str, ...]) -> None:
    wrong = sorted((file, name) for file, name in _imports(folder) if name.startswith(forbidden))
    assert wrong == []
