"""The one place a statement is written for a dialect: inserts that meet a conflict.

SQLite and PostgreSQL both have ``INSERT ... ON CONFLICT``, through different
SQLAlchemy constructs; a store asks for the insert of its unit of work's
database and never names a dialect itself.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite

from msgboxx.db.tx import Tx

Upsert = postgresql.Insert | sqlite.Insert


def insert(tx: Tx, table: Any) -> Upsert:
    """An INSERT into ``table`` that may meet a conflict, for ``tx``'s database."""
    if tx.dialect == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)
