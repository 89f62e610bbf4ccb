"""The inbox's pages (GET): what an agent reads. Changes are in :mod:`actions`."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

from fastapi import Request
from starlette.responses import Response, StreamingResponse

from msgboxx.core.events import EventType
from msgboxx.live import sse, viewers
from msgboxx.live.feed import Feed
from msgboxx.media import service as media
from msgboxx.media.storage import MediaStream
from msgboxx.web.deps import MediaStoreOf, database
from msgboxx.web.routing import Router
from msgboxx.webapp import views
from msgboxx.webapp.rendering import PageRoute, render
from msgboxx.webapp.session import ReadingAgent, SignedIn

router = Router(route_class=PageRoute, include_in_schema=False)

# Every kind of change a live stream names: the page listens for each (an EventSource
# hears a named event only through a listener of that name).
LIVE_KINDS = " ".join(kind.value for kind in EventType)


@router.get("/app")
@router.get("/app/")
async def home(agent: SignedIn) -> Response:
    inboxes = await views.inboxes(agent.tx, agent.principal)
    return render("inboxes.html", agent=agent, inboxes=inboxes)


def _filters(request: Request) -> views.InboxFilters:
    query = request.query_params
    return views.InboxFilters(
        show=query.get("show", "all"),
        assignee=query.get("assignee", "all"),
        status=query.get("status", "open"),
        search=query.get("q", "").strip()[:200],
    )


@router.get("/app/inbox/{inbox_id}")
async def inbox(request: Request, inbox_id: uuid.UUID, agent: SignedIn) -> Response:
    filters = _filters(request)
    found, listed = await views.inbox(agent.tx, agent.principal, inbox_id=inbox_id, filters=filters)
    return render(
        "inbox.html",
        agent=agent,
        inbox=found,
        conversations=listed,
        filters=filters,
        query=request.url.query,
        live=LIVE_KINDS,
    )


@router.get("/app/inbox/{inbox_id}/list")
async def inbox_list(request: Request, inbox_id: uuid.UUID, agent: SignedIn) -> Response:
    """The list alone, which the page fetches again when one of its conversations changed."""
    found, listed = await views.inbox(
        agent.tx, agent.principal, inbox_id=inbox_id, filters=_filters(request)
    )
    return render("_conversations.html", agent=agent, inbox=found, conversations=listed)


@router.get("/app/inbox/{inbox_id}/c/{contact_id}")
async def conversation(
    request: Request, inbox_id: uuid.UUID, contact_id: uuid.UUID, agent: SignedIn
) -> Response:
    shown = await views.conversation(
        agent.tx, agent.principal, inbox_id=inbox_id, contact_id=contact_id
    )
    return render(
        "conversation.html",
        agent=agent,
        c=shown,
        notice=request.query_params.get("notice"),
        live=LIVE_KINDS,
    )


@router.get("/app/inbox/{inbox_id}/c/{contact_id}/thread")
async def thread(inbox_id: uuid.UUID, contact_id: uuid.UUID, agent: SignedIn) -> Response:
    """The thread alone, which the page fetches again when something in it changed."""
    shown = await views.conversation(
        agent.tx, agent.principal, inbox_id=inbox_id, contact_id=contact_id
    )
    return render("_thread.html", agent=agent, c=shown)


@router.get("/app/live")
async def live(request: Request, agent: ReadingAgent) -> Response:
    """The changes of the accounts this browser's user sees, as ``GET /live`` gives them.

    The page re-fetches what a change touches; nothing but ids travels here.
    """
    followed = await viewers.followed(database(request), agent.principal)
    feed: Feed = request.app.state.live
    return sse.response(feed, followed)


@router.get("/app/media/{media_id}")
async def media_bytes(media_id: uuid.UUID, agent: SignedIn, media_store: MediaStoreOf) -> Response:
    """``GET /media/{id}`` for a signed-in browser: the same bytes, the same visibility."""
    found = await media.get(agent.tx, agent.principal, media_id)
    await agent.tx.close()  # hold no connection while the bytes go out
    stream = await media.open_bytes(media_store, found)
    return StreamingResponse(
        _chunks(stream),
        media_type=found.mime_type or "application/octet-stream",
        headers={
            "Content-Length": str(stream.size),
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; img-src 'self'; media-src 'self'",
            "Cache-Control": "private, max-age=3600",
        },
    )


async def _chunks(stream: MediaStream) -> AsyncIterator[bytes]:
    async with stream:
        async for chunk in stream:
            yield chunk
