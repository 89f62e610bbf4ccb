"""What the campaign runner does to one campaign in one round, inside one transaction.

A round holds the campaign's row lock (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL; SQLite has one writer) and turns a small batch of pending
recipients into queued template messages in the same transaction that marks
them queued, so each recipient is queued exactly once whichever process runs
it and whenever one dies. The batch is what the number can send in about
``ahead_seconds``, less what it has queued already: replies (which claims take
first) never wait behind a campaign's backlog, and a pause stops new sends
within about that long. Consent, the contact's fields and the messaging tier
are read at that moment, not when the campaign was created.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from msgboxx.accounts import service as accounts
from msgboxx.auth import service as auth
from msgboxx.campaigns import filling, service, store
from msgboxx.campaigns.models import Campaign
from msgboxx.campaigns.status import CampaignStatus, RecipientState, SkipReason
from msgboxx.contacts import service as contacts
from msgboxx.contacts.status import ContactStatus
from msgboxx.core.errors import ProblemError
from msgboxx.core.tiers import PERIOD
from msgboxx.db.tx import Tx
from msgboxx.messages import service as messages
from msgboxx.messages import window
from msgboxx.templates import service as templates


@dataclass(frozen=True, slots=True)
class Rules:
    """The settings a round follows."""

    # The number's throughput (messages/s): the batch is this many seconds of it.
    number_rate: float
    ahead_seconds: float
    progress_interval: timedelta
    tier_default: str

    @property
    def batch(self) -> int:
        return max(1, math.ceil(self.number_rate * self.ahead_seconds))


async def to_run(tx: Tx, *, now: datetime, limit: int = 50) -> list[uuid.UUID]:
    """Campaigns due to start or still sending."""
    return await store.to_run(tx, now=now, limit=limit)


async def next_start(tx: Tx) -> datetime | None:
    """When the next scheduled campaign is due (the runner wakes for it)."""
    return await store.next_start(tx)


async def advance(tx: Tx, campaign_id: uuid.UUID, *, now: datetime, rules: Rules) -> int:
    """One round of one campaign; how many recipients it settled (0: nothing to do now)."""
    campaign = await store.lease(tx, campaign_id)
    if campaign is None:  # another runner has it this moment
        return 0
    if campaign.status == CampaignStatus.scheduled and campaign.send_at <= now:
        await _start(tx, campaign, now=now)
    if campaign.status == CampaignStatus.waiting:
        await _release_if_room(tx, campaign, now=now, rules=rules)
    if campaign.status != CampaignStatus.running:
        return 0
    return await _queue_batch(tx, campaign, now=now, rules=rules)


async def _start(tx: Tx, campaign: Campaign, *, now: datetime) -> None:
    """Resolve the audience once, into recipient rows (one statement however many)."""
    audience = campaign.audience
    contact_ids = audience.get("contactIds")
    chosen = contacts.audience(
        campaign.account_id,
        tags=audience.get("tags"),
        contact_ids=[uuid.UUID(c) for c in contact_ids] if contact_ids is not None else None,
    )
    campaign.targeted = await store.add_recipients(tx, campaign_id=campaign.id, audience=chosen)
    campaign.started_at = now
    await service.change_status(tx, campaign, CampaignStatus.running)


async def _room(tx: Tx, campaign: Campaign, *, now: datetime, rules: Rules) -> int | None:
    """Unique customers the organisation may still reach outside their window (None: no cap).

    The organisation's row is held until commit, so that runners of its other
    campaigns (in any process) count after this one's sends, not beside them.
    """
    chosen = await auth.messaging_tier(tx, org_id=campaign.org_id)
    tier = service.tier_of(chosen, rules.tier_default)
    if tier.limit is None:
        return None
    await auth.lock_organisation(tx, org_id=campaign.org_id)
    reached = await messages.reached_outside_window(
        tx, accounts=accounts.organisation_account_ids(campaign.org_id), since=now - PERIOD
    )
    return max(0, tier.limit - reached)


async def _release_if_room(tx: Tx, campaign: Campaign, *, now: datetime, rules: Rules) -> None:
    """A waiting campaign goes on by itself once the tier has room again."""
    room = await _room(tx, campaign, now=now, rules=rules)
    if room is not None and room <= 0:
        return
    await store.move(
        tx,
        campaign_id=campaign.id,
        from_states=[RecipientState.waiting],
        to=RecipientState.pending,
        limit=room,
    )
    await service.change_status(tx, campaign, CampaignStatus.running)


async def _queue_batch(tx: Tx, campaign: Campaign, *, now: datetime, rules: Rules) -> int:
    ahead = await messages.queued_ahead(
        tx, account_id=campaign.account_id, due_by=now + timedelta(seconds=rules.ahead_seconds)
    )
    budget = rules.batch - ahead
    if budget <= 0:
        return 0
    batch = await store.in_state(
        tx, campaign_id=campaign.id, state=RecipientState.pending, limit=budget
    )
    if not batch:
        await _finish_or_wait(tx, campaign, now=now)
        return 0
    if campaign.template_id is None:
        return await _stop(tx, campaign, "the campaign's template was deleted")
    try:  # checked once per batch: each send below fills the same template
        await templates.approved_of(
            tx, template_id=campaign.template_id, account_id=campaign.account_id
        )
    except ProblemError as refused:
        return await _stop(tx, campaign, refused.detail)
    outcomes = await _settle(tx, campaign, batch, now=now, rules=rules)
    await store.mark(tx, campaign_id=campaign.id, outcomes=outcomes)
    if campaign.progress_at is None or now - campaign.progress_at >= rules.progress_interval:
        await service.announce_progress(tx, campaign, now=now)
    return len(batch)


Outcome = tuple[uuid.UUID, str, uuid.UUID | None, str | None]


async def _settle(
    tx: Tx, campaign: Campaign, batch: list[uuid.UUID], *, now: datetime, rules: Rules
) -> list[Outcome]:
    """Queue, skip or hold each recipient of the batch."""
    people = await contacts.addressees(tx, batch)
    closed = [p.id for p in people.values() if not window.is_open(p.last_inbound_at, now=now)]
    room = await _room(tx, campaign, now=now, rules=rules) if closed else None
    reached = (
        await messages.already_reached(
            tx,
            accounts=accounts.organisation_account_ids(campaign.org_id),
            since=now - PERIOD,
            contact_ids=closed,
        )
        if room is not None
        else set()
    )
    closed_set = set(closed)
    addressed = await messages.recipients_in_organisation(
        tx, org_id=campaign.org_id, contact_ids=batch
    )
    outcomes: list[Outcome] = []
    sends: list[tuple[messages.Recipient, messages.Outbound]] = []
    assert campaign.template_id is not None
    for contact_id in batch:
        person, to = people.get(contact_id), addressed.get(contact_id)
        if person is None or to is None:
            outcomes.append((contact_id, RecipientState.skipped, None, SkipReason.contact_erased))
            continue
        if person.status == ContactStatus.unsubscribed:
            outcomes.append((contact_id, RecipientState.skipped, None, SkipReason.unsubscribed))
            continue
        values = filling.fill(
            campaign.parameters,
            name=person.name,
            number=person.mobile_number,
            attributes=person.attributes,
        )
        if values is None:
            outcomes.append(
                (contact_id, RecipientState.skipped, None, SkipReason.missing_parameters)
            )
            continue
        if room is not None and contact_id in closed_set and contact_id not in reached:
            if room <= 0:  # outside the window and no room left in the tier today
                outcomes.append((contact_id, RecipientState.waiting, None, None))
                continue
            room -= 1
        filled = await templates.fill_for_broadcast(
            tx,
            template_id=campaign.template_id,
            account_id=campaign.account_id,
            message=None,
            parameters=values,
        )
        sends.append(
            (
                to,
                messages.Outbound(
                    filled.text,
                    template_id=filled.template_id,
                    template_parameters=filled.parameters,
                ),
            )
        )
    queued = await messages.enqueue_templates(tx, sends, now=now)
    outcomes += [
        (row.contact_id, RecipientState.queued, row.id, None)
        for row in queued
        if row.contact_id is not None
    ]
    return outcomes


async def _finish_or_wait(tx: Tx, campaign: Campaign, *, now: datetime) -> None:
    """No recipient is pending: the campaign waits for the tier, or it is done."""
    waiting = await store.in_state(
        tx, campaign_id=campaign.id, state=RecipientState.waiting, limit=1
    )
    if waiting:
        await service.change_status(tx, campaign, CampaignStatus.waiting)
        return
    campaign.finished_at = now
    await service.announce_progress(tx, campaign, now=now)
    await service.change_status(tx, campaign, CampaignStatus.completed)


async def _stop(tx: Tx, campaign: Campaign, reason: str) -> int:
    """The template may no longer be sent: pause, saying why (resume once it is fixed)."""
    campaign.status_reason = reason[:500]
    await service.change_status(tx, campaign, CampaignStatus.paused)
    return 0
