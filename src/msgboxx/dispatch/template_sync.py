"""Keeping templates in step with the network (WhatsApp Manager is the source of truth).

Run by ``msgboxx admin template sync`` for one account and by the dispatcher
periodically for all, so a template paused or disabled on WhatsApp stops being
sendable here too.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from msgboxx.accounts import service as accounts
from msgboxx.channels.base import SendError, TemplateSource
from msgboxx.channels.cloud_api import CHANNEL as CLOUD_API
from msgboxx.channels.registry import ChannelRegistry, UnknownChannel
from msgboxx.core.errors import NotFound, Unprocessable
from msgboxx.db import Database
from msgboxx.templates import service as templates

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SyncResult:
    listed: int
    created: int
    updated: int


async def sync_account(
    db: Database, channels: ChannelRegistry, *, account_id: uuid.UUID
) -> SyncResult:
    """Import and update one account's templates from its channel."""
    async with db.tx(write=False) as tx:
        account = await accounts.find_by_id(tx, account_id)
    if account is None:
        raise NotFound(f"API account {account_id} does not exist")
    try:
        source = channels.get(account.channel)
    except UnknownChannel:
        raise Unprocessable(f"the account's channel {account.channel!r} is not available") from None
    if not isinstance(source, TemplateSource):
        raise Unprocessable(f"the {account.channel} channel has no templates to import")
    try:
        remote = await source.list_templates(dict(account.channel_settings or {}))
    except SendError as exc:
        raise Unprocessable(f"WhatsApp did not list the templates: {exc.reason}") from None
    async with db.tx(write=True) as tx:
        if await accounts.find_by_id(tx, account_id) is None:  # deleted meanwhile
            raise NotFound(f"API account {account_id} does not exist")
        created, updated = await templates.sync(tx, account_id=account_id, remote=remote)
        await tx.commit()
    return SyncResult(listed=len(remote), created=created, updated=updated)


async def sync_all(db: Database, channels: ChannelRegistry) -> None:
    """Every Cloud API account, one after another; one failure does not stop the rest."""
    async with db.tx(write=False) as tx:
        ids = [a.id for a in await accounts.on_channel(tx, channel=CLOUD_API)]
    for account_id in ids:
        try:
            result = await sync_account(db, channels, account_id=account_id)
        except Exception:
            log.warning(
                "template sync failed", extra={"account_id": str(account_id)}, exc_info=True
            )
            continue
        if result.created or result.updated:
            log.info(
                "templates synced",
                extra={
                    "account_id": str(account_id),
                    "created": result.created,
                    "updated": result.updated,
                },
            )
