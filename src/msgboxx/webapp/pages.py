"""The inbox's pages (GET): what an agent reads. Changes are in :mod:`actions`."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from starlette.responses import Response, StreamingResponse

from msgboxx.media import service as media
from msgboxx.media.storage import MediaStream
from msgboxx.web.deps import MediaStoreOf
from msgboxx.webapp import views
from msgboxx.webapp.rendering import PageRoute, render
from msgboxx.webapp.session import SignedIn

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/app")
@router.get("/app/")
async def home(agent: SignedIn) -> Response:
    inboxes = await views.inboxes(agent.tx, agent.principal)
    return render("inboxes.html", agent=agent, inboxes=inboxes)


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
    )


@router.get("/app/inbox/{inbox_id}/c/{contact_id}/thread")
async def thread(inbox_id: uuid.UUID, contact_id: uuid.UUID, agent: SignedIn) -> Response:
    """The thread alone, which the page fetches again when something in it changed."""
    shown = await views.conversation(
        agent.tx, agent.principal, inbox_id=inbox_id, contact_id=contact_id
    )
    return render("_thread.html", agent=agent, c=shown)


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
