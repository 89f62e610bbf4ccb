"""Every statement on API accounts, their inboxes and agent assignments.

``visible_ids`` is the tenancy rule's subquery; the other domains take it from
``accounts.service`` and filter their own statements through it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, select, update
from sqlalchemy.exc import IntegrityError

from msgboxx.accounts.models import AccountAgent, ApiAccount, Inbox
from msgboxx.core.wire import PageRequest
from msgboxx.db.paging import fetch_page
from msgboxx.db.prepared import Prepared
from msgboxx.db.tx import Tx


def visible_ids(org_id: Any, agent_id: Any | None) -> Select[uuid.UUID]:
    """The organisation's account ids, or only those assigned to the agent."""
    query = select(ApiAccount.id).where(ApiAccount.org_id == org_id)
    if agent_id is not None:
        query = query.join(AccountAgent, AccountAgent.account_id == ApiAccount.id).where(
            AccountAgent.user_id == agent_id
        )
    return query


async def get(tx: Tx, account_id: uuid.UUID) -> ApiAccount | None:
    return await tx.session.get(ApiAccount, account_id)


async def ids_in(tx: Tx, visible: Select[uuid.UUID]) -> frozenset[uuid.UUID]:
    return frozenset((await tx.session.scalars(visible)).all())


async def get_visible(
    tx: Tx, account_id: uuid.UUID, visible: Select[uuid.UUID]
) -> ApiAccount | None:
    return await tx.session.scalar(
        select(ApiAccount).where(ApiAccount.id == account_id, ApiAccount.id.in_(visible))
    )


async def page(
    tx: Tx,
    page: PageRequest,
    *,
    visible: Select[uuid.UUID],
    created_from: datetime | None,
) -> tuple[list[ApiAccount], int]:
    conditions: list[Any] = [ApiAccount.id.in_(visible)]
    if created_from is not None:
        conditions.append(ApiAccount.created_at >= created_from)
    query = (
        select(ApiAccount)
        .where(*conditions)
        .order_by(ApiAccount.created_at.desc(), ApiAccount.id.desc())
    )
    return await fetch_page(tx, query, page)


async def by_phone_number(tx: Tx, phone_number: str) -> ApiAccount | None:
    return await tx.session.scalar(
        select(ApiAccount).where(ApiAccount.phone_number == phone_number)
    )


async def number_taken(tx: Tx, phone_number: str) -> bool:
    found = await tx.session.scalar(
        select(ApiAccount.id).where(ApiAccount.phone_number == phone_number)
    )
    return found is not None


async def add(
    tx: Tx,
    *,
    org_id: uuid.UUID,
    phone_number: str,
    name: str,
    region: str | None,
    channel: str,
    channel_settings: dict[str, Any],
) -> tuple[ApiAccount, Inbox] | None:
    """The account and its inbox; None when the number was connected meanwhile."""
    account = ApiAccount(
        org_id=org_id,
        phone_number=phone_number,
        name=name,
        region=region,
        channel=channel,
        channel_settings=channel_settings,
        channel_status="ok",
    )
    tx.session.add(account)
    try:  # a concurrent create of the same number fails here, on the unique number
        await tx.session.flush()
        inbox = Inbox(account_id=account.id, name=name)
        tx.session.add(inbox)
        await tx.session.flush()
    except IntegrityError:
        return None
    return account, inbox


async def assign_agent(tx: Tx, *, account_id: uuid.UUID, user_id: uuid.UUID) -> None:
    """Assign once: assigning again changes nothing."""
    if await tx.session.get(AccountAgent, (account_id, user_id)) is None:
        tx.session.add(AccountAgent(account_id=account_id, user_id=user_id))
        await tx.session.flush()


async def inbox_of(tx: Tx, account_id: uuid.UUID) -> Inbox | None:
    return await tx.session.scalar(select(Inbox).where(Inbox.account_id == account_id))


def visible_inboxes(
    visible: Select[uuid.UUID],
    *,
    inbox_id: uuid.UUID | None = None,
    account_id: uuid.UUID | None = None,
    created_from: datetime | None = None,
) -> Select[Inbox]:
    query = select(Inbox).where(Inbox.account_id.in_(visible))
    if inbox_id is not None:
        query = query.where(Inbox.id == inbox_id)
    if account_id is not None:
        query = query.where(Inbox.account_id == account_id)
    if created_from is not None:
        query = query.where(Inbox.created_at >= created_from)
    return query.order_by(Inbox.created_at.desc(), Inbox.id.desc())


async def get_inbox(tx: Tx, inbox_id: uuid.UUID, visible: Select[uuid.UUID]) -> Inbox | None:
    return await tx.session.scalar(visible_inboxes(visible, inbox_id=inbox_id))


async def inbox_page(
    tx: Tx,
    page: PageRequest,
    *,
    visible: Select[uuid.UUID],
    account_id: uuid.UUID | None,
    created_from: datetime | None,
) -> tuple[list[Inbox], int]:
    query = visible_inboxes(visible, account_id=account_id, created_from=created_from)
    return await fetch_page(tx, query, page)


# Built once: every webhook from the network runs it.
_ON_CHANNEL = Prepared(
    select(ApiAccount.id, ApiAccount.phone_number, ApiAccount.channel_settings).where(
        ApiAccount.channel == bindparam("channel")
    )
)


async def on_channel(tx: Tx, *, channel: str) -> list[tuple[Any, ...]]:
    """Each account's id, number and channel settings, on one channel."""
    return await _ON_CHANNEL.all(tx, {"channel": channel})


async def set_channel_status(
    tx: Tx, account: ApiAccount, *, status: str, reason: str | None
) -> None:
    account.channel_status = status
    account.channel_status_reason = reason
    await tx.session.flush()


async def unhealthy(tx: Tx) -> list[ApiAccount]:
    return list(
        await tx.session.scalars(select(ApiAccount).where(ApiAccount.channel_status != "ok"))
    )


async def all_of(tx: Tx, *, org_id: uuid.UUID | None) -> list[ApiAccount]:
    """Every account (of one organisation, if given), oldest first."""
    query = select(ApiAccount).order_by(ApiAccount.created_at)
    if org_id is not None:
        query = query.where(ApiAccount.org_id == org_id)
    return list(await tx.session.scalars(query))


async def set_quality(tx: Tx, account_id: uuid.UUID, quality: str) -> None:
    await tx.session.execute(
        update(ApiAccount).where(ApiAccount.id == account_id).values(quality=quality)
    )
