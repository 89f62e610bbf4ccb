"""Who sees which account, and the creation of accounts with their inbox.

Visibility is one rule, expressed once as a subquery of visible account ids that
every other domain filters through: an admin sees its organisation's accounts,
an agent only those assigned to it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam

from msgboxx.accounts import store

# The records other domains are handed (an account, its inbox), for their type hints.
from msgboxx.accounts.models import ApiAccount as ApiAccount
from msgboxx.accounts.models import Inbox as Inbox
from msgboxx.auth import service as auth
from msgboxx.auth.roles import Role
from msgboxx.auth.service import Principal
from msgboxx.core import phones
from msgboxx.core.errors import Conflict, NotFound, Unprocessable
from msgboxx.core.wire import PageRequest
from msgboxx.db.tx import Tx


def visible_account_ids(principal: Principal) -> Select[uuid.UUID]:
    """The ids of the accounts this principal may see, as a subquery."""
    return store.visible_ids(principal.org_id, None if principal.is_admin else principal.user_id)


def prebuilt_visible_account_ids(*, admin: bool) -> Select[uuid.UUID]:
    """The same rule with bind parameters, for statements built once at import.

    Building a statement costs more than running an indexed lookup on SQLite;
    the hot paths build theirs once and bind :func:`visibility` at each call.
    """
    return store.visible_ids(bindparam("org_id"), None if admin else bindparam("agent_id"))


def visibility(principal: Principal) -> dict[str, uuid.UUID]:
    """The values :func:`prebuilt_visible_account_ids` binds for this principal."""
    return {"org_id": principal.org_id, "agent_id": principal.user_id}


async def visible_ids(tx: Tx, principal: Principal) -> frozenset[uuid.UUID]:
    """The ids of the accounts this principal may see, read now (a live stream's filter)."""
    return await store.ids_in(tx, visible_account_ids(principal))


async def get(tx: Tx, principal: Principal, account_id: uuid.UUID) -> ApiAccount:
    account = await store.get_visible(tx, account_id, visible_account_ids(principal))
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
    return await store.page(
        tx, page, visible=visible_account_ids(principal), created_from=created_from
    )


async def find(tx: Tx, account_id: uuid.UUID) -> ApiAccount | None:
    """An account by id, whoever may see it: for administrators and background work."""
    return await store.get(tx, account_id)


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
    if not await auth.organisation_exists(tx, org_id=org_id):
        raise NotFound(f"organisation {org_id} does not exist")
    if await store.number_taken(tx, number):
        raise Conflict(f"the number {number} is already connected as an API account")
    phone_number_id = (channel_settings or {}).get("phone_number_id")
    if phone_number_id is not None:
        for other in await on_channel(tx, channel=channel):
            if other.channel_settings.get("phone_number_id") == phone_number_id:
                raise Conflict(f"phone number id {phone_number_id} is already connected")
    added = await store.add(
        tx,
        org_id=org_id,
        phone_number=number,
        name=name,
        region=phones.region_of(number),
        channel=channel,
        channel_settings=channel_settings or {},
    )
    if added is None:  # a concurrent create of the same number won
        raise Conflict(f"the number {number} is already connected as an API account")
    return added


async def assign_agent(tx: Tx, *, account_id: uuid.UUID, user_id: uuid.UUID) -> None:
    account = await store.get(tx, account_id)
    user = await auth.get_user(tx, user_id=user_id)
    if account is None or user is None or user.org_id != account.org_id:
        raise NotFound("no such account and user in one organisation")
    if user.role != Role.agent:
        raise Unprocessable.for_field("user", "only agents are assigned; admins see every account")
    await store.assign_agent(tx, account_id=account_id, user_id=user_id)


async def get_inbox_of(tx: Tx, account_id: uuid.UUID) -> Inbox:
    inbox = await store.inbox_of(tx, account_id)
    if inbox is None:  # pragma: no cover - created with the account
        raise NotFound(f"API account {account_id} has no inbox")
    return inbox


async def get_inbox(tx: Tx, principal: Principal, inbox_id: uuid.UUID) -> Inbox:
    inbox = await store.get_inbox(tx, inbox_id, visible_account_ids(principal))
    if inbox is None:
        raise NotFound(f"inbox {inbox_id} was not found")
    return inbox


async def list_inboxes(
    tx: Tx,
    principal: Principal,
    page: PageRequest,
    *,
    account_id: uuid.UUID | None = None,
    created_from: datetime | None = None,
) -> tuple[list[Inbox], int]:
    return await store.inbox_page(
        tx,
        page,
        visible=visible_account_ids(principal),
        account_id=account_id,
        created_from=created_from,
    )


async def find_by_id(tx: Tx, account_id: uuid.UUID) -> ApiAccount | None:
    """An account whoever asks: for background work, which acts for no user."""
    return await store.get(tx, account_id)


async def find_by_phone_number(tx: Tx, phone_number: str) -> ApiAccount | None:
    """The account a channel event is addressed to (events name our number)."""
    return await store.by_phone_number(tx, phone_number)


@dataclass(frozen=True, slots=True)
class ChannelAccount:
    """An account as its channel's webhooks need it: the number and its credentials."""

    id: uuid.UUID
    phone_number: str
    channel_settings: dict[str, Any]


async def on_channel(tx: Tx, *, channel: str) -> list[ChannelAccount]:
    """Every account on one channel (webhooks find their account among these)."""
    return [ChannelAccount(*row) for row in await store.on_channel(tx, channel=channel)]


async def set_channel_status(
    tx: Tx, *, account_id: uuid.UUID, healthy: bool, reason: str | None
) -> bool:
    """Record whether the network accepts the account's credentials; True if it changed."""
    account = await store.get(tx, account_id)
    if account is None:
        return False
    status = "ok" if healthy else "unhealthy"
    reason = None if healthy else (reason or "the network refused the credentials")[:500]
    if account.channel_status == status and account.channel_status_reason == reason:
        return False
    await store.set_channel_status(tx, account, status=status, reason=reason)
    return True


async def unhealthy(tx: Tx) -> list[ApiAccount]:
    """Accounts whose channel refuses their credentials (reported by /readyz)."""
    return await store.unhealthy(tx)


async def list_all(tx: Tx, *, org_id: uuid.UUID | None = None) -> list[ApiAccount]:
    """Every account (of one organisation, if given), oldest first: for administrators."""
    return await store.all_of(tx, org_id=org_id)


def organisation_account_ids(org_id: uuid.UUID) -> Select[uuid.UUID]:
    """Every account of an organisation, as a subquery: what its messaging tier spans."""
    return store.visible_ids(org_id, None)


async def set_quality(tx: Tx, *, account_id: uuid.UUID, quality: str) -> None:
    """The number's quality as Meta reports it (GREEN, YELLOW, RED, UNKNOWN)."""
    await store.set_quality(tx, account_id, quality[:10])
