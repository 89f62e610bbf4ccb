"""Every statement on ``messages`` about reactions: a contact's reactions to one message.

Apart from ``store`` so that the hot paths' module stays about them; reactions
are rare, and read through the contact's index (``ix_messages_contact_created``).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import Table, bindparam, select, update

from msgboxx.db.tx import Tx
from msgboxx.messages.models import Message
from msgboxx.messages.schemas import INBOUND

_MESSAGES = cast(Table, Message.__table__)
_m = _MESSAGES.c

REACTION = "reaction"


class Reaction(NamedTuple):
    id: uuid.UUID
    provider_message_id: str | None
    created_at: datetime
    content: dict[str, Any]


async def of_contact_to(
    tx: Tx, *, account_id: uuid.UUID, contact_id: uuid.UUID, provider_message_id: str
) -> list[Reaction]:
    """The contact's reactions (removed or not) to the message Meta knows by that id."""
    found = await tx.session.execute(
        select(_m.id, _m.provider_message_id, _m.created_at, _m.content).where(
            _m.contact_id == contact_id,
            _m.account_id == account_id,
            _m.direction == INBOUND,
            _m.kind == REACTION,
            _m.content["providerMessageId"].as_string() == provider_message_id,
        )
    )
    return [Reaction(*row) for row in found]


_SET_CONTENT = update(_MESSAGES).where(_m.id == bindparam("message_id"))


async def set_contents(tx: Tx, contents: Sequence[tuple[uuid.UUID, dict[str, Any]]]) -> None:
    """Replace the content of each message (one call)."""
    if contents:
        await tx.session.execute(
            _SET_CONTENT.values(content=bindparam("new_content")),
            [{"message_id": id_, "new_content": content} for id_, content in contents],
        )
