"""The layering rules of docs/architecture.md that an import contract cannot see.

`make lint` runs the import contract (pyproject.toml, ``[tool.importlinter]``):
which package may import which. These tests hold the rest: only a store (and
``db/`` itself) runs statements on a unit of work's session, and no module
grows past what a reader takes in at once.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[1] / "src" / "msgboxx"
# Where a session may be touched: the database layer, every domain's store,
# and the webhook outbox (the store of the events a commit writes).
SESSION_HOLDERS = ("db/", "store.py", "webhooks/outbox.py")
LONGEST_MODULE = 400


def _modules() -> list[Path]:
    return sorted(p for p in SOURCE.rglob("*.py") if "migrations" not in p.parts)


def _name(path: Path) -> str:
    return path.relative_to(SOURCE).as_posix()


def _touches_session(path: Path) -> list[int]:
    """Lines that reach a unit of work's session: ``<anything>.session`` or AsyncSession."""
    tree = ast.parse(path.read_text(), filename=str(path))
    return [
        node.lineno
        for node in ast.walk(tree)
        if (isinstance(node, ast.Attribute) and node.attr == "session")
        or (isinstance(node, ast.Name) and node.id == "AsyncSession")
    ]


@pytest.mark.parametrize("path", _modules(), ids=_name)
def test_layers__only_stores_run_statements_on_a_session(path: Path) -> None:
    name = _name(path)
    if name.startswith("client/") or any(
        name.startswith(h) or name.endswith(h) for h in SESSION_HOLDERS
    ):
        return
    assert _touches_session(path) == [], f"{name} reaches a session outside a store"


@pytest.mark.parametrize("path", _modules(), ids=_name)
def test_layers__no_module_is_longer_than_a_reader_takes_in(path: Path) -> None:
    lines = len(path.read_text().splitlines())
    assert lines <= LONGEST_MODULE, f"{_name(path)} has {lines} lines"
