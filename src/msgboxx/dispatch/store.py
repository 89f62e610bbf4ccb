"""The dispatcher's reads of what it claimed.

One statement per batch reads everything a send needs, across the message, its
account, its contact and its template: the batch is on the hot path of every
message sent, and a read per domain would be four round trips where one does.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select

from msgboxx.accounts.models import ApiAccount
from msgboxx.contacts.models import Contact
from msgboxx.db.prepared import Prepared
from msgboxx.db.tx import Tx
from msgboxx.messages.models import Message
from msgboxx.templates.models import Template


@dataclass(frozen=True, slots=True)
class ClaimedMessage:
    """A claimed message with what sending it needs."""

    message_id: uuid.UUID
    account_id: uuid.UUID
    # None once the contact was erased.
    text: str | None
    template_parameters: list[str] | None
    # Including the claim that took it.
    attempts: int
    from_number: str
    channel: str
    channel_settings: dict[str, Any] | None
    # None for a contact known only by its WhatsApp user id.
    to_number: str | None
    template_name: str | None
    template_language: str | None


# Prepared once: every batch runs it (on rows: a model per message cost more
# than the query).
_CLAIMED = Prepared(
    select(
        Message.id,
        Message.account_id,
        Message.text,
        Message.template_parameters,
        Message.attempts,
        ApiAccount.phone_number,
        ApiAccount.channel,
        ApiAccount.channel_settings,
        Contact.mobile_number,
        Template.name,
        Template.language,
    )
    .join(ApiAccount, ApiAccount.id == Message.account_id)
    .outerjoin(Contact, Contact.id == Message.contact_id)
    .outerjoin(Template, Template.id == Message.template_id)
    .where(Message.id.in_(bindparam("ids", expanding=True)))
    .order_by(Message.created_at)
)


async def claimed(tx: Tx, message_ids: Sequence[uuid.UUID]) -> list[ClaimedMessage]:
    """The claimed messages, oldest first (the order they are sent in, per contact)."""
    return [ClaimedMessage(*row) for row in await _CLAIMED.all(tx, {"ids": list(message_ids)})]
