"""Every statement on campaigns and their recipients.

The recipients of a campaign are its queue; they are written from the audience
in one INSERT ... SELECT (100,000 contacts are one statement, not 100,000) and
taken a small batch at a time by the runner, under the campaign's row lock.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Select, Table, bindparam, func, literal, select, update

from msgboxx.campaigns.models import Campaign, CampaignRecipient
from msgboxx.campaigns.status import ACTIVE, CampaignStatus, RecipientState
from msgboxx.core.wire import PageRequest
from msgboxx.db.paging import fetch_page
from msgboxx.db.tx import Tx

_RECIPIENTS = cast(Table, CampaignRecipient.__table__)
_r = _RECIPIENTS.c


async def add(tx: Tx, campaign: Campaign) -> None:
    tx.session.add(campaign)
    await tx.session.flush()


async def save(tx: Tx) -> None:
    """Write the changes made to the campaigns this unit of work holds."""
    await tx.session.flush()


def _visible(visible: Select[uuid.UUID]) -> Select[Campaign]:
    return (
        select(Campaign)
        .where(Campaign.account_id.in_(visible))
        .order_by(Campaign.created_at.desc(), Campaign.id.desc())
    )


async def get_visible(
    tx: Tx, *, visible: Select[uuid.UUID], campaign_id: uuid.UUID, lock: bool = False
) -> Campaign | None:
    query = _visible(visible).where(Campaign.id == campaign_id)
    if lock:  # a change of status waits for the runner's batch, and vice versa
        query = query.with_for_update(of=Campaign)
    return await tx.session.scalar(query.execution_options(populate_existing=True))


async def page(
    tx: Tx,
    *,
    visible: Select[uuid.UUID],
    page: PageRequest,
    account_id: uuid.UUID | None,
    status: str | None,
) -> tuple[list[Campaign], int]:
    query = _visible(visible)
    if account_id is not None:
        query = query.where(Campaign.account_id == account_id)
    if status is not None:
        query = query.where(Campaign.status == status)
    return await fetch_page(tx, query, page)


async def to_run(tx: Tx, *, now: datetime, limit: int) -> list[uuid.UUID]:
    """Campaigns sending now, or due to start: the oldest first."""
    found = await tx.session.scalars(
        select(Campaign.id)
        .where(Campaign.status.in_(list(ACTIVE)), Campaign.send_at <= now)
        .order_by(Campaign.send_at)
        .limit(limit)
    )
    return list(found)


async def next_start(tx: Tx) -> datetime | None:
    """When the next scheduled campaign is due."""
    return await tx.session.scalar(
        select(func.min(Campaign.send_at)).where(Campaign.status == CampaignStatus.scheduled)
    )


async def lease(tx: Tx, campaign_id: uuid.UUID) -> Campaign | None:
    """The campaign, locked until commit, if no other runner holds it (PostgreSQL: SKIP
    LOCKED, so runners in other processes take other campaigns instead of waiting).
    """
    return await tx.session.scalar(
        select(Campaign)
        .where(Campaign.id == campaign_id)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )


async def add_recipients(tx: Tx, *, campaign_id: uuid.UUID, audience: Select[uuid.UUID]) -> int:
    """Write the audience as pending recipients, in one statement; how many."""
    chosen = audience.subquery()
    (contact_id,) = chosen.c
    result = await tx.session.execute(
        _RECIPIENTS.insert().from_select(
            ["campaign_id", "contact_id", "state"],
            select(
                literal(campaign_id, type_=_r.campaign_id.type),
                contact_id,
                literal(RecipientState.pending.value),
            ),
        )
    )
    return int(cast(Any, result).rowcount or 0)


async def in_state(
    tx: Tx, *, campaign_id: uuid.UUID, state: RecipientState, limit: int
) -> list[uuid.UUID]:
    found = await tx.session.scalars(
        select(_r.contact_id)
        .where(_r.campaign_id == campaign_id, _r.state == state)
        .order_by(_r.contact_id)
        .limit(limit)
    )
    return list(found)


_MARK = (
    update(_RECIPIENTS)
    .where(_r.campaign_id == bindparam("b_campaign"), _r.contact_id == bindparam("b_contact"))
    .values(
        state=bindparam("b_state"), message_id=bindparam("b_message"), reason=bindparam("b_reason")
    )
)


async def mark(
    tx: Tx,
    *,
    campaign_id: uuid.UUID,
    outcomes: Sequence[tuple[uuid.UUID, str, uuid.UUID | None, str | None]],
) -> None:
    """Set each (contact, state, message, reason) of the campaign, in one executemany."""
    if not outcomes:
        return
    await tx.session.execute(
        _MARK,
        [
            {
                "b_campaign": campaign_id,
                "b_contact": contact_id,
                "b_state": state,
                "b_message": message_id,
                "b_reason": reason,
            }
            for contact_id, state, message_id, reason in outcomes
        ],
    )


async def move(
    tx: Tx,
    *,
    campaign_id: uuid.UUID,
    from_states: Sequence[RecipientState],
    to: RecipientState,
    limit: int | None = None,
) -> int:
    """Move recipients from some states to another (the first ``limit`` of them); how many."""
    chosen = select(_r.contact_id).where(
        _r.campaign_id == campaign_id, _r.state.in_([s.value for s in from_states])
    )
    if limit is not None:
        chosen = chosen.order_by(_r.contact_id).limit(limit)
    result = await tx.session.execute(
        update(_RECIPIENTS)
        .where(_r.campaign_id == campaign_id, _r.contact_id.in_(chosen))
        .values(state=to.value)
        .execution_options(synchronize_session=False)
    )
    return int(cast(Any, result).rowcount or 0)


async def counts(tx: Tx, campaign_id: uuid.UUID) -> dict[tuple[str, str | None], int]:
    """How many recipients are in each (state, reason)."""
    found = await tx.session.execute(
        select(_r.state, _r.reason, func.count())
        .where(_r.campaign_id == campaign_id)
        .group_by(_r.state, _r.reason)
    )
    return {(state, reason): int(count) for state, reason, count in found}


def message_ids(campaign_id: uuid.UUID) -> Select[uuid.UUID]:
    """The campaign's messages, as a subquery for the messages domain to count over."""
    return select(_r.message_id).where(_r.campaign_id == campaign_id, _r.message_id.is_not(None))


async def message_page(
    tx: Tx, *, campaign_id: uuid.UUID, page: PageRequest
) -> tuple[list[uuid.UUID], int]:
    query = message_ids(campaign_id).order_by(_r.contact_id)
    return await fetch_page(tx, query, page)
