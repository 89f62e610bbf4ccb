"""A 10,000-recipient campaign on PostgreSQL with two real workers, one killed mid-way."""

from __future__ import annotations

import asyncio
import os
import signal
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, insert, select

from msgboxx import wiring
from msgboxx.accounts.models import ApiAccount
from msgboxx.auth import service as auth
from msgboxx.campaigns import service as campaigns
from msgboxx.campaigns.schemas import CampaignCreate
from msgboxx.contacts.models import Contact
from msgboxx.db import Database, utcnow
from msgboxx.messages.models import Message
from msgboxx.templates import service as templates
from msgboxx.templates.models import TemplateStatus
from tests import postgres
from tests.dispatch.fleet import Fleet, new_number

pytestmark = pytest.mark.skipif(
    "MSGBOXX_TEST_DATABASE_URL" in os.environ,
    reason="runs its own PostgreSQL databases; already run in the SQLite pass",
)

AUDIENCE = 10_000
UNSUBSCRIBED = 250
IN_FLIGHT = 100
WORKER = {
    "MSGBOXX_NUMBER_THROUGHPUT": "1000",
    "MSGBOXX_CAMPAIGN_POLL_INTERVAL": "0.05",
    "MSGBOXX_DISPATCH_LEASE_SECONDS": "3",
    # What a crash can repeat on the network is bounded by what is out at once.
    "MSGBOXX_DISPATCH_MAX_IN_FLIGHT": str(IN_FLIGHT),
    "MSGBOXX_SANDBOX_SEND_LATENCY": "0.02",
    # Sent is what is counted: the network's later reports would only add work here.
    "MSGBOXX_SANDBOX_DELIVERED_DELAY": "3600",
    "MSGBOXX_SANDBOX_READ_DELAY": "3600",
}


@pytest.fixture
async def fleet(postgres_server: str, tmp_path: Path) -> AsyncIterator[tuple[Fleet, Database]]:
    from msgboxx.db import migrate

    url = await postgres.fresh_database("msgboxx_campaigns_scale")
    await migrate.run(url)
    crew = Fleet(url=url, workdir=tmp_path)
    db = wiring.open_database(crew.settings())
    try:
        yield crew, db
    finally:
        crew.stop_all()
        await db.dispose()


async def audience(db: Database, account_id: uuid.UUID) -> tuple[set[str], set[str]]:
    """The account's contacts in bulk: who may receive, and who unsubscribed."""
    now = utcnow()
    rows: list[dict[str, Any]] = [
        {
            "id": uuid.uuid4(),
            "account_id": account_id,
            "mobile_number": f"+4479{n:08d}",
            "name": f"Customer {n}",
            "status": "Unsubscribed" if n < UNSUBSCRIBED else "Subscribed",
            "attributes": {"order": f"A-{n}"},
            "created_at": now,
            "updated_at": now,
        }
        for n in range(AUDIENCE)
    ]
    async with db.tx(write=True) as tx:
        for start in range(0, len(rows), 2000):
            await tx.session.execute(insert(Contact), rows[start : start + 2000])
        await tx.commit()
    return (
        {str(r["id"]) for r in rows if r["status"] == "Subscribed"},
        {str(r["id"]) for r in rows if r["status"] == "Unsubscribed"},
    )


# 10,000 messages with their three status reports each, on a shared two-core machine.
@pytest.mark.timeout(2400)
async def test_campaign__two_workers_one_killed_every_eligible_contact_gets_exactly_one(
    fleet: tuple[Fleet, Database],
) -> None:
    crew, db = fleet
    number = await new_number(db)
    eligible, unsubscribed = await audience(db, number.account_id)
    async with db.tx(write=True) as tx:
        account = await tx.session.get(ApiAccount, number.account_id)
        assert account is not None
        await auth.set_messaging_tier(tx, org_id=account.org_id, tier="unlimited")
        admin = await auth.create_user(
            tx, org_id=account.org_id, email="ops@example.com", password="x" * 12, role="admin"
        )
        template = await templates.create(
            tx,
            account=account,
            name="order_update",
            text="Hi {{1}}, your order {{2}} is on its way.",
            example=None,
            status=TemplateStatus.approved,
        )
        await tx.commit()
        principal = auth.principal_of(admin)
        template_id = template.id
    for _ in range(2):
        crew.start_worker(**WORKER)
    crew.wait_until_running(2)
    async with db.tx(write=True) as tx:
        created = await campaigns.create(
            tx,
            principal,
            CampaignCreate(
                name="Ten thousand",
                apiAccountId=number.account_id,
                templateId=template_id,
                audience={"all": True},
                parameters=["{{contact.name}}", "{{attributes.order}}"],
            ),
        )
        await tx.commit()
    victim = crew.workers[0]
    deadline = time.monotonic() + 300
    while len(crew.hand_offs()) < AUDIENCE // 4:  # a quarter of the way
        assert time.monotonic() < deadline, "the campaign never got going"
        await asyncio.sleep(0.05)
    victim.send_signal(signal.SIGKILL)
    victim.wait()

    deadline = time.monotonic() + 1800
    while True:
        async with db.tx(write=False) as tx:
            shown = await campaigns.get(tx, principal, created.campaignId)
        assert shown.counts is not None
        if shown.status == "completed" and shown.counts.sent == len(eligible):
            break
        assert time.monotonic() < deadline, f"not done: {shown.status} {shown.counts}"
        await asyncio.sleep(0.2)

    counts = shown.counts
    assert counts.targeted == AUDIENCE
    assert counts.queued == len(eligible) and counts.skippedUnsubscribed == UNSUBSCRIBED
    assert counts.pending == counts.waitingForTier == counts.failed == 0
    assert counts.queued + counts.skippedUnsubscribed == counts.targeted
    async with db.tx(write=False) as tx:
        per_contact = dict(
            (
                await tx.session.execute(
                    select(Message.contact_id, func.count())
                    .where(Message.account_id == number.account_id)
                    .group_by(Message.contact_id)
                )
            ).all()
        )
        texts = dict(
            (
                await tx.session.execute(
                    select(Message.contact_id, Message.text).where(
                        Message.account_id == number.account_id
                    )
                )
            ).all()
        )
    # Exactly one message to every eligible contact, none to those who unsubscribed.
    assert {str(c) for c in per_contact} == eligible
    assert set(per_contact.values()) == {1}
    assert not unsubscribed & {str(c) for c in per_contact}
    # Each filled from its own contact.
    one = next(iter(texts.items()))
    assert one[1].startswith("Hi Customer ") and "your order A-" in one[1]
    # The network saw each message; a repeat only for what the killed worker had out.
    sends = Counter(h.message_id for h in crew.hand_offs())
    assert len(sends) == len(eligible)
    repeated = [m for m, n in sends.items() if n > 1]
    assert len(repeated) <= IN_FLIGHT and all(sends[m] == 2 for m in repeated)
