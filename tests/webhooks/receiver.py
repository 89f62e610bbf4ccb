"""A real HTTP receiver for webhook tests: a Starlette app served by uvicorn in the test loop."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
import uvicorn
from standardwebhooks.webhooks import Webhook
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

Behaviour = Callable[[str], Awaitable[int]]


async def accept(_path: str) -> int:
    return 204


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float

    @property
    def event(self) -> dict[str, Any]:
        parsed: dict[str, Any] = orjson.loads(self.body)
        return parsed


@dataclass
class Receiver:
    """Records every request it answers; ``behaviour`` picks the status per path."""

    port: int = 0
    behaviour: Behaviour = accept
    received: list[Received] = field(default_factory=list)
    _server: uvicorn.Server | None = None
    _task: asyncio.Task[None] | None = None

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def _handle(self, request: Request) -> Response:
        body = await request.body()
        self.received.append(
            Received(request.url.path, dict(request.headers), body, time.monotonic())
        )
        return Response(status_code=await self.behaviour(request.url.path))

    async def start(self) -> Receiver:
        app = Starlette(routes=[Route("/{path:path}", self._handle, methods=["POST"])])
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=self.port,
            log_config=None,
            lifespan="off",
            timeout_graceful_shutdown=0.2,  # a hanging handler must not hold up the test
        )
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve())
        while not self._server.started:
            if self._task.done():
                self._task.result()
                raise RuntimeError("receiver stopped while starting")
            await asyncio.sleep(0.01)
        self.port = self._server.servers[0].sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server and self._task:
            self._server.should_exit = True
            await self._task

    def events(self, path: str | None = None) -> list[dict[str, Any]]:
        return [r.event for r in self.received if path is None or r.path == path]

    async def wait_for(
        self, check: Callable[[list[Received]], bool], *, within: float = 10
    ) -> list[Received]:
        """Wait until ``check`` holds for what has arrived (or fail showing it)."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if check(self.received):
                return self.received
            await asyncio.sleep(0.02)
        raise AssertionError(f"not received in {within}s; got {[r.event for r in self.received]}")


def free_port() -> int:
    """A port nothing listens on (yet): a receiver that is down."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def verify(secret: str, received: Received) -> dict[str, Any]:
    """Check a delivery twice: with a few lines of our own, and with the reference library."""
    headers = received.headers
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + received.body
    expected = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    assert any(hmac.compare_digest(expected, s) for s in headers["webhook-signature"].split())
    assert abs(time.time() - int(headers["webhook-timestamp"])) < 300
    parsed: dict[str, Any] = Webhook(secret).verify(received.body, headers)
    assert parsed["id"] == headers["webhook-id"]
    return parsed
