"""``/app/login`` and ``/app/logout``: a browser session for a msgboxx user.

The credentials, the rate limit and "a disabled user is out" are the auth
service's, the same as ``POST /oauth/token``'s.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Form, Request
from starlette.responses import Response

from msgboxx.auth import service as auth
from msgboxx.core.errors import Forbidden, Unauthorized
from msgboxx.web.deps import database, settings
from msgboxx.web.routing import Router
from msgboxx.webapp import session
from msgboxx.webapp.rendering import PageRoute, render, see_other

router = Router(route_class=PageRoute)
_LOGIN_PATH = "/app/login"


def _next_page(value: str | None) -> str:
    """Only a page of this inbox: never a redirect to another site."""
    if value and value.startswith("/app/") and not value.startswith("/app//"):
        return value
    return "/app/"


def _login_form(request: Request, *, next_page: str, error: str | None, status: int) -> Response:
    token = secrets.token_urlsafe(32)
    response = render(
        "login.html", status=status, csrf=token, next_page=next_page, error=error, agent=None
    )
    session.set_cookie(
        response, request, session.LOGIN_COOKIE, token, max_age=3600, path=_LOGIN_PATH
    )
    return response


@router.get(_LOGIN_PATH, include_in_schema=False)
async def login_page(request: Request, next: str | None = None) -> Response:
    return _login_form(request, next_page=_next_page(next), error=None, status=200)


@router.post(_LOGIN_PATH, include_in_schema=False)
async def login(
    request: Request,
    email: Annotated[str, Form(max_length=320)],
    password: Annotated[str, Form(max_length=1000)],
    csrf: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/app/",
) -> Response:
    session.check_origin(request)
    if not session.same_token(csrf, request.cookies.get(session.LOGIN_COOKIE, "")):
        raise Forbidden("the sign-in form is out of date: reload the page and try again")
    client = request.client.host if request.client else "unknown"
    config = settings(request)
    try:
        started = await auth.start_session(
            database(request),
            username=email,
            password=password,
            client_address=client,
            settings=config,
        )
    except Unauthorized as refused:
        return _login_form(request, next_page=_next_page(next), error=refused.detail, status=401)
    response = see_other(_next_page(next))
    session.set_cookie(
        response,
        request,
        session.COOKIE,
        started.secret,
        max_age=config.web_session_ttl_seconds,
        path=session.PATH,
    )
    response.delete_cookie(session.LOGIN_COOKIE, path=_LOGIN_PATH)
    return response


@router.post("/app/logout", include_in_schema=False)
async def logout(request: Request, agent: session.SignedIn) -> Response:
    await auth.end_session(agent.tx, secret=request.cookies.get(session.COOKIE, ""))
    await agent.tx.commit()
    response = see_other(_LOGIN_PATH)
    response.delete_cookie(session.COOKIE, path=session.PATH)
    return response
