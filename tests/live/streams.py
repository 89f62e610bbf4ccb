"""A client of ``GET /live`` as a browser's EventSource reads it, over real HTTP (httpx)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import httpx


@dataclass(frozen=True)
class Event:
    id: int
    kind: str
    data: dict[str, Any]


class LiveStream:
    """An open event stream: its response, the retry it asked for, and its events in order.

    Entering returns once the stream's opening block is read: from then on the
    subscription is in place, so every change committed later must arrive.
    """

    def __init__(self, client: httpx.AsyncClient, path: str = "/live", **params: str) -> None:
        self._client = client
        self._path = path
        self._params = params
        self._events: asyncio.Queue[Event | None] = asyncio.Queue()
        self.retry: int | None = None
        self.ended = False
        self.comments: list[str] = []

    async def __aenter__(self) -> LiveStream:
        self._request = self._client.stream(
            "GET", self._path, params=self._params, timeout=httpx.Timeout(30, read=None)
        )
        self.response = await self._request.__aenter__()
        if self.response.status_code != 200:
            await self.response.aread()
            await self._request.__aexit__(None, None, None)
            raise AssertionError(f"{self.response.status_code}: {self.response.text}")
        self._lines = self.response.aiter_lines()
        await asyncio.wait_for(self._read_block(), 10)  # the opening: retry and a comment
        self._reading = asyncio.create_task(self._read())
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._reading.cancel()
        await asyncio.gather(self._reading, return_exceptions=True)
        await self._request.__aexit__(exc_type, exc, traceback)

    async def _read_block(self) -> dict[str, str] | None:
        """One block up to its blank line: its fields; None when the stream ended."""
        fields: dict[str, str] = {}
        async for line in self._lines:
            if line == "":
                return fields
            if line.startswith(":"):
                self.comments.append(line[1:].strip())
                continue
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if name == "retry":
                self.retry = int(value)
            else:
                fields[name] = value
        return None

    async def _read(self) -> None:
        try:
            while True:
                fields = await self._read_block()
                if fields is None:
                    break
                if "event" in fields:
                    event = Event(int(fields["id"]), fields["event"], json.loads(fields["data"]))
                    await self._events.put(event)
        finally:
            self.ended = True
            await self._events.put(None)

    async def next(self, *, timeout: float = 10) -> Event | None:
        """The next event; None once the stream has ended."""
        return await asyncio.wait_for(self._events.get(), timeout)

    async def until(self, found: Callable[[Event], bool], *, timeout: float = 10) -> list[Event]:
        """Every event up to and including the first ``found`` one, in order."""
        seen: list[Event] = []
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            left = deadline - asyncio.get_running_loop().time()
            try:
                event = await self.next(timeout=max(left, 0.001))
            except TimeoutError:
                raise AssertionError(f"no such event within {timeout} s; saw {seen}") from None
            if event is None:
                raise AssertionError(f"the stream ended first; saw {seen}")
            seen.append(event)
            if found(event):
                return seen
