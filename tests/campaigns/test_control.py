"""Pause stops new sends within a second; resume carries on; cancel ends it."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.campaigns.support import all_messages, contacts, create, template, wait_campaign
from tests.support import Tenant

# At the session server's 80 messages/s a number sends this many in about 7 s.
AUDIENCE = 600


async def unlimited(tenant: Tenant) -> None:
    reply = await tenant.api.put("/organisation/tier", json={"tier": "unlimited"})
    assert reply.status_code == 200, reply.text


def left_the_server(shown: list[dict[str, Any]]) -> int:
    return sum(1 for m in shown if m["status"] != "Pending")


async def test_pause__no_new_message_a_second_later_then_resume_finishes(tenant: Tenant) -> None:
    await unlimited(tenant)
    template_id = await template(tenant)
    await contacts(tenant, AUDIENCE, attributes={"order": "A-1"})
    created = await create(tenant, template_id)
    campaign_id = created["campaignId"]
    await wait_campaign(tenant, campaign_id, lambda b: b["counts"]["queued"] >= 100)
    paused = await tenant.api.post(f"/campaign/{campaign_id}/pause")
    assert paused.status_code == 200 and paused.json()["status"] == "paused"
    queued_at_pause = paused.json()["counts"]["queued"]
    assert queued_at_pause < AUDIENCE
    await asyncio.sleep(1.0)
    shown = await all_messages(tenant, campaign_id)
    assert len(shown) == queued_at_pause  # nothing queued after the pause
    # What was queued before it (about a second of the number's sends) still goes out;
    # how soon depends on the machine, so wait for it rather than time it.
    await wait_campaign(tenant, campaign_id, lambda b: b["counts"]["sent"] == queued_at_pause)
    again = await all_messages(tenant, campaign_id)
    assert len(again) == queued_at_pause
    assert left_the_server(again) == queued_at_pause
    still = (await tenant.api.get(f"/campaign/{campaign_id}")).json()
    assert still["status"] == "paused" and still["counts"]["pending"] == AUDIENCE - queued_at_pause
    resumed = await tenant.api.post(f"/campaign/{campaign_id}/resume")
    assert resumed.status_code == 200 and resumed.json()["status"] == "running"
    # The runner marks the campaign completed in a round of its own, after its last queue.
    done = await wait_campaign(
        tenant,
        campaign_id,
        lambda b: b["counts"]["sent"] == AUDIENCE and b["status"] == "completed",
    )
    assert done["status"] == "completed"
    assert done["counts"]["queued"] == AUDIENCE and done["counts"]["pending"] == 0
    shown = await all_messages(tenant, campaign_id)
    assert len({m["contactId"] for m in shown}) == AUDIENCE == len(shown)


async def test_cancel__the_rest_is_never_sent(tenant: Tenant) -> None:
    await unlimited(tenant)
    template_id = await template(tenant)
    await contacts(tenant, AUDIENCE, attributes={"order": "A-1"})
    created = await create(tenant, template_id)
    campaign_id = created["campaignId"]
    await wait_campaign(tenant, campaign_id, lambda b: b["counts"]["queued"] >= 50)
    cancelled = await tenant.api.post(f"/campaign/{campaign_id}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    counts = cancelled.json()["counts"]
    assert cancelled.json()["status"] == "cancelled"
    assert counts["queued"] + counts["cancelled"] == AUDIENCE and counts["cancelled"] > 0
    await asyncio.sleep(1.5)
    assert len(await all_messages(tenant, campaign_id)) == counts["queued"]
    # A cancelled campaign stays so.
    for action in ("resume", "pause"):
        reply = await tenant.api.post(f"/campaign/{campaign_id}/{action}")
        assert reply.status_code == 409, reply.text
