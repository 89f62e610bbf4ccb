"""Writing what channels report: a whole batch of events in one transaction.

Channels parse first (signatures, shapes); this module writes. Every event is
idempotent here (statuses only move forward, inbound messages dedupe on the
provider's id), so a batch delivered twice changes nothing the second time.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from msgboxx.accounts import service as accounts
from msgboxx.auth import service as auth
from msgboxx.channels.base import (
    CapabilityChange,
    ChannelEvent,
    ChannelHealth,
    ConsentChange,
    InboundText,
    NumberChange,
    StatusReport,
    TemplateStatusUpdate,
    TemplateVerdict,
)
from msgboxx.channels.cloud_api.credentials import CHANNEL as CLOUD_API
from msgboxx.contacts import service as contacts
from msgboxx.conversations import service as conversations
from msgboxx.db import Database
from msgboxx.db.tx import Tx, Work
from msgboxx.media import service as media
from msgboxx.messages import service as messages
from msgboxx.templates import service as templates

if TYPE_CHECKING:  # the accounts service hands its rows out; only their type is named here
    from msgboxx.accounts.models import ApiAccount

log = logging.getLogger(__name__)


@dataclass(slots=True)
class IntakeResult:
    """What a batch changed: what an answer to the channel may honestly claim."""

    statuses_applied: int = 0
    inbound_stored: int = 0
    verdicts_applied: int = 0
    consents_applied: int = 0
    capabilities_applied: int = 0
    ignored: int = 0


async def apply(
    tx: Tx,
    events: Sequence[ChannelEvent],
    *,
    within: Mapping[uuid.UUID, str] | None = None,
) -> IntakeResult:
    """Apply events in order within the caller's transaction.

    ``within`` holds the accounts the events may touch, with their numbers (a
    webhook: those whose secret signed it); an event addressed elsewhere is
    ignored. None: a channel reporting on its own work (the sandbox), which
    names its accounts itself.
    """
    result = IntakeResult()
    ours = _Addressee(tx, within)
    reports: list[messages.Report] = []
    threads: list[conversations.Activity] = []
    for event in events:
        if isinstance(event, StatusReport):
            account_id = await ours.account_id(event.to_number)
            if account_id is None and (event.to_number is not None or within is not None):
                result.ignored += 1
                continue
            reports.append(
                messages.Report(
                    event.provider_message_id,
                    event.status,
                    event.at,
                    event.failure_reason,
                    account_id=account_id,
                )
            )
    if reports:  # they touch outbound messages only, so they go first, as one batch
        result.statuses_applied = await messages.apply_reports(tx, reports)
        result.ignored += len(reports) - result.statuses_applied
    for event in events:
        if isinstance(event, StatusReport):
            continue
        if isinstance(event, InboundText):
            if await _inbound(tx, event, await ours.account(event.to_number), threads):
                result.inbound_stored += 1
            else:
                result.ignored += 1
        elif isinstance(event, TemplateVerdict):
            verdict = await templates.record_verdict(
                tx, template_id=event.template_id, status=event.status, reason=event.reason
            )
            if verdict:
                result.verdicts_applied += 1
            else:
                result.ignored += 1
        elif isinstance(event, TemplateStatusUpdate):
            if await _template_status(tx, event, within=within):
                result.verdicts_applied += 1
            else:
                result.ignored += 1
        elif isinstance(event, ConsentChange):
            account = await ours.account(event.to_number)
            if account is None:
                result.ignored += 1
                continue
            await contacts.set_consent_by_number(
                tx, account=account, number=event.from_number, status=event.status
            )
            result.consents_applied += 1
        elif isinstance(event, NumberChange):
            account = await ours.account(event.to_number)
            if account is None or not await contacts.change_number(
                tx, account=account, number=event.from_number, new_number=event.new_number
            ):
                result.ignored += 1
        elif isinstance(event, ChannelHealth):
            if within is not None and event.account_id not in within:
                result.ignored += 1
                continue
            await accounts.set_channel_status(
                tx, account_id=event.account_id, healthy=event.healthy, reason=event.reason
            )
        elif isinstance(event, CapabilityChange):
            if await _capability(tx, event, ours, within=within):
                result.capabilities_applied += 1
            else:
                result.ignored += 1
    await messages.record_threads(tx, threads)
    await tx.flush()
    return result


class _Addressee:
    """Our account an event names by its number, if the batch may touch it (one read each)."""

    def __init__(self, tx: Tx, within: Mapping[uuid.UUID, str] | None) -> None:
        self._tx = tx
        self._within = within
        self._found: dict[str, ApiAccount | None] = {}
        # A status report needs only the id: no read for the signers' own numbers
        # (a status webhook is the network's most frequent call).
        self._ids = {number: id_ for id_, number in within.items()} if within else {}

    async def account(self, number: str | None) -> ApiAccount | None:
        if number is None:
            return None
        if number not in self._found:
            account = await accounts.find_by_phone_number(self._tx, number)
            if account is not None and self._within is not None and account.id not in self._within:
                log.warning("event for an account that did not sign it", extra={"to": number})
                account = None
            self._found[number] = account
        return self._found[number]

    async def account_id(self, number: str | None) -> uuid.UUID | None:
        if self._within is not None:
            return self._ids.get(number) if number is not None else None
        account = await self.account(number)
        return account.id if account is not None else None


async def _inbound(
    tx: Tx, event: InboundText, account: ApiAccount | None, threads: list[conversations.Activity]
) -> bool:
    if account is None:
        log.warning("inbound message for unknown number", extra={"to": event.to_number})
        return False
    inbox = await accounts.get_inbox_of(tx, account.id)
    contact, _created = await contacts.get_or_create_for_inbound(
        tx,
        account=account,
        number=event.from_number,
        user_id=event.from_user_id,
        profile_name=event.profile_name,
    )
    content = dict(event.content) if event.content is not None else None
    media_id = None
    if event.media is not None:
        media_id, content = await _media(tx, event, account=account, contact_id=contact.id)
    stored = await messages.record_inbound(
        tx,
        account_id=account.id,
        inbox_id=inbox.id,
        contact_id=contact.id,
        provider_message_id=event.provider_message_id,
        text=event.text,
        kind=event.kind,
        at=event.at,
        content=content,
        media_id=media_id,
        threads=threads,
    )
    if stored is None:
        if media_id is not None:  # a repeat that raced the check in _media
            await media.forget_inbound(tx, media_id)
        return False
    await contacts.note_inbound(tx, contact=contact, at=event.at)
    wanted = contacts.consent_keyword(event.text)
    if wanted is not None:
        await contacts.set_consent(tx, contact=contact, status=wanted)
    return True


async def _media(
    tx: Tx, event: InboundText, *, account: ApiAccount, contact_id: uuid.UUID
) -> tuple[uuid.UUID | None, dict[str, Any] | None]:
    """Record the message's media as pending (the fetch follows), and its caption and name.

    A repeat delivery of a message already stored makes no record: the network
    repeats webhooks often, and a record made only to be deleted costs more
    than the read that avoids it.
    """
    announced = event.media
    content = dict(event.content) if event.content is not None else None
    if announced is None or await messages.by_provider_id(tx, event.provider_message_id):
        return None, content
    media_id = await media.record_inbound(
        tx,
        organisation_id=account.org_id,
        account_id=account.id,
        contact_id=contact_id,
        announced=announced,
    )
    shown = {"caption": announced.caption, "filename": announced.filename}
    if any(value is not None for value in shown.values()):
        content = {**(content or {}), **{k: v for k, v in shown.items() if v is not None}}
    return media_id, content


async def _template_status(
    tx: Tx, event: TemplateStatusUpdate, *, within: Mapping[uuid.UUID, str] | None
) -> bool:
    """Templates belong to a business account: look among that account's numbers."""
    owners = [
        account.id
        for account in await accounts.on_channel(tx, channel=CLOUD_API)
        if account.channel_settings.get("waba_id") == event.waba_id
        and (within is None or account.id in within)
    ]
    if not owners:
        return False
    changed = await templates.apply_provider_status(
        tx,
        accounts_of_waba=owners,
        provider_template_id=event.provider_template_id,
        name=event.name,
        language=event.language,
        status=event.status,
        provider_status=event.provider_status,
        reason=event.reason,
    )
    return changed > 0


