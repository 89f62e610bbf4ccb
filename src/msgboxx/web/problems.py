"""Every error leaves as application/problem+json (RFC 9457); never a stack trace."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import Match

from msgboxx.core.errors import ProblemError, RateLimited
from msgboxx.db.errors import transient_conflict

log = logging.getLogger(__name__)
TYPE_BASE = "https://msgboxx.dev/problems/"
MEDIA_TYPE = "application/problem+json"
# After a database conflict: the other transaction has usually ended within a second.
CONFLICT_RETRY_AFTER_SECONDS = 1


def problem(
    *,
    status: int,
    title: str,
    slug: str,
    detail: str,
    errors: list[dict[str, str]] | None = None,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": TYPE_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
        "errors": errors or [],
    }
    body.update(extra or {})
    return Response(orjson.dumps(body), status_code=status, media_type=MEDIA_TYPE, headers=headers)


def from_error(error: ProblemError) -> Response:
    headers = {"Retry-After": str(error.retry_after)} if isinstance(error, RateLimited) else None
    return problem(
        status=error.status,
        title=error.title,
        slug=error.slug,
        detail=error.detail,
        errors=error.errors,
        extra=error.extra,
        headers=headers,
    )


def _field(location: tuple[Any, ...]) -> str:
    parts = [str(p) for p in location if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


async def _on_problem(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ProblemError)
    return from_error(exc)


async def _on_validation(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    raw = exc.errors()
    if any(e.get("type") == "json_invalid" for e in raw):
        return problem(
            status=400,
            title="Bad Request",
            slug="malformed-json",
            detail="the request body is not valid JSON",
        )
    errors = [{"field": _field(tuple(e.get("loc", ()))), "message": str(e.get("msg"))} for e in raw]
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors) or "invalid request"
    return problem(
        status=422,
        title="Unprocessable Content",
        slug="validation-failed",
        detail=detail,
        errors=errors,
    )


async def _on_http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    titles = {404: "Not Found", 405: "Method Not Allowed", 400: "Bad Request"}
    title = titles.get(exc.status_code, "Error")
    slug = title.lower().replace(" ", "-")
    detail = exc.detail if isinstance(exc.detail, str) else title
    headers = dict(exc.headers) if exc.headers else {}
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(_served_methods(request))
    return problem(
        status=exc.status_code,
        title=title,
        slug=slug,
        detail=detail,
        headers=headers or None,
    )


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _served_methods(request: Request) -> list[str]:
    """Every method some route serves at this path.

    Starlette's 405 names only the methods of the first route matching the path,
    and ``GET /contact`` and ``POST /contact`` are two routes. Each method is
    tried against the app's routes, as the router would try a request with it.
    """
    routes = request.app.router.routes
    return [
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes
        )
    ]


async def crash(request: Request, exc: Exception) -> Response:
    """The answer to an error nothing else handled: a 500 with an id that is in the log.

    A transient database conflict (a deadlock, a serialization failure, SQLite
    busy) is no fault: the transaction rolled back whole, so the answer is a 503
    telling the client that it may send the same request again.
    """
    conflict = transient_conflict(exc)
    if conflict is not None:
        log.warning(
            "database conflict: the request was rolled back",
            extra={
                "sqlstate": conflict.code,
                "reason": conflict.message,
                "path": request.url.path,
                "method": request.method,
            },
        )
        return problem(
            status=503,
            title="Service Unavailable",
            slug="database-conflict",
            detail="the request met a conflicting change made at the same time and was not"
            " applied; nothing of it was saved, and it can be retried as it is",
            headers={"Retry-After": str(CONFLICT_RETRY_AFTER_SECONDS)},
        )
    error_id = uuid.uuid4().hex
    log.error(
        "unhandled error",
        exc_info=exc,
        extra={"error_id": error_id, "path": request.url.path, "method": request.method},
    )
    return problem(
        status=500,
        title="Internal Server Error",
        slug="internal-error",
        detail=f"an unexpected error happened; quote error id {error_id}",
        extra={"errorId": error_id},
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(ProblemError, _on_problem)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    # web.middleware answers a crash itself (the connection stays open); this is
    # for one that escapes it.
    app.add_exception_handler(Exception, crash)
