"""Dependencies every router uses: the unit of work, the caller, the page.

Each is ``async`` even where it awaits nothing: FastAPI runs a plain ``def``
dependency in a thread pool, a hop per request that cost more than the work.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Query, Request

from msgboxx.auth import service as auth
from msgboxx.auth.principals import Principals
from msgboxx.core.backpressure import Backpressure
from msgboxx.core.errors import Unauthorized
from msgboxx.core.wire import DateOrInstant, PageRequest, as_utc
from msgboxx.db import Database
from msgboxx.db.tx import Tx
from msgboxx.media.storage import MediaStore
from msgboxx.settings import Settings

_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def settings(request: Request) -> Settings:
    value: Settings = request.app.state.settings
    return value


async def unit_of_work(request: Request) -> AsyncIterator[Tx]:
    """A unit of work on a reader for reads, on the writer for anything that may change data."""
    async with database(request).tx(write=request.method not in _READ_METHODS) as tx:
        yield tx


UnitOfWork = Annotated[Tx, Depends(unit_of_work)]


async def reading(request: Request) -> AsyncIterator[Tx]:
    """A unit of work on a reader, whatever the method.

    For the lookups a long write makes before it writes (a CSV import checks the
    account while the writer stays free for everyone else).
    """
    async with database(request).tx(write=False) as tx:
        yield tx


ReadUnitOfWork = Annotated[Tx, Depends(reading)]


def bearer_token(request: Request) -> str:
    """The token of ``Authorization`` (or the original doc's ``Authorisation``).

    Read here rather than through FastAPI's ``OAuth2PasswordBearer`` dependency:
    every authenticated request solved two dependencies for it. The OpenAPI
    document declares the scheme instead (:mod:`msgboxx.web.openapi`).
    """
    header = request.headers.get("authorization") or request.headers.get("authorisation")
    if not header:
        raise Unauthorized("send an access token: Authorization: Bearer <token>")
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("the Authorization header must be 'Bearer <token>'")
    return token.strip()


def _principals(request: Request) -> Principals:
    known: Principals = request.app.state.principals
    return known


async def principal(request: Request) -> auth.Principal:
    """The caller: known to this process, else looked up in a short read of its own.

    Not in the request's unit of work: a caller already known needs none (most
    requests, on the embedded default), and a route that reads or writes opens
    its own only once the caller is allowed in. On SQLite the lookup runs inline
    on a reader (:mod:`msgboxx.db.inline`); on PostgreSQL it is one statement on
    an autocommit connection, returned to the pool before the route's own
    unit of work takes one. It is released before a streamed body is read, so
    an upload of 100 MB holds no connection while it arrives.
    """
    return await _principals(request).of_token(
        database(request), token=bearer_token(request), key=settings(request).signing_key
    )


CurrentUser = Annotated[auth.Principal, Depends(principal)]


async def sending_turn(request: Request) -> None:
    """Before an accept: wait while this process's dispatcher is behind (core.backpressure).

    Only on SQLite, where this process's dispatcher is the only one: a process that
    does not send, or one of several sending for a PostgreSQL database, has none.
    """
    backpressure: Backpressure | None = request.app.state.backpressure
    if backpressure is not None:
        await backpressure.accept_turn()


def media_store(request: Request) -> MediaStore:
    """The process's one media store (opened by ``wiring.open_media_store``)."""
    store: MediaStore = request.app.state.media_store
    return store


async def _media_store(request: Request) -> MediaStore:
    return media_store(request)  # async: FastAPI runs a plain function on its thread pool


MediaStoreOf = Annotated[MediaStore, Depends(_media_store)]


async def page(
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    pageSize: Annotated[int, Query(ge=1, le=500)] = 50,
) -> PageRequest:
    return PageRequest(page=page, pageSize=pageSize)


Page = Annotated[PageRequest, Depends(page)]


async def from_date(fromDate: Annotated[DateOrInstant | None, Query()] = None) -> datetime | None:
    """``fromDate`` of a polling client: items created at or after it, in UTC."""
    return as_utc(fromDate) if fromDate is not None else None


FromDate = Annotated[datetime | None, Depends(from_date)]