async def _capability(
    tx: Tx,
    event: CapabilityChange,
    ours: _Addressee,
    *,
    within: Mapping[uuid.UUID, str] | None,
) -> bool:
    """A number's quality goes on its account; a tier on the organisation of the business
    account's numbers (it is the portfolio's), and waiting campaigns look for room again.
    """
    if event.to_number is not None:
        account = await ours.account(event.to_number)
        found = [(account.id, account.org_id)] if account is not None else []
    else:
        found = []
        for listed in await accounts.on_channel(tx, channel=CLOUD_API):
            if listed.channel_settings.get("waba_id") != event.waba_id:
                continue
            if within is not None and listed.id not in within:
                continue
            account = await accounts.find_by_id(tx, listed.id)
            if account is not None:
                found.append((account.id, account.org_id))
    if not found:
        return False
    if event.quality is not None:
        for account_id, _org_id in found:
            await accounts.set_quality(tx, account_id=account_id, quality=event.quality)
    if event.tier is not None:
        for org_id in {org_id for _account_id, org_id in found}:
            await auth.set_messaging_tier(tx, org_id=org_id, tier=event.tier)
        tx.leaves(Work.campaigns)
    return True


# Events applied in one transaction at most, by a channel reporting on its own work.
# On the embedded default a transaction's statements run on the event loop's thread,
# and 1,000 reports (a batch after a burst of sends, or resumed after a restart)
# held the loop, and every request behind it, for 100-200 ms at once (the stall
# watch's stacks, docs/benchmarks.md).
EVENTS_PER_TRANSACTION = 200


async def apply_batch(db: Database, events: Sequence[ChannelEvent]) -> IntakeResult:
    """Apply events in order, in transactions of their own of a few hundred, each committed.

    Between two transactions the requests that arrived meanwhile go first. A
    crash between them leaves the rest unapplied, as if they had not arrived yet:
    the channel reports them again (statuses only ever move forward).
    """
    total = IntakeResult()
    for start in range(0, len(events), EVENTS_PER_TRANSACTION):
        if start:
            await asyncio.sleep(0)
        async with db.tx(write=True) as tx:
            result = await apply(tx, events[start : start + EVENTS_PER_TRANSACTION])
            await tx.commit()
        for field in fields(IntakeResult):
            setattr(total, field.name, getattr(total, field.name) + getattr(result, field.name))
    return total
