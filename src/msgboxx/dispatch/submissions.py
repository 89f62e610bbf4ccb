"""Handing Pending templates to their channel for the network's verdict.

A submission is claimed (``submitted_at`` is its lease), handed over with no
transaction open, since the call may take seconds and on SQLite an open write
would stall every other write meanwhile, and then recorded. The verdict itself
comes later, from the channel's reports.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from msgboxx.accounts import service as accounts
from msgboxx.channels.base import SendError, TemplateSubmission
from msgboxx.channels.registry import ChannelRegistry, UnknownChannel
from msgboxx.db import Database, utcnow
from msgboxx.templates import service as templates

log = logging.getLogger(__name__)
TEMPLATE_BATCH = 20  # template submissions claimed in one round


async def submit_due(db: Database, channels: ChannelRegistry, *, lease: timedelta) -> int:
    """Claim up to a batch of due submissions and make them; returns how many were claimed."""
    async with db.tx(write=True) as tx:
        ids = await templates.claim_submissions(tx, now=utcnow(), lease=lease, limit=TEMPLATE_BATCH)
        await tx.commit()
    for template_id in ids:
        await submit(db, channels, template_id)
    return len(ids)


async def submit(db: Database, channels: ChannelRegistry, template_id: uuid.UUID) -> None:
    """Load, hand over with no transaction open, record what the channel said."""
    async with db.tx(write=False) as tx:
        template = await templates.to_submit(tx, template_id)
        account = await accounts.find_by_id(tx, template.account_id) if template else None
    if template is None or account is None:
        return
    submission = TemplateSubmission(
        template_id=template.id,
        account_id=account.id,
        from_number=account.phone_number,
        name=template.name,
        language=template.language,
        category=template.category,
        text=template.text,
        example=template.example,
        channel_settings=dict(account.channel_settings or {}),
        header_type=template.header_type,
    )
    try:
        provider_id = await channels.get(account.channel).submit_template(submission)
    except (SendError, UnknownChannel) as exc:
        log.warning("template submission failed", extra={"template_id": str(template_id)})
        if isinstance(exc, SendError) and exc.retryable:
            return  # the lease on submitted_at expires and it is tried again
        async with db.tx(write=True) as tx:
            await templates.record_submission(tx, template_id=template_id, rejection=str(exc)[:500])
            await tx.commit()
        return
    async with db.tx(write=True) as tx:
        await templates.record_submission(
            tx, template_id=template_id, provider_template_id=provider_id
        )
        await tx.commit()
