"""A subscription as Server-Sent Events: what a browser's ``EventSource`` reads.

The stream opens with ``retry: 1000`` (a browser reconnects within a second of
losing it) and a comment: once a client has read that first chunk, its
subscription is in place and every later change of its accounts arrives. Each
change is one event, ``id`` counting from 1 on each stream, ``event`` its kind,
``data`` a small JSON object (``accountId``, ``contactId``, ``resourceId``,
``kind``, ``at``); a comment every 15 s keeps proxies from closing an idle
stream. Nothing is replayed on reconnect: the page fetches what it shows
afresh when its stream opens, and again on an ``event: reset`` (the stream
fell behind or may have missed changes), after which the stream ends.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import orjson
from starlette.responses import StreamingResponse

from msgboxx.live.feed import Feed, Reset

HEARTBEAT_SECONDS = 15.0
MEDIA_TYPE = "text/event-stream"
# no-cache: an event stream is never stored; X-Accel-Buffering: nginx passes each event on.
HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
OPENING = b"retry: 1000\n: subscribed\n\n"
HEARTBEAT = b": heartbeat\n\n"


def response(
    feed: Feed,
    account_ids: frozenset[uuid.UUID],
    *,
    heartbeat: float = HEARTBEAT_SECONDS,
) -> StreamingResponse:
    """The changes of ``account_ids`` (the viewer's visible accounts) as an event stream.

    It ends when the client goes, when the server stops, or after a reset.
    """
    return StreamingResponse(
        _events(feed, account_ids, heartbeat), media_type=MEDIA_TYPE, headers=HEADERS
    )


async def _events(
    feed: Feed, account_ids: frozenset[uuid.UUID], heartbeat: float
) -> AsyncIterator[bytes]:
    async with feed.subscribe(account_ids) as changes:
        yield OPENING
        number = 0
        while True:
            try:
                async with asyncio.timeout(heartbeat):
                    item = await anext(changes)
            except TimeoutError:
                yield HEARTBEAT
                continue
            except StopAsyncIteration:
                return
            number += 1
            if isinstance(item, Reset):
                data = orjson.dumps({"reason": item.reason})
                yield b"id: %d\nevent: reset\ndata: %s\n\n" % (number, data)
                return
            data = orjson.dumps(item.as_wire())
            yield b"id: %d\nevent: %s\ndata: %s\n\n" % (number, item.kind.encode(), data)
