"""Campaign messages/s to Sent at the number's tier: does a campaign keep its number busy?

A campaign queues about a second of its number's sends at a time (so replies go
first and a pause takes hold at once); this measures whether that still
carries the number at its full rate. For each tier (``MSGBOXX_NUMBER_THROUGHPUT``):
an embedded msgboxx on SQLite with the sandbox, a campaign to ``tier x seconds``
contacts whose window is closed (the organisation's messaging tier unlimited),
timed from ``POST /campaign`` until every message is Sent.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert

from benchmarks.config import Config
from benchmarks.stack import running
from msgboxx import wiring
from msgboxx.accounts import service as accounts
from msgboxx.auth import service as auth
from msgboxx.contacts.models import Contact, ContactStatus
from msgboxx.db import utcnow
from msgboxx.settings import Settings
from msgboxx.templates import service as templates
from msgboxx.templates.status import TemplateStatus

# (messages/s of the number, seconds of sends in the campaign)
TIERS = ((80.0, 30), (1000.0, 15))


async def _audience(settings: Settings, account_id: str, count: int) -> str:
    """``count`` contacts who never wrote, an approved template, and no tier cap."""
    db = wiring.open_database(settings)
    try:
        async with db.tx(write=True) as tx:
            account = await accounts.find_by_id(tx, uuid.UUID(account_id))
            assert account is not None
            await auth.set_messaging_tier(tx, org_id=account.org_id, tier="unlimited")
            template = await templates.create(
                tx,
                account=account,
                name=f"bench_{uuid.uuid4().hex[:8]}",
                text="Hi {{1}}, your order {{2}} is on its way.",
                example=None,
                status=TemplateStatus.approved,
            )
            now = utcnow()
            rows = [
                {
                    "id": uuid.uuid4(),
                    "account_id": account.id,
                    "mobile_number": f"+4478{n:08d}",
                    "name": f"Customer {n}",
                    "status": ContactStatus.subscribed,
                    "attributes": {"order": f"A-{n}"},
                    "created_at": now,
                    "updated_at": now,
                }
                for n in range(count)
            ]
            for start in range(0, count, 2000):
                await tx.session.execute(insert(Contact), rows[start : start + 2000])
            await tx.commit()
            return str(template.id)
    finally:
        await db.dispose()


async def _run(base: str, token: str, account_id: str, template_id: str, count: int) -> float:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as api:
        started = time.perf_counter()
        created = await api.post(
            "/campaign",
            json={
                "name": "bench",
                "apiAccountId": account_id,
                "templateId": template_id,
                "audience": {"all": True},
                "parameters": ["{{contact.name}}", "{{attributes.order}}"],
            },
        )
        created.raise_for_status()
        campaign_id = created.json()["campaignId"]
        while True:
            shown = (await api.get(f"/campaign/{campaign_id}")).json()
            if shown["counts"]["sent"] >= count:
                return time.perf_counter() - started
            await asyncio.sleep(0.1)


def measure(config: Config, workdir: Path) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for rate, seconds in TIERS:
        count = int(rate * seconds) if not config.quick else int(rate * seconds / 3)
        env = {
            "MSGBOXX_NUMBER_THROUGHPUT": str(int(rate)),
            "MSGBOXX_PAIR_INTERVAL_SECONDS": "0",
        }
        with running(workdir / f"tier-{int(rate)}", contacts=1, env=env) as stack:
            template_id = asyncio.run(
                _audience(stack.settings, stack.fixture.sandbox_account, count)
            )
            took = asyncio.run(
                _run(
                    stack.base,
                    stack.fixture.token,
                    stack.fixture.sandbox_account,
                    template_id,
                    count,
                )
            )
        found[str(int(rate))] = {
            "tier": rate,
            "messages": count,
            "seconds": round(took, 2),
            "messagesPerSecond": round(count / took, 1),
            "ofTier": round(count / took / rate, 2),
        }
        print(f"campaign at {rate:.0f}/s: {count} messages in {took:.1f} s")
    return found
