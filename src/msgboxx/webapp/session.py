"""The signed-in browser: its session cookie, and the CSRF checks on every change.

A session is a row of ``web_sessions`` (the auth domain's), found by the SHA-256
of the cookie's secret. Every request that may change data must carry the
session's CSRF token (form field ``csrf`` or header ``X-CSRF-Token``) and, where
the browser says where it came from (``Origin``, ``Sec-Fetch-Site``), come
from this site.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from starlette.responses import Response

from msgboxx.auth import service as auth
from msgboxx.core.errors import Forbidden, Unauthorized
from msgboxx.db.tx import Tx
from msgboxx.web.deps import UnitOfWork, database

COOKIE = "msgboxx_session"
LOGIN_COOKIE = "msgboxx_login"  # the sign-in form's own CSRF token (no session exists yet)
PATH = "/app"
_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})


class SignInNeeded(Unauthorized):
    """No session, or one that ended: a page sends the browser to the sign-in form."""


@dataclass(frozen=True, slots=True)
class Agent:
    """The signed-in user of this request, its CSRF token, and the request's unit of work."""

    principal: auth.Principal
    csrf_token: str
    tx: Tx


def is_https(request: Request) -> bool:
    """Whether the browser reached us over TLS.

    uvicorn rewrites the scheme from ``X-Forwarded-Proto`` only for the trusted
    proxies (``Settings.serving_options``), so this trusts what the settings allow.
    """
    return request.url.scheme == "https"


def set_cookie(
    response: Response, request: Request, name: str, value: str, *, max_age: int, path: str
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=path,
        httponly=True,
        samesite="lax",
        secure=is_https(request),
    )


def check_origin(request: Request) -> None:
    """Refuse a change sent from another site, where the browser tells us the origin."""
    origin = request.headers.get("origin")
    own = f"{request.url.scheme}://{request.url.netloc}"
    if origin is not None and origin != own:
        raise Forbidden("this request came from another site")
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        raise Forbidden("this request came from another site")


async def sent_token(request: Request) -> str:
    """The CSRF token a request carries: the header, else the form field."""
    header = request.headers.get("x-csrf-token")
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        value = (await request.form()).get("csrf")
        if isinstance(value, str):
            return value
    return ""


def same_token(sent: str, expected: str) -> bool:
    return bool(sent) and hmac.compare_digest(sent.encode(), expected.encode())


async def agent(request: Request, tx: UnitOfWork) -> Agent:
    """The signed-in agent; for a change also its CSRF token and origin, checked."""
    secret = request.cookies.get(COOKIE)
    if not secret:
        raise SignInNeeded("sign in to use the inbox")
    try:
        found = await auth.principal_for_session(tx, secret=secret)
    except Unauthorized as exc:
        raise SignInNeeded(exc.detail) from exc
    if request.method not in _SAFE:
        check_origin(request)
        if not same_token(await sent_token(request), found.csrf_token):
            raise Forbidden("the form's security token is missing or out of date: reload the page")
    return Agent(found.principal, found.csrf_token, tx)


SignedIn = Annotated[Agent, Depends(agent)]


@dataclass(frozen=True, slots=True)
class Reader:
    """The signed-in user of a long read (an event stream), which holds no connection."""

    principal: auth.Principal


async def reader(request: Request) -> Reader:
    """The signed-in user, looked up in a short read of its own, released at once."""
    secret = request.cookies.get(COOKIE)
    if not secret:
        raise SignInNeeded("sign in to use the inbox")
    async with database(request).tx(write=False) as tx:
        try:
            found = await auth.principal_for_session(tx, secret=secret)
        except Unauthorized as exc:
            raise SignInNeeded(exc.detail) from exc
    return Reader(found.principal)


ReadingAgent = Annotated[Reader, Depends(reader)]
