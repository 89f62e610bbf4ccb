"""``GET /live``: the caller's accounts' changes as Server-Sent Events (an extension)."""

from __future__ import annotations

import uuid

from fastapi import Request
from starlette.responses import StreamingResponse

from msgboxx.live import sse, viewers
from msgboxx.live.feed import Feed
from msgboxx.web import openapi
from msgboxx.web.deps import CurrentUser, database
from msgboxx.web.routing import Router

router = Router(tags=["Live changes"])

PATH = "/live"


def feed_of(request: Request) -> Feed:
    """The process's one feed (``wiring.open_live``, kept on ``app.state.live``)."""
    feed: Feed = request.app.state.live
    return feed


@router.get(
    PATH,
    operation_id="streamChanges",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": (
                "An endless event stream: each committed change of the caller's accounts as "
                "`event: <kind>` (`message.inbound`, `message.status`, `contact.updated`, ...) "
                "with `data: {accountId, contactId, resourceId, kind, at}`; `event: reset` "
                "(then the stream ends) when the client must fetch afresh"
            ),
            "content": {sse.MEDIA_TYPE: {"schema": {"type": "string"}}},
        },
        **openapi.problems({404: "The API account is not one the caller sees"}),
    },
)
async def stream_changes(
    request: Request, user: CurrentUser, accountId: uuid.UUID | None = None
) -> StreamingResponse:
    """Changes as they are committed, by any process, within a second: then fetch what changed.

    A page opens it with `EventSource` (or any client reading `text/event-stream`);
    after a lost connection the client reconnects by itself within a second and
    fetches afresh: nothing is replayed. Only the accounts the caller sees (or
    `accountId`, one of them).
    """
    followed = await viewers.followed(database(request), user, account_id=accountId)
    return sse.response(feed_of(request), followed)
