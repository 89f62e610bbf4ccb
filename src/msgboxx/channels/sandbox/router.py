"""``POST /sandbox/inbound``: make a customer message arrive, as WhatsApp would."""

from __future__ import annotations

from pydantic import Field

from msgboxx.channels.sandbox import service
from msgboxx.core.wire import ApiModel
from msgboxx.messages.schemas import MessageOut
from msgboxx.web.deps import CurrentUser, UnitOfWork
from msgboxx.web.routing import Router

router = Router(tags=["Sandbox"])


class SandboxInbound(ApiModel):
    from_: str = Field(alias="from", min_length=1, max_length=40)
    to: str = Field(min_length=1, max_length=40)
    text: str = Field(min_length=1, max_length=4096)
    name: str | None = Field(default=None, max_length=200)


@router.post("/sandbox/inbound", status_code=202, response_model=MessageOut)
@router.post("/sandbox/inbound/", status_code=202, include_in_schema=False)
async def inbound(body: SandboxInbound, tx: UnitOfWork, user: CurrentUser) -> MessageOut:
    """A customer writes to one of your sandbox numbers: window opened, contact created."""
    message = await service.customer_writes(
        tx, user, to=body.to, sender=body.from_, text=body.text, name=body.name
    )
    await tx.commit()
    return message
