"""``POST /sandbox/inbound``: make a customer message arrive, as WhatsApp would."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from pydantic import Field

from msgboxx import intake
from msgboxx.accounts import service as accounts
from msgboxx.channels.base import InboundText
from msgboxx.core import phones
from msgboxx.core.errors import NotFound
from msgboxx.core.wire import ApiModel
from msgboxx.db import utcnow
from msgboxx.messages import service as messages
from msgboxx.messages.schemas import MessageOut
from msgboxx.web.deps import CurrentUser, UnitOfWork

router = APIRouter(tags=["Sandbox"])


class SandboxInbound(ApiModel):
    from_: str = Field(alias="from", min_length=1, max_length=40)
    to: str = Field(min_length=1, max_length=40)
    text: str = Field(min_length=1, max_length=4096)
    name: str | None = Field(default=None, max_length=200)


@router.post("/sandbox/inbound", status_code=202, response_model=MessageOut)
@router.post("/sandbox/inbound/", status_code=202, include_in_schema=False)
async def inbound(body: SandboxInbound, tx: UnitOfWork, user: CurrentUser) -> MessageOut:
    """A customer writes to one of your sandbox numbers: window opened, contact created."""
    to = phones.normalise(body.to, field="to")
    account = await accounts.find_by_phone_number(tx, to)
    if account is None or account.channel != "sandbox":
        raise NotFound(f"no sandbox API account has the number {to}")
    await accounts.get(tx, user, account.id)  # 404 unless this user can see it
    sender = phones.normalise(body.from_, field="from", region=account.region)
    provider_id = f"wamid.sandbox.in.{uuid.uuid4().hex}"
    event = InboundText(
        to_number=to,
        from_number=sender,
        provider_message_id=provider_id,
        text=body.text,
        at=utcnow(),
        profile_name=body.name,
    )
    await intake.apply(tx, [event])
    message = await messages.by_provider_id(tx, provider_id)
    await tx.commit()
    assert message is not None
    return message
