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
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Insert, Select
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession

from msgboxx.db.inline import InlineConnection

_Processor = Callable[[Any], Any] | None


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    names: Sequence[str]
    # Values the statement carries itself (a literal compared against, say).
    fixed: Mapping[str, Any]
    binds: Sequence[_Processor]
    results: Sequence[_Processor]


class Prepared:
    """One statement of a hot path; ``column_keys`` names an insert's columns."""

    def __init__(
        self,
        statement: Select[*tuple[Any, ...]] | Insert,
        *,
        column_keys: Sequence[str] | None = None,
    ) -> None:
        self.statement = statement
        self.column_keys = list(column_keys) if column_keys is not None else None
        self._sqlite: _Compiled | None = None

    async def first(
        self, session: AsyncSession, params: Mapping[str, Any]
    ) -> tuple[Any, ...] | None:
        """The first row, or None."""
        connection = await session.connection()
        driver = connection.sync_connection.connection.driver_connection  # type: ignore[union-attr]
        if not isinstance(driver, InlineConnection):
            row = (await session.execute(self.statement, params)).first()
            return tuple(row) if row is not None else None
        compiled = self._compiled(connection.dialect)
        cursor = driver.sqlite.execute(compiled.sql, self._bind(compiled, params))
        raw = cursor.fetchone()
        cursor.close()
        return None if raw is None else self._read(compiled, raw)

    async def all(self, session: AsyncSession, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Every row."""
        connection = await session.connection()
        driver = connection.sync_connection.connection.driver_connection  # type: ignore[union-attr]
        if not isinstance(driver, InlineConnection):
            return [tuple(row) for row in await session.execute(self.statement, params)]
        compiled = self._compiled(connection.dialect)
        cursor = driver.sqlite.execute(compiled.sql, self._bind(compiled, params))
        rows = cursor.fetchall()
        cursor.close()
        return [self._read(compiled, raw) for raw in rows]

    async def execute(self, session: AsyncSession, params: Mapping[str, Any]) -> None:
        """Run a statement that returns no rows."""
        connection = await session.connection()
        driver = connection.sync_connection.connection.driver_connection  # type: ignore[union-attr]
        if not isinstance(driver, InlineConnection):
            await session.execute(self.statement, params)
            return
        compiled = self._compiled(connection.dialect)
        driver.sqlite.execute(compiled.sql, self._bind(compiled, params)).close()

    @staticmethod
    def _read(compiled: _Compiled, raw: Sequence[Any]) -> tuple[Any, ...]:
        return tuple(
            value if process is None else process(value)
            for value, process in zip(raw, compiled.results, strict=True)
        )

    @staticmethod
    def _bind(compiled: _Compiled, params: Mapping[str, Any]) -> list[Any]:
        if compiled.fixed:
            params = {**compiled.fixed, **params}
        return [
            params[name] if process is None else process(params[name])
            for name, process in zip(compiled.names, compiled.binds, strict=True)
        ]

    def _compiled(self, dialect: Dialect) -> _Compiled:
        if self._sqlite is None:
            self._sqlite = self._compile(dialect)
        return self._sqlite

    def _compile(self, dialect: Dialect) -> _Compiled:
        compiled = self.statement.compile(dialect=dialect, column_keys=self.column_keys)
        names = list(compiled.positiontup or ())
        binds = [
            compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
            for name in names
        ]
        results: list[_Processor] = []
        if isinstance(self.statement, Select):
            results = [
                column.type.dialect_impl(dialect).result_processor(dialect, None)
                for column in self.statement.selected_columns
            ]
        fixed = {
            name: compiled.binds[name].effective_value
            for name in names
            if compiled.binds[name].value is not None or compiled.binds[name].callable
        }
        return _Compiled(compiled.string, names, fixed, binds, results)
