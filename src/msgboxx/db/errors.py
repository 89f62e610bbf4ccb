"""Which database errors are transient conflicts: nothing was written, and a retry may work.

PostgreSQL ends one transaction of a deadlock (SQLSTATE ``40P01``) and one that
would break serializability (``40001``); SQLite answers ``database is locked``
(``SQLITE_BUSY``) once its busy timeout has passed. Each time the transaction
that met it rolls back whole, and the same work again, a moment later, normally
succeeds. The HTTP edge asks :func:`transient_conflict` and answers 503 with
``Retry-After`` instead of a 500, without knowing any driver.

The error arrives wrapped: SQLAlchemy's ``DBAPIError`` holds the adapter's
error as ``orig``, whose ``__cause__`` is asyncpg's own
(``DeadlockDetectedError``, ``SerializationError``); a statement of
:mod:`msgboxx.db.prepared` raises ``sqlite3``'s exception bare. So the whole
chain is read, and by attribute (``sqlstate``, ``sqlite_errorcode``) rather
than by driver class: no driver needs importing to recognise its errors.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

# SQLSTATE class 40, "transaction rollback": the two a concurrent transaction causes.
TRANSIENT_SQLSTATES = frozenset({"40P01", "40001"})  # deadlock, serialization failure
SQLITE_BUSY = "SQLITE_BUSY"
_SQLITE_BUSY_MESSAGE = "database is locked"


@dataclass(frozen=True, slots=True)
class Conflict:
    """A transient conflict: its code (a SQLSTATE or ``SQLITE_BUSY``) and the database's words."""

    code: str
    message: str


def transient_conflict(exc: BaseException) -> Conflict | None:
    """The transient conflict behind ``exc`` (anywhere in its chain), or None if there is none."""
    seen: set[int] = set()
    pending: list[BaseException] = [exc]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        found = _recognise(current)
        if found is not None:
            return found
        for linked in (getattr(current, "orig", None), current.__cause__, current.__context__):
            if isinstance(linked, BaseException):
                pending.append(linked)
    return None


def _recognise(exc: BaseException) -> Conflict | None:
    """One link of the chain: a PostgreSQL driver's error by SQLSTATE, or SQLite's busy."""
    sqlstate = getattr(exc, "sqlstate", None) or getattr(exc, "pgcode", None)
    if isinstance(sqlstate, str) and sqlstate in TRANSIENT_SQLSTATES:
        return Conflict(sqlstate, _first_line(exc))
    if isinstance(exc, sqlite3.OperationalError):
        code = getattr(exc, "sqlite_errorcode", None)
        # The primary result code is the low byte (SQLITE_BUSY_SNAPSHOT is BUSY too).
        busy = (code & 0xFF) == sqlite3.SQLITE_BUSY if isinstance(code, int) else None
        if busy or (busy is None and _SQLITE_BUSY_MESSAGE in str(exc)):
            return Conflict(SQLITE_BUSY, _first_line(exc))
    return None


def _first_line(exc: BaseException) -> str:
    """The driver's own message, without a statement or its values (they may be personal)."""
    return (str(exc).splitlines() or [type(exc).__name__])[0][:200]
