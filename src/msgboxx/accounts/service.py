"""Who sees which account, and the creation of accounts with their inbox.

Visibility is one rule, expressed once as a subquery of visible account ids that
every other domain filters through: an admin sees its organisation's accounts,
an agent only those assigned to it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, bindparam, select
from sqlalchemy.exc import IntegrityError

from msgboxx.accounts.models import AccountAgent, ApiAccount, Inbox
from msgboxx.auth.models import Organisation, Role, User
from msgboxx.auth.service import Principal
from msgboxx.core import phones
from msgboxx.core.errors import Conflict, NotFound, Unprocessable
from msgboxx.core.wire import PageRequest
from msgboxx.db.paging import fetch_page
from msgboxx.db.prepared import Prepared
from msgboxx.db.tx import Tx

M = TypeVar("M")


def _visible_ids(org_id: Any, agent_id: Any | None) -> Select[uuid.UUID]:
    query = select(ApiAccount.id).where(ApiAccount.org_id == org_id)
    if agent_id is not None:
        query = query.join(AccountAgent, AccountAgent.account_id == ApiAccount.id).where(
            AccountAgent.user_id == agent_id
        )
    return query


def visible_account_ids(principal: Principal) -> Select[uuid.UUID]:
    """The ids of the accounts this principal may see, as a subquery."""
    return _visible_ids(principal.org_id, None if principal.is_admin else principal.user_id)


def prebuilt_visible_account_ids(*, admin: bool) -> Select[uuid.UUID]:
    """The same rule with bind parameters, for statements built once at import.

    Building a statement costs more than running an indexed lookup on SQLite;
    the hot paths build theirs once and bind :func:`visibility` at each call.
    """
    return _visible_ids(bindparam("org_id"), None if admin else bindparam("agent_id"))


def visibility(principal: Principal) -> dict[str, uuid.UUID]:
    """The values :func:`prebuilt_visible_account_ids` binds for this principal."""
    return {"org_id": principal.org_id, "agent_id": principal.user_id}


def visible(
    principal: Principal,
    model: type[M],
    *,
    equal: dict[str, object] | None = None,
    created_from: datetime | None = None,
) -> Select[M]:
    """Records of an account-owned table this principal may see, newest first.

    ``equal`` maps column names to filter values; a None value is no filter.
    """
    table: Any = model
    query = select(model).where(table.account_id.in_(visible_account_ids(principal)))
    for column, value in (equal or {}).items():
        if value is not None:
            query = query.where(getattr(table, column) == value)
    if created_from is not None:
        query = query.where(table.created_at >= created_from)
    return query.order_by(table.created_at.desc(), table.id.desc())


async def get_visible(
    tx: Tx, principal: Principal, model: type[M], record_id: uuid.UUID, *, label: str
) -> M:
    """One record of an account-owned table, or 404 — also when another tenant owns it."""
    record = await tx.session.scalar(visible(principal, model, equal={"id": record_id}))
    if record is None:
        raise NotFound(f"{label} {record_id} was not found")
    return record


async def get(tx: Tx, principal: Principal, account_id: uuid.UUID) -> ApiAccount:
    account = await tx.session.scalar(
        select(ApiAccount).where(
            ApiAccount.id == account_id, ApiAccount.id.in_(visible_account_ids(principal))
        )
    )
    if account is None:
        raise NotFound(f"API account {account_id} was not found")
    return account


async def list_accounts(
    tx: Tx,
    principal: Principal,
    page: PageRequest,
    *,
    created_from: datetime | None = None,
) -> tuple[list[ApiAccount], int]:
    conditions: list[Any] = [ApiAccount.id.in_(visible_account_ids(principal))]
    if created_from is not None:
        conditions.append(ApiAccount.created_at >= created_from)
    query = (
        select(ApiAccount)
        .where(*conditions)
        .order_by(ApiAccount.created_at.desc(), ApiAccount.id.desc())
    )
    return await fetch_page(tx, query, page)


async def create(
    tx: Tx,
    *,
    org_id: uuid.UUID,
    phone_number: str,
    name: str,
    channel: str = "sandbox",
    channel_settings: dict[str, Any] | None = None,
) -> tuple[ApiAccount, Inbox]:
    """Create an account and its inbox together: an account never lacks one."""
    number = phones.normalise(phone_number, field="phoneNumber")
    name = name.strip()
    if not name:
        raise Unprocessable.for_field("name", "must not be empty")
    if await tx.session.get(Organisation, org_id) is None:
        raise NotFound(f"organisation {org_id} does not exist")
    existing = await tx.session.scalar(
        select(ApiAccount.id).where(ApiAccount.phone_number == number)
    )
    if existing is not None:
        raise Conflict(f"the number {number} is already connected as an API account")
    phone_number_id = (channel_settings or {}).get("phone_number_id")
    if phone_number_id is not None:
        for other in await on_channel(tx, channel=channel):
            if other.channel_settings.get("phone_number_id") == phone_number_id:
                raise Conflict(f"phone number id {phone_number_id} is already connected")
    account = ApiAccount(
        org_id=org_id,
        phone_number=number,
        name=name,
        region=phones.region_of(number),
        channel=channel,
        channel_settings=channel_settings or {},
        channel_status="ok",
    )
    tx.session.add(account)
    try:  # a concurrent create of the same number fails here, on the unique number
        await tx.session.flush()
        inbox = Inbox(account_id=account.id, name=name)
        tx.session.add(inbox)
        await tx.session.flush()
    except IntegrityError as exc:
        raise Conflict(f"the number {number} is already connected as an API account") from exc
    return account, inbox


async def assign_agent(tx: Tx, *, account_id: uuid.UUID, user_id: uuid.UUID) -> None:
    account = await tx.session.get(ApiAccount, account_id)
    user = await tx.session.get(User, user_id)
    if account is None or user is None or user.org_id != account.org_id:
        raise NotFound("no such account and user in one organisation")
    if user.role != Role.agent:
        raise Unprocessable.for_field("user", "only agents are assigned; admins see every account")
    if await tx.session.get(AccountAgent, (account_id, user_id)) is None:
        tx.session.add(AccountAgent(account_id=account_id, user_id=user_id))
        await tx.session.flush()


async def get_inbox_of(tx: Tx, account_id: uuid.UUID) -> Inbox:
    inbox = await tx.session.scalar(select(Inbox).where(Inbox.account_id == account_id))
    if inbox is None:  # pragma: no cover - created with the account
        raise NotFound(f"API account {account_id} has no inbox")
    return inbox


async def get_inbox(tx: Tx, principal: Principal, inbox_id: uuid.UUID) -> Inbox:
    return await get_visible(tx, principal, Inbox, inbox_id, label="inbox")


async def list_inboxes(
    tx: Tx,
    principal: Principal,
    page: PageRequest,
    *,
    account_id: uuid.UUID | None = None,
    created_from: datetime | None = None,
) -> tuple[list[Inbox], int]:
    query = visible(principal, Inbox, equal={"account_id": account_id}, created_from=created_from)
    return await fetch_page(tx, query, page)


async def find_by_id(tx: Tx, account_id: uuid.UUID) -> ApiAccount | None:
    """An account whoever asks: for background work, which acts for no user."""
    return await tx.session.get(ApiAccount, account_id)


async def find_by_phone_number(tx: Tx, phone_number: str) -> ApiAccount | None:
    """The account a channel event is addressed to (events name our number)."""
    return await tx.session.scalar(
        select(ApiAccount).where(ApiAccount.phone_number == phone_number)
    )


@dataclass(frozen=True, slots=True)
class ChannelAccount:
    """An account as its channel's webhooks need it: the number and its credentials."""

    id: uuid.UUID
    phone_number: str
    channel_settings: dict[str, Any]


