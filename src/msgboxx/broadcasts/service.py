"""Template sends: the text must be an Approved template of the account, filled in."""

from __future__ import annotations

import uuid
from datetime import datetime

from msgboxx.accounts import service as accounts
from msgboxx.auth.service import Principal
from msgboxx.broadcasts.models import Broadcast
from msgboxx.broadcasts.schemas import BroadcastOut
from msgboxx.contacts.models import ContactStatus
from msgboxx.core.errors import Unprocessable
from msgboxx.core.wire import PageRequest
from msgboxx.db import utcnow
from msgboxx.db.paging import fetch_page
from msgboxx.db.tx import Tx
from msgboxx.messages import service as messages
from msgboxx.messages.status import MessageStatus
from msgboxx.templates import placeholders
from msgboxx.templates import service as templates
from msgboxx.templates.models import Template


def template_parameters(
    template: Template, *, message: str | None, parameters: list[str] | None
) -> list[str]:
    """The placeholder values of a broadcast, from its text or its parameters."""
    expected = len(placeholders.numbers(template.text))
    if parameters is not None:
        if len(parameters) != expected:
            raise Unprocessable.for_field(
                "parameters",
                f"template {template.name!r} has {expected} placeholder(s), "
                f"{len(parameters)} parameter(s) were given",
            )
        if message is not None and placeholders.fill(template.text, parameters) != message:
            raise Unprocessable.for_field(
                "message", "the message is not the template filled with these parameters"
            )
        return parameters
    if message is None:
        if expected == 0:
            return []
        raise Unprocessable.for_field(
            "message",
            f"give the filled-in template text or parameters; the template is {template.text!r}",
        )
    values = placeholders.extract(template.text, message)
    if values is None:
        raise Unprocessable.for_field(
            "message",
            f"the message does not match the template {template.text!r} with every "
            "placeholder replaced by non-empty text",
        )
    return values


async def send(
    tx: Tx,
    principal: Principal,
    *,
    account_id: uuid.UUID,
    contact_id: uuid.UUID,
    template_id: uuid.UUID,
    message: str | None,
    parameters: list[str] | None,
) -> BroadcastOut:
    to = await messages.recipient(tx, principal, account_id=account_id, contact_id=contact_id)
    if to.status == ContactStatus.unsubscribed:
        raise Unprocessable.for_field(
            "contactId", "the contact has unsubscribed and may not receive broadcasts"
        )
    template = await templates.get_for_broadcast(tx, template_id=template_id, account_id=account_id)
    values = template_parameters(template, message=message, parameters=parameters)
    now = utcnow()
    text = placeholders.fill(template.text, values)
    content = messages.Outbound(text, template_id=template.id, template_parameters=values)
    queued = await messages.enqueue(tx, to=to, content=content, now=now)
    broadcast = Broadcast(
        account_id=account_id,
        inbox_id=to.inbox_id,
        contact_id=contact_id,
        template_id=template.id,
        message_id=queued.id,
        created_at=now,
    )
    tx.session.add(broadcast)
    await tx.session.flush()
    # The message as just queued: the broadcast's view needs its text and status.
    return BroadcastOut(
        broadcastId=broadcast.id,
        apiAccountId=account_id,
        contactId=contact_id,
        messageId=queued.id,
        message=queued.text,
        status=MessageStatus(queued.status),
        dateTime=now,
        templateId=template.id,
        inboxId=to.inbox_id,
    )


async def get(tx: Tx, principal: Principal, broadcast_id: uuid.UUID) -> Broadcast:
    return await accounts.get_visible(tx, principal, Broadcast, broadcast_id, label="broadcast")


async def list_broadcasts(
    tx: Tx,
    principal: Principal,
    page: PageRequest,
    *,
    account_id: uuid.UUID | None = None,
    inbox_id: uuid.UUID | None = None,
    contact_id: uuid.UUID | None = None,
    created_from: datetime | None = None,
) -> tuple[list[Broadcast], int]:
    query = accounts.visible(
        principal,
        Broadcast,
        equal={"account_id": account_id, "inbox_id": inbox_id, "contact_id": contact_id},
        created_from=created_from,
    )
    return await fetch_page(tx, query, page)
