"""``/channels/whatsapp/webhook``: where Meta (or the sandbox double) calls us."""

from __future__ import annotations

from typing import Annotated

from fastapi import Header, Query, Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from msgboxx.channels.cloud_api import webhook
from msgboxx.web.deps import UnitOfWork, database
from msgboxx.web.routing import Router

router = Router(tags=["WhatsApp webhook"])
PATH = "/channels/whatsapp/webhook"


@router.get(PATH, response_class=PlainTextResponse)
async def verify(
    tx: UnitOfWork,
    mode: Annotated[str | None, Query(alias="hub.mode")] = None,
    token: Annotated[str | None, Query(alias="hub.verify_token")] = None,
    challenge: Annotated[str | None, Query(alias="hub.challenge")] = None,
) -> Response:
    """Meta's verification: the raw ``hub.challenge`` for the right verify token, else 403."""
    answer = await webhook.verify_subscription(tx, mode=mode, token=token, challenge=challenge)
    return PlainTextResponse(answer)


@router.post(PATH)
async def receive(
    request: Request,
    signature: Annotated[str | None, Header(alias="X-Hub-Signature-256")] = None,
) -> Response:
    """Signed events: 200 once stored (repeats too), 401 unsigned, 400 unreadable."""
    raw = await request.body()
    result = await webhook.receive(database(request), raw=raw, signature=signature)
    return JSONResponse(
        {
            "statuses": result.statuses_applied,
            "inbound": result.inbound_stored,
            "templates": result.verdicts_applied,
            "consents": result.consents_applied,
            "ignored": result.ignored,
        }
    )
