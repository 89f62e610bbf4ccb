"""The accept path's own statements, compiled once and run on SQLite's connection.

Measured on ``POST /message``: SQLAlchemy spends 70-110 us of Python around each
statement (execution context, parameter processing, result wrapping, a greenlet
switch per driver call), while SQLite answers the recipient lookup in about
5 us. Every accepted message runs two such statements of its own, so on the
embedded default they were a sixth of the request.

A :class:`Prepared` statement is compiled once per dialect, and the values go in
and come out through the bind and result processors of the statement's own
column types, exactly as through SQLAlchemy. On SQLite it runs on the DBAPI
connection the session already holds, so it is part of the session's
transaction (``sqlite3`` begins one before a write as it does under
SQLAlchemy) and the session's commit commits it. On PostgreSQL the statement
goes through the session like any other: there a network round trip, not
Python, is the cost, and the asyncpg adapter is what begins the transaction.

On SQLite a failing statement raises ``sqlite3``'s own exception, not
SQLAlchemy's wrapper of it: the statements given to this module are ones whose
callers catch neither (an unexpected one is a 500 with its ``errorId``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Insert, Select, Update
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import SessionTransaction
from sqlalchemy.sql.compiler import SQLCompiler

from msgboxx.db.inline import InlineConnection
from msgboxx.db.tx import Tx

_Processor = Callable[[Any], Any] | None


@dataclass(frozen=True, slots=True)
class _Compiled:
    compiled: SQLCompiler
    names: Sequence[str]
    # Values the statement carries itself (a literal compared against, say).
    fixed: Mapping[str, Any]
    binds: Mapping[str, _Processor]
    results: Sequence[_Processor]
    # An ``IN`` of a list: its SQL depends on the list's length.
    expanding: frozenset[str]


@dataclass(frozen=True, slots=True)
class Held:
    """The SQLite connection a unit of work's transaction holds, until it ends."""

    transaction: SessionTransaction
    connection: InlineConnection
    dialect: Dialect


async def _held_driver(tx: Tx) -> Held | None:
    """The inline SQLite connection the transaction holds, or None elsewhere.

    Asking the session for its connection goes through SQLAlchemy's transaction
    state machine and a greenlet switch each time; an accept runs three prepared
    statements in one transaction, so the first one's answer is kept on the
    unit of work for the others (in-process A/B: 2.06 -> 1.89 ms of CPU per
    ``POST /message``); :class:`Tx` forgets it when the transaction ends.
    """
    held = tx._held
    current = tx.session.sync_session.get_transaction()
    if held is not None and held.transaction is current:
        return held
    connection = await tx.session.connection()
    driver = connection.sync_connection.connection.driver_connection  # type: ignore[union-attr]
    if not isinstance(driver, InlineConnection):
        return None
    transaction = tx.session.sync_session.get_transaction()
    assert transaction is not None  # session.connection() has just begun it
    tx._held = Held(transaction, driver, connection.dialect)
    return tx._held


class Prepared:
    """One statement of a hot path; ``column_keys`` names an insert's or update's columns."""

    def __init__(
        self,
        statement: Select[*tuple[Any, ...]] | Insert | Update,
        *,
        column_keys: Sequence[str] | None = None,
    ) -> None:
        self.statement = statement
        self.column_keys = list(column_keys) if column_keys is not None else None
        self._sqlite: _Compiled | None = None

    async def first(self, tx: Tx, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
        """The first row, or None."""
        inline = await self._inline(tx)
        if inline is None:
            row = (await tx.session.execute(self.statement, params)).first()
            return tuple(row) if row is not None else None
        connection, compiled = inline
        cursor = connection.execute(*self._bound(compiled, params))
        raw = cursor.fetchone()
        cursor.close()
        return None if raw is None else self._read(compiled, raw)

    async def all(self, tx: Tx, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Every row."""
        inline = await self._inline(tx)
        if inline is None:
            return [tuple(row) for row in await tx.session.execute(self.statement, params)]
        connection, compiled = inline
        cursor = connection.execute(*self._bound(compiled, params))
        rows = cursor.fetchall()
        cursor.close()
        return [self._read(compiled, raw) for raw in rows]

    async def execute(self, tx: Tx, params: Mapping[str, Any]) -> None:
        """Run a statement that returns no rows."""
        inline = await self._inline(tx)
        if inline is None:
            await tx.session.execute(self.statement, params)
            return
        connection, compiled = inline
        connection.execute(*self._bound(compiled, params)).close()

    async def execute_many(self, tx: Tx, params: Sequence[Mapping[str, Any]]) -> None:
        """Run a statement that returns no rows once for each set of values, in one call.

        On PostgreSQL that is one round trip for them all (asyncpg's executemany),
        where a call per set would be one each.
        """
        if not params:
            return
        inline = await self._inline(tx)
        if inline is None:
            await tx.session.execute(self.statement, list(params))
            return
        connection, compiled = inline
        if compiled.expanding:
            raise ValueError("execute_many takes no IN-list parameters")
        bound = [self._bound(compiled, values) for values in params]
        connection.executemany(bound[0][0], [values for _sql, values in bound]).close()

    async def _inline(self, tx: Tx) -> tuple[sqlite3.Connection, _Compiled] | None:
        """SQLite's own connection in the session's transaction, or None elsewhere."""
        driver = await _held_driver(tx)
        if driver is None:
            return None
        if self._sqlite is None:
            self._sqlite = self._compile(driver.dialect)
        return driver.connection.sqlite, self._sqlite

    @staticmethod
    def _read(compiled: _Compiled, raw: Sequence[Any]) -> tuple[Any, ...]:
        return tuple(
            value if process is None else process(value)
            for value, process in zip(raw, compiled.results, strict=True)
        )

    @staticmethod
    def _bound(compiled: _Compiled, params: Mapping[str, Any]) -> tuple[str, list[Any]]:
        """The SQL and its positional values, each through its type's bind processor."""
        if compiled.expanding:
            values = {**compiled.fixed, **params}
            for name, process in compiled.binds.items():
                if process is not None and name in values:
                    value = values[name]
                    values[name] = (
                        [process(item) for item in value]
                        if name in compiled.expanding
                        else process(value)
                    )
            state = compiled.compiled.construct_expanded_state(values)
            return state.statement, list(state.positional_parameters or ())
        if compiled.fixed:
            params = {**compiled.fixed, **params}
        binds = compiled.binds
        return compiled.compiled.string, [
            params[name] if (process := binds[name]) is None else process(params[name])
            for name in compiled.names
        ]

    def _compile(self, dialect: Dialect) -> _Compiled:
        compiled = self.statement.compile(dialect=dialect, column_keys=self.column_keys)
        names = list(compiled.positiontup or ())
        binds = {
            name: bind.type.dialect_impl(dialect).bind_processor(dialect)
            for name, bind in compiled.binds.items()
        }
        # A select's columns, or what an insert or update returns (none without RETURNING).
        results: list[_Processor] = [
            column.type.dialect_impl(dialect).result_processor(dialect, None)
            for column in self.statement.exported_columns
        ]
        fixed = {
            name: bind.effective_value
            for name, bind in compiled.binds.items()
            if bind.value is not None or bind.callable
        }
        expanding = frozenset(name for name, bind in compiled.binds.items() if bind.expanding)
        return _Compiled(compiled, names, fixed, binds, results, expanding)
