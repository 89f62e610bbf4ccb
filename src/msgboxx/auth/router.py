"""``POST /oauth/token``: JSON as the original documented, or an OAuth2 form; ``/whoami``."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Request, Response
from pydantic import ValidationError

from msgboxx.auth import service
from msgboxx.auth.schemas import TokenRequest, TokenResponse, WhoAmI
from msgboxx.core.errors import BadRequest, Unprocessable
from msgboxx.web import openapi
from msgboxx.web.deps import CurrentUser, database, settings
from msgboxx.web.routing import Router
from msgboxx.web.writes import answer

router = Router(tags=["Authentication"])


async def _credentials(request: Request) -> TokenRequest:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.form()
            grant = form.get("grant_type")
            if grant not in (None, "password"):
                raise Unprocessable.for_field("grant_type", "only the password grant is offered")
            data: Any = {k: v for k, v in form.items() if isinstance(v, str)}
        else:
            data = orjson.loads(await request.body())
    except orjson.JSONDecodeError as exc:
        raise BadRequest("the request body is not valid JSON") from exc
    try:
        return TokenRequest.model_validate(data)
    except ValidationError as exc:
        errors = [
            {"field": ".".join(str(p) for p in e["loc"]) or "body", "message": e["msg"]}
            for e in exc.errors()
        ]
        raise Unprocessable("username and password are required", errors=errors) from exc


@router.post(
    "/oauth/token",
    response_model=TokenResponse,
    operation_id="issueToken",
    # The JSON body only: generators trip over a body of two media types; the
    # password-grant form is the security scheme's flow (openapi.BEARER_SCHEME).
    openapi_extra={"requestBody": openapi.json_body(TokenRequest)},
    responses=openapi.problems(
        {
            401: "Wrong username or password (the same answer for both)",
            429: "Too many failed logins from this address or for this user",
        }
    ),
)
async def issue_token(request: Request) -> TokenResponse:
    """Exchange a username and password for a bearer token.

    Also takes the OAuth2 password grant as a form
    (``grant_type=password&username=...&password=...``).
    """
    credentials = await _credentials(request)
    client = request.client.host if request.client else "unknown"
    issued = await service.login(
        database(request),
        username=credentials.username,
        password=credentials.password,
        client_address=client,
        settings=settings(request),
    )
    return TokenResponse(
        access_token=issued.token,
        scope="api",
        expires_at=issued.expires_at,
        expires_in=issued.ttl_seconds,
    )


@router.get("/whoami", response_model=WhoAmI, operation_id="getCurrentUser")
async def whoami(user: CurrentUser) -> Response:
    """The user behind the token: a cheap check that a token works (and a speed baseline)."""
    return answer(
        WhoAmI(
            userId=user.user_id, organisationId=user.org_id, role=user.role.value, email=user.email
        )
    )
