"""A real HTTP proxy in front of the test server that can fail chosen requests.

It is a socket server of its own (one request per connection), so a dropped
request is a real dropped connection: the client sees the server hang up after
the request was forwarded and committed, exactly as on a flaky network.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import httpx

_HOP_BY_HOP = ("content-length", "connection", "transfer-encoding", "content-encoding")
Fault = Literal["503", "429", "drop"] | None


@dataclass
class Seen:
    method: str
    target: str
    headers: dict[str, str]
    at: float
    status: int | None = None


@dataclass
class FaultyProxy:
    """Forwards to ``upstream``; ``fault(seen)`` decides what to do to each request."""

    upstream: str
    fault: Callable[[Seen], Fault] = lambda _seen: None
    seen: list[Seen] = field(default_factory=list)
    _server: asyncio.Server | None = None
    _http: httpx.AsyncClient | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def start(self) -> FaultyProxy:
        self._http = httpx.AsyncClient(base_url=self.upstream, timeout=30)
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        if self._http is not None:
            await self._http.aclose()

    def requests(self, method: str, path: str) -> list[Seen]:
        return [s for s in self.seen if s.method == method and s.target.split("?")[0] == path]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, target, _version = lines[0].split(" ", 2)
            headers: dict[str, str] = {}
            for line in lines[1:]:
                if line:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            seen = Seen(method, target, headers, time.monotonic())
            self.seen.append(seen)
            fault = self.fault(seen)
            if fault in ("503", "429"):
                seen.status = int(fault)
                extra = "Retry-After: 1\r\n" if fault == "429" else ""
                writer.write(
                    f"HTTP/1.1 {fault} Unavailable\r\n{extra}Content-Length: 0\r\n"
                    "Connection: close\r\n\r\n".encode()
                )
                await writer.drain()
                return
            assert self._http is not None
            forwarded = {
                k: v
                for k, v in headers.items()
                if k not in ("host", "content-length", "connection")
            }
            reply = await self._http.request(method, target, content=body, headers=forwarded)
            seen.status = reply.status_code
            if fault == "drop":
                return  # the server did the work; the client never hears of it
            out = [f"HTTP/1.1 {reply.status_code} {reply.reason_phrase}"]
            for name, value in reply.headers.items():
                if name.lower() not in _HOP_BY_HOP:
                    out.append(f"{name}: {value}")
            out += [f"Content-Length: {len(reply.content)}", "Connection: close", "", ""]
            writer.write("\r\n".join(out).encode("latin-1") + reply.content)
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
