"""The floor: what this machine serves with nothing of msgboxx in the way.

    python -m benchmarks.floor --port 8123 --database sqlite:////tmp/floor.db

A bare Starlette app under the same uvicorn settings as ``msgboxx serve``, with
two endpoints:

- ``POST /message`` parses the same JSON body as ours and commits one row per
  request (SQLite in WAL mode with ``synchronous=NORMAL``, msgboxx's own
  settings, or PostgreSQL through asyncpg), answering 201 with the row;
- ``GET /ok`` answers a small JSON object and touches nothing.

Every ceiling of ``make bench`` is also published as a ratio to these, measured
in the same run: a ratio to our own ``GET /whoami`` says what an endpoint costs
beyond authentication, a ratio to the floor says how far the platform is from
what the machine allows (docs/benchmarks.md, "The floor").
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from benchmarks import procs

_CREATE = (
    "CREATE TABLE IF NOT EXISTS floor_messages ("
    " id TEXT PRIMARY KEY, account_id TEXT NOT NULL, contact_id TEXT NOT NULL,"
    " text TEXT NOT NULL, created_at TEXT NOT NULL)"
)
_INSERT_SQLITE = "INSERT INTO floor_messages VALUES (?, ?, ?, ?, ?)"
_INSERT_POSTGRES = "INSERT INTO floor_messages VALUES ($1, $2, $3, $4, $5)"


class _SQLite:
    """One connection, committed per request in the event loop: no thread hop, no pool."""

    def __init__(self, path: str) -> None:
        self.connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.connection.execute("PRAGMA journal_mode=WAL")
        self.connection.execute("PRAGMA synchronous=NORMAL")
        self.connection.execute(_CREATE)

    async def insert(self, values: tuple[str, ...]) -> None:
        self.connection.execute("BEGIN IMMEDIATE")
        self.connection.execute(_INSERT_SQLITE, values)
        self.connection.execute("COMMIT")

    async def close(self) -> None:
        self.connection.close()


class _Postgres:
    def __init__(self, pool: Any) -> None:
        self.pool = pool

    @classmethod
    async def open(cls, url: str) -> _Postgres:
        import asyncpg

        pool = await asyncpg.create_pool(url, min_size=4, max_size=16)
        async with pool.acquire() as connection:
            await connection.execute(_CREATE)
        return cls(pool)

    async def insert(self, values: tuple[str, ...]) -> None:
        async with self.pool.acquire() as connection:
            await connection.execute(_INSERT_POSTGRES, *values)  # its own transaction

    async def close(self) -> None:
        await self.pool.close()


def create_app(database: str) -> Starlette:
    store: _SQLite | _Postgres | None = None

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        nonlocal store
        if database.startswith("sqlite:///"):
            store = _SQLite(database.removeprefix("sqlite:///"))
        else:
            store = await _Postgres.open(database)
        yield
        await store.close()

    async def message(request: Request) -> Response:
        body = json.loads(await request.body())
        row = {
            "messageId": str(uuid.uuid4()),
            "apiAccountId": body["apiAccountId"],
            "contactId": body["contactId"],
            "message": body["message"],
            "dateTime": datetime.now(UTC).isoformat(),
        }
        assert store is not None
        await store.insert(tuple(row.values()))
        return JSONResponse(row, status_code=201)

    async def ok(_request: Request) -> Response:
        return JSONResponse({"ok": True})

    return Starlette(
        routes=[Route("/message", message, methods=["POST"]), Route("/ok", ok)],
        lifespan=lifespan,
    )


@contextmanager
def serving(workdir: Path, *, database: str, name: str) -> Iterator[str]:
    """A floor server in its own process for the ``with`` block; yields its base URL."""
    port = procs.free_port()
    log = workdir / f"{name}.log"
    workdir.mkdir(parents=True, exist_ok=True)
    with log.open("w") as out:
        popen = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.floor", "--port", str(port), "--database", database],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=Path(__file__).resolve().parent.parent,
        )
    process = procs.Process(name, popen, log)
    try:
        procs.wait_until_up(process, f"http://127.0.0.1:{port}/ok")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.stop()


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--database", required=True)
    args = parser.parse_args()
    database = args.database.replace("postgresql+asyncpg://", "postgresql://")
    uvicorn.run(
        create_app(database),
        host="127.0.0.1",
        port=args.port,
        access_log=False,
        server_header=False,
        log_config=None,
    )


if __name__ == "__main__":
    main()