# Built once: every webhook from the network runs it.
_ON_CHANNEL = Prepared(
    select(ApiAccount.id, ApiAccount.phone_number, ApiAccount.channel_settings).where(
        ApiAccount.channel == bindparam("channel")
    )
)


async def on_channel(tx: Tx, *, channel: str) -> list[ChannelAccount]:
    """Every account on one channel (webhooks find their account among these)."""
    return [ChannelAccount(*row) for row in await _ON_CHANNEL.all(tx, {"channel": channel})]


async def set_channel_status(
    tx: Tx, *, account_id: uuid.UUID, healthy: bool, reason: str | None
) -> bool:
    """Record whether the network accepts the account's credentials; True if it changed."""
    account = await tx.session.get(ApiAccount, account_id)
    if account is None:
        return False
    status = "ok" if healthy else "unhealthy"
    reason = None if healthy else (reason or "the network refused the credentials")[:500]
    if account.channel_status == status and account.channel_status_reason == reason:
        return False
    account.channel_status = status
    account.channel_status_reason = reason
    await tx.session.flush()
    return True


async def unhealthy(tx: Tx) -> list[ApiAccount]:
    """Accounts whose channel refuses their credentials (reported by /readyz)."""
    return list(
        await tx.session.scalars(select(ApiAccount).where(ApiAccount.channel_status != "ok"))
    )


async def list_all(tx: Tx, *, org_id: uuid.UUID | None = None) -> list[ApiAccount]:
    """Every account (of one organisation, if given), oldest first: for administrators."""
    query = select(ApiAccount).order_by(ApiAccount.created_at)
    if org_id is not None:
        query = query.where(ApiAccount.org_id == org_id)
    return list(await tx.session.scalars(query))
