"""Writing what channels report: a whole batch of events in one transaction.

Channels parse first (signatures, shapes); this module writes. Every event is
idempotent here (statuses only move forward, inbound messages dedupe on the
provider's id), so a batch delivered twice changes nothing the second time.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from msgboxx.accounts import service as accounts
from msgboxx.channels.base import (
    ChannelEvent,
    ChannelHealth,
    ConsentChange,
    InboundText,
    StatusReport,
    TemplateStatusUpdate,
    TemplateVerdict,
)
from msgboxx.channels.cloud_api.credentials import CHANNEL as CLOUD_API
from msgboxx.contacts import service as contacts
from msgboxx.db import Database
from msgboxx.messages import service as messages
from msgboxx.templates import service as templates

log = logging.getLogger(__name__)


@dataclass(slots=True)
class IntakeResult:
    """What a batch changed: what an answer to the channel may honestly claim."""

    statuses_applied: int = 0
    inbound_stored: int = 0
    verdicts_applied: int = 0
    consents_applied: int = 0
    ignored: int = 0


async def apply(session: AsyncSession, events: Sequence[ChannelEvent]) -> IntakeResult:
    """Apply events in order within the caller's transaction."""
    result = IntakeResult()
    reports = [event for event in events if isinstance(event, StatusReport)]
    if reports:  # they touch outbound messages only, so they go first, as one batch
        result.statuses_applied = await messages.apply_reports(session, reports)
        result.ignored = len(reports) - result.statuses_applied
    for event in events:
        if isinstance(event, StatusReport):
            continue
        if isinstance(event, InboundText):
            if await _inbound(session, event):
                result.inbound_stored += 1
            else:
                result.ignored += 1
        elif isinstance(event, TemplateVerdict):
            verdict = await templates.record_verdict(
                session, template_id=event.template_id, status=event.status, reason=event.reason
            )
            if verdict:
                result.verdicts_applied += 1
            else:
                result.ignored += 1
        elif isinstance(event, TemplateStatusUpdate):
            if await _template_status(session, event):
                result.verdicts_applied += 1
            else:
                result.ignored += 1
        elif isinstance(event, ConsentChange):
            account = await accounts.find_by_phone_number(session, event.to_number)
            if account is None:
                result.ignored += 1
                continue
            await contacts.set_consent_by_number(
                session, account=account, number=event.from_number, status=event.status
            )
            result.consents_applied += 1
        elif isinstance(event, ChannelHealth):
            await accounts.set_channel_status(
                session, account_id=event.account_id, healthy=event.healthy, reason=event.reason
            )
    await session.flush()
    return result


async def _inbound(session: AsyncSession, event: InboundText) -> bool:
    account = await accounts.find_by_phone_number(session, event.to_number)
    if account is None:
        log.warning("inbound message for unknown number", extra={"to": event.to_number})
        return False
    inbox = await accounts.get_inbox_of(session, account.id)
    contact, _created = await contacts.get_or_create_for_inbound(
        session, account=account, number=event.from_number, profile_name=event.profile_name
    )
    stored = await messages.record_inbound(
        session,
        account=account,
        inbox_id=inbox.id,
        contact=contact,
        provider_message_id=event.provider_message_id,
        text=event.text,
        kind=event.kind,
        at=event.at,
    )
    if stored is None:
        return False
    wanted = contacts.consent_keyword(event.text)
    if wanted is not None:
        await contacts.set_consent(session, contact=contact, status=wanted)
    return True


async def _template_status(session: AsyncSession, event: TemplateStatusUpdate) -> bool:
    """Templates belong to a business account: look among that account's numbers."""
    owners = [
        account.id
        for account in await accounts.on_channel(session, channel=CLOUD_API)
        if account.channel_settings.get("waba_id") == event.waba_id
    ]
    if not owners:
        return False
    changed = await templates.apply_provider_status(
        session,
        accounts_of_waba=owners,
        provider_template_id=event.provider_template_id,
        name=event.name,
        language=event.language,
        status=event.status,
        provider_status=event.provider_status,
        reason=event.reason,
    )
    return changed > 0


async def apply_batch(db: Database, events: Sequence[ChannelEvent]) -> IntakeResult:
    """Apply events in a transaction of their own and commit."""
    async with db.session(write=True) as session:
        result = await apply(session, events)
        await session.commit()
        return result
