"""Every statement on the pacing tables (``number_pacing``, ``recipient_pacing``).

Each is prepared once (``msgboxx.db.prepared``): a claim runs them many times a
second under load, and on SQLite SQLAlchemy's execution around each statement
cost more than running it. The queue's own statements are the messages
domain's (``messages.queue``).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, or_, select, update

from msgboxx.db import dialect
from msgboxx.db.prepared import Prepared
from msgboxx.db.tx import Tx
from msgboxx.dispatch.models import NumberPacing, RecipientPacing
from msgboxx.templates.models import Template, TemplateStatus

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


async def claim_template_submissions(
    tx: Tx, *, now: datetime, lease: timedelta, limit: int
) -> list[uuid.UUID]:
    """Pending templates not yet handed to the channel, or whose hand-off died.

    A statement on the templates domain's table, kept here (where it was, in
    ``claims``) until that domain's store offers the claim.
    """
    due = (
        select(Template.id)
        .where(
            Template.status == TemplateStatus.pending,
            Template.provider_template_id.is_(None),
            or_(Template.submitted_at.is_(None), Template.submitted_at < now - lease),
        )
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    claimed = await tx.session.scalars(
        update(Template)
        .where(Template.id.in_(due.scalar_subquery()))
        .values(submitted_at=now)
        .returning(Template.id)
        .execution_options(synchronize_session=False)
    )
    return list(claimed)
