"""Campaigns as the API uses them: create, read with live counts, pause, resume, cancel.

Sending is the runner's (``campaigns.running``); this module holds the rules a
user's request meets, and how a campaign is shown and announced.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from msgboxx.accounts import service as accounts
from msgboxx.auth import service as auth
from msgboxx.auth.service import Principal
from msgboxx.campaigns import store
from msgboxx.campaigns.models import Campaign
from msgboxx.campaigns.schemas import CampaignCounts, CampaignCreate, CampaignOut, TierOut
from msgboxx.campaigns.status import ACTIVE, FINAL, CampaignStatus, RecipientState, SkipReason
from msgboxx.contacts import service as contacts
from msgboxx.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from msgboxx.core.events import EventType
from msgboxx.core.tiers import PERIOD, MessagingTier
from msgboxx.core.wire import PageRequest
from msgboxx.db import utcnow
from msgboxx.db.tx import Tx, Work
from msgboxx.messages import service as messages
from msgboxx.messages.schemas import MessageOut
from msgboxx.messages.status import MessageStatus
from msgboxx.templates import placeholders
from msgboxx.templates import service as templates


async def create(tx: Tx, principal: Principal, body: CampaignCreate) -> CampaignOut:
    """Check everything a send will need, then schedule it (now, or at ``sendAt``)."""
    account = await accounts.get(tx, principal, body.apiAccountId)
    template = await templates.approved_of(tx, template_id=body.templateId, account_id=account.id)
    if template.header_type is not None:
        raise Unprocessable.for_field(
            "templateId", "a campaign sends templates without a media header"
        )
    expected = len(placeholders.numbers(template.text))
    if len(body.parameters) != expected:
        raise Unprocessable.for_field(
            "parameters",
            f"template {template.name!r} has {expected} placeholder(s), "
            f"{len(body.parameters)} parameter(s) were given",
        )
    now = utcnow()
    if body.sendAt is not None and body.sendAt <= now:
        raise Unprocessable.for_field("sendAt", "must be in the future (or absent: now)")
    if body.audience.contactIds is not None:
        unknown = await contacts.unknown_ids(
            tx, account_id=account.id, contact_ids=body.audience.contactIds
        )
        if unknown:
            raise Unprocessable.for_field(
                "audience.contactIds",
                f"{len(unknown)} contact(s) are not of this API account, e.g. {unknown[0]}",
            )
    campaign = Campaign(
        org_id=principal.org_id,
        account_id=account.id,
        created_by=principal.user_id,
        name=body.name,
        template_id=template.id,
        audience=body.audience.stored(),
        parameters=body.parameters,
        status=CampaignStatus.scheduled,
        send_at=body.sendAt or now,
        created_at=now,
        updated_at=now,
    )
    await store.add(tx, campaign)
    tx.leaves(Work.campaigns)
    return await announce_status(tx, campaign)


async def _visible(
    tx: Tx, principal: Principal, campaign_id: uuid.UUID, *, lock: bool = False
) -> Campaign:
    campaign = await store.get_visible(
        tx, visible=accounts.visible_account_ids(principal), campaign_id=campaign_id, lock=lock
    )
    if campaign is None:
        raise NotFound(f"campaign {campaign_id} was not found")
    return campaign


async def get(tx: Tx, principal: Principal, campaign_id: uuid.UUID) -> CampaignOut:
    """One campaign with its counts as they stand, or 404 (also another tenant's)."""
    campaign = await _visible(tx, principal, campaign_id)
    return CampaignOut.of(campaign, await counts(tx, campaign))


async def list_campaigns(
    tx: Tx,
    principal: Principal,
    page: PageRequest,
    *,
    account_id: uuid.UUID | None = None,
    status: CampaignStatus | None = None,
) -> tuple[list[CampaignOut], int]:
    """Newest first, without counts (a campaign's own page has them)."""
    found, total = await store.page(
        tx,
        visible=accounts.visible_account_ids(principal),
        page=page,
        account_id=account_id,
        status=status,
    )
    return [CampaignOut.of(campaign) for campaign in found], total


async def campaign_messages(
    tx: Tx, principal: Principal, campaign_id: uuid.UUID, page: PageRequest
) -> tuple[list[MessageOut], int]:
    """The messages the campaign queued, as the API shows messages."""
    campaign = await _visible(tx, principal, campaign_id)
    ids, total = await store.message_page(tx, campaign_id=campaign.id, page=page)
    views = await messages.views(tx, ids)
    return [views[message_id] for message_id in ids if message_id in views], total


async def pause(tx: Tx, principal: Principal, campaign_id: uuid.UUID) -> CampaignOut:
    """Stop queuing; what is already queued (about a second of sends) still goes."""
    campaign = await _visible(tx, principal, campaign_id, lock=True)
    if campaign.status == CampaignStatus.paused:
        return CampaignOut.of(campaign, await counts(tx, campaign))
    if campaign.status not in ACTIVE:
        raise Conflict(f"campaign {campaign_id} is {campaign.status} and cannot be paused")
    return await change_status(tx, campaign, CampaignStatus.paused)


async def resume(tx: Tx, principal: Principal, campaign_id: uuid.UUID) -> CampaignOut:
    campaign = await _visible(tx, principal, campaign_id, lock=True)
    if campaign.status != CampaignStatus.paused:
        if campaign.status in ACTIVE:
            return CampaignOut.of(campaign, await counts(tx, campaign))
        raise Conflict(f"campaign {campaign_id} is {campaign.status} and cannot be resumed")
    started = campaign.started_at is not None
    campaign.status_reason = None
    tx.leaves(Work.campaigns)
    return await change_status(
        tx, campaign, CampaignStatus.running if started else CampaignStatus.scheduled
    )


async def cancel(tx: Tx, principal: Principal, campaign_id: uuid.UUID) -> CampaignOut:
    """No recipient still waiting is sent to; the counts say how many were cancelled."""
    campaign = await _visible(tx, principal, campaign_id, lock=True)
    if campaign.status == CampaignStatus.cancelled:
        return CampaignOut.of(campaign, await counts(tx, campaign))
    if campaign.status in FINAL:
        raise Conflict(f"campaign {campaign_id} is {campaign.status} and cannot be cancelled")
    await store.move(
        tx,
        campaign_id=campaign.id,
        from_states=[RecipientState.pending, RecipientState.waiting],
        to=RecipientState.cancelled,
    )
    campaign.finished_at = utcnow()
    return await change_status(tx, campaign, CampaignStatus.cancelled)


async def change_status(tx: Tx, campaign: Campaign, status: CampaignStatus) -> CampaignOut:
    """Move the campaign to ``status`` and announce it (campaign.status)."""
    campaign.status = status
    campaign.updated_at = utcnow()
    await store.save(tx)
    return await announce_status(tx, campaign)


async def announce_status(tx: Tx, campaign: Campaign) -> CampaignOut:
    shown = CampaignOut.of(campaign, await counts(tx, campaign))
    tx.emit(account_id=campaign.account_id, event_type=EventType.campaign_status, data=shown)
    return shown


async def announce_progress(tx: Tx, campaign: Campaign, *, now: datetime) -> None:
    campaign.progress_at = now
    await store.save(tx)
    shown = CampaignOut.of(campaign, await counts(tx, campaign))
    tx.emit(account_id=campaign.account_id, event_type=EventType.campaign_progress, data=shown)


async def counts(tx: Tx, campaign: Campaign) -> CampaignCounts:
    """The recipients by state, and the outcomes of their messages, counted now."""
    by = await store.counts(tx, campaign.id)

    def of(state: RecipientState, reason: SkipReason | None = None) -> int:
        return sum(n for (s, r), n in by.items() if s == state and (reason is None or r == reason))

    sent_ids = store.message_ids(campaign.id)
    statuses = await messages.status_counts(tx, sent_ids) if of(RecipientState.queued) else {}

    def status(*wanted: MessageStatus) -> int:
        return sum(statuses.get(s, 0) for s in wanted)

    return CampaignCounts(
        targeted=campaign.targeted or 0,
        pending=of(RecipientState.pending),
        waitingForTier=of(RecipientState.waiting),
        skippedUnsubscribed=of(RecipientState.skipped, SkipReason.unsubscribed),
        skippedMissingParameters=of(RecipientState.skipped, SkipReason.missing_parameters),
        skippedErased=of(RecipientState.skipped, SkipReason.contact_erased),
        cancelled=of(RecipientState.cancelled),
        queued=of(RecipientState.queued),
        sent=status(MessageStatus.sent, MessageStatus.delivered, MessageStatus.read),
        delivered=status(MessageStatus.delivered, MessageStatus.read),
        read=status(MessageStatus.read),
        failed=status(MessageStatus.failed),
        replied=await messages.replied_count(tx, sent_ids) if statuses else 0,
    )


def tier_of(setting: str | None, default: str) -> MessagingTier:
    return MessagingTier(setting or default)


async def tier(tx: Tx, principal: Principal, *, default: str) -> TierOut:
    """The organisation's messaging tier and its use in the last 24 hours (admins only)."""
    if not principal.is_admin:
        raise Forbidden("only an admin may see the organisation's messaging tier")
    chosen = await auth.messaging_tier(tx, org_id=principal.org_id)
    current = tier_of(chosen, default)
    reached = await messages.reached_outside_window(
        tx,
        accounts=accounts.organisation_account_ids(principal.org_id),
        since=utcnow() - PERIOD,
    )
    limit = current.limit
    return TierOut(
        tier=current,
        isDefault=chosen is None,
        reachedLast24h=reached,
        remaining=None if limit is None else max(0, limit - reached),
    )


async def set_tier(
    tx: Tx, principal: Principal, chosen: MessagingTier | None, *, default: str
) -> TierOut:
    if not principal.is_admin:
        raise Forbidden("only an admin may set the organisation's messaging tier")
    await auth.set_messaging_tier(
        tx, org_id=principal.org_id, tier=chosen.value if chosen else None
    )
    tx.leaves(Work.campaigns)  # waiting campaigns may have room now
    return await tier(tx, principal, default=default)
