"""Every statement of the dispatcher: the pacing tables, and the read of a claimed batch.

The pacing statements (``number_pacing``, ``recipient_pacing``) are prepared
once (``msgboxx.db.prepared``): a claim runs them many times a second under
load, and on SQLite SQLAlchemy's execution around each statement cost more than
running it. The queue's own statements are the messages domain's
(``messages.queue``).

One statement per batch reads everything a send needs, across the message, its
account, its contact and its template: the batch is on the hot path of every
message sent, and a read per domain would be four round trips where one does
(the import contract names it as an exception).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update

from msgboxx.accounts.models import ApiAccount
from msgboxx.contacts.models import Contact
from msgboxx.db import dialect
from msgboxx.db.prepared import Prepared
from msgboxx.db.tx import Tx
from msgboxx.dispatch.models import NumberPacing, RecipientPacing
from msgboxx.messages.models import Message
from msgboxx.templates.models import Template

_NUMBERS = cast(Table, NumberPacing.__table__)
_RECIPIENTS = cast(Table, RecipientPacing.__table__)

_NUMBER_TAT = Prepared(
    select(_NUMBERS.c.tat).where(_NUMBERS.c.account_id == bindparam("number")).with_for_update()
)
_MOVE_NUMBER_TAT = Prepared(
    update(_NUMBERS)
    .where(_NUMBERS.c.account_id == bindparam("number"))
    .values(tat=bindparam("moved_to"))
)
# The INSERT ... ON CONFLICT statements, in the dialect's own form: one per dialect.
_NUMBER_ROW: dict[str, Prepared] = {}
_RECIPIENT_ROWS: dict[str, Prepared] = {}


async def locked_number_tat(tx: Tx, *, number: uuid.UUID, now: datetime) -> datetime:
    """A number's pacing clock (``now`` for a number never paced), locked until commit.

    Other dispatchers claiming for the number wait, so its rate holds for them all.
    """
    number_row = _NUMBER_ROW.get(tx.dialect)
    if number_row is None:
        number_row = _NUMBER_ROW[tx.dialect] = Prepared(
            dialect.insert(tx, _NUMBERS)
            .values(account_id=bindparam("number"), tat=bindparam("now"))
            .on_conflict_do_nothing(index_elements=[_NUMBERS.c.account_id])
        )
    await number_row.execute(tx, {"number": number, "now": now})
    found = await _NUMBER_TAT.first(tx, {"number": number})
    tat: datetime | None = found[0] if found is not None else None
    return tat or now


async def move_number_tat(tx: Tx, *, number: uuid.UUID, to: datetime) -> None:
    await _MOVE_NUMBER_TAT.execute(tx, {"number": number, "moved_to": to})


async def set_recipient_tats(tx: Tx, tats: Mapping[uuid.UUID, datetime]) -> None:
    """Set contacts' pair-rate clocks, in one statement."""
    if not tats:
        return
    recipient_rows = _RECIPIENT_ROWS.get(tx.dialect)
    if recipient_rows is None:
        upsert = dialect.insert(tx, _RECIPIENTS)
        recipient_rows = _RECIPIENT_ROWS[tx.dialect] = Prepared(
            upsert.on_conflict_do_update(
                index_elements=[_RECIPIENTS.c.contact_id], set_={"tat": upsert.excluded.tat}
            )
        )
    values: Sequence[Mapping[str, Any]] = [
        {"contact_id": contact_id, "tat": tat} for contact_id, tat in tats.items()
    ]
    await recipient_rows.execute_many(tx, values)


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
    # What the message is (text, template, image, ...), its content and its media.
    kind: str = "text"
    content: dict[str, Any] | None = None
    media_id: uuid.UUID | None = None
    # A scheduled message's due time, and what it is checked against when it falls
    # due (``messages.schedule``): the contact's window and consent as they are now.
    send_at: datetime | None = None
    last_inbound_at: datetime | None = None
    contact_status: str | None = None


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
        Message.kind,
        Message.content,
        Message.media_id,
        Message.send_at,
        Contact.last_inbound_at,
        Contact.status,
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
