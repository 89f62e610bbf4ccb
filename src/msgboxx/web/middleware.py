"""Request ids, the body-size limit, NUL in queries, crashes, the access log line and metrics.

Plain ASGI rather than BaseHTTPMiddleware: it runs on every request, and the
plain form costs a fraction of the wrapper's overhead.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import time
from urllib.parse import parse_qsl

from prometheus_client import Counter, Histogram
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from msgboxx.core.wire import NUL, NUL_MESSAGE
from msgboxx.observability import metrics
from msgboxx.observability.logs import request_id
from msgboxx.web.problems import crash, problem

log = logging.getLogger("msgboxx.access")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class RequestContext:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        streamed: frozenset[tuple[str, str]] = frozenset(),
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        # (method, path) of routes that read their body as a stream and limit it
        # themselves (an upload of up to 100 MB): passed through unread.
        self.streamed = streamed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        given = headers.get(b"x-request-id", b"").decode("latin-1")
        rid = given if _SAFE_ID.match(given) else os.urandom(16).hex()  # a uuid4's cost, halved
        token = request_id.set(rid)
        started = time.perf_counter()
        status = 500
        answering = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, answering
            if message["type"] == "http.response.start":
                status = message["status"]
                answering = True
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode())]
            await send(message)

        try:
            body_receive: Receive | None = receive
            if (scope["method"], scope["path"]) not in self.streamed:
                body_receive = await self._limited_body(headers, receive)
            if body_receive is None:
                response = problem(
                    status=413,
                    title="Payload Too Large",
                    slug="payload-too-large",
                    detail=f"the request body is larger than {self.max_body_bytes} bytes",
                )
                await response(scope, receive, send_with_id)
            elif b"%00" in scope["query_string"] and (rejected := _nul_in_query(scope)):
                await rejected(scope, receive, send_with_id)
            else:
                await self.app(scope, body_receive, send_with_id)
        except Exception as exc:
            # Answered here rather than by Starlette's ServerErrorMiddleware, which
            # raises the error again after answering: uvicorn then closes the
            # connection, and the client's next request on it is reset.
            if answering:
                raise  # half an answer is out: only closing the connection says so
            response = await crash(Request(scope), exc)
            await response(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            method = scope["method"]
            counted, timed = _metrics_of(method, template, status)
            counted.inc()
            timed.observe(elapsed)
            log.info(
                "request",
                extra={
                    "method": method,
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                },
            )
            request_id.reset(token)

    async def _limited_body(self, headers: dict[bytes, bytes], receive: Receive) -> Receive | None:
        """Read the body up to the limit and replay it; None when it is too large."""
        length = headers.get(b"content-length")
        if length is not None:
            try:
                if int(length) > self.max_body_bytes:
                    return None
            except ValueError:
                return None
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return replay


@functools.lru_cache(maxsize=4096)
def _metrics_of(method: str, template: str, status: int) -> tuple[Counter, Histogram]:
    """A route's request counter and latency histogram, looked up once rather than per request.

    ``labels()`` takes a lock and builds its key on every call; the routes,
    methods and statuses are few (templates, never raw paths).
    """
    return metrics.REQUESTS.labels(method, template, str(status)), metrics.LATENCY.labels(
        method, template
    )


def _nul_in_query(scope: Scope) -> Response | None:
    """A 422 naming the query parameters with a NUL character (see core.wire.NUL)."""
    pairs = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
    names = sorted({name for name, value in pairs if NUL in name or NUL in value})
    if not names:
        return None
    errors = [{"field": name, "message": NUL_MESSAGE} for name in names]
    return problem(
        status=422,
        title="Unprocessable Content",
        slug="validation-failed",
        detail="; ".join(f"{e['field']}: {e['message']}" for e in errors),
        errors=errors,
    )
