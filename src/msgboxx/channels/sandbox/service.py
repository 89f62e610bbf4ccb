"""The sandbox's one rule beyond the network it plays: who may make a customer write in."""

from __future__ import annotations

import uuid

from msgboxx import intake
from msgboxx.accounts import service as accounts
from msgboxx.auth.service import Principal
from msgboxx.channels.base import InboundText
from msgboxx.core import phones
from msgboxx.core.errors import NotFound
from msgboxx.db import utcnow
from msgboxx.db.tx import Tx
from msgboxx.messages import service as messages
from msgboxx.messages.schemas import MessageOut


async def customer_writes(
    tx: Tx, principal: Principal, *, to: str, sender: str, text: str, name: str | None
) -> MessageOut:
    """A customer's message to one of the caller's sandbox numbers, stored as WhatsApp's would be.

    It goes through :func:`msgboxx.intake.apply` like a real inbound message, so
    the window opens and the contact is made by the same rules; only a number
    on the sandbox channel that the caller can see may receive one (else 404).
    """
    to = phones.normalise(to, field="to")
    account = await accounts.find_by_phone_number(tx, to)
    if account is None or account.channel != "sandbox":
        raise NotFound(f"no sandbox API account has the number {to}")
    await accounts.get(tx, principal, account.id)  # 404 unless the caller can see it
    from_number = phones.normalise(sender, field="from", region=account.region)
    provider_id = f"wamid.sandbox.in.{uuid.uuid4().hex}"
    event = InboundText(
        to_number=to,
        from_number=from_number,
        provider_message_id=provider_id,
        text=text,
        at=utcnow(),
        profile_name=name,
    )
    await intake.apply(tx, [event])
    message = await messages.by_provider_id(tx, provider_id)
    assert message is not None  # just stored by the intake
    return message
