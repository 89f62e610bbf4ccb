"""A reply queued mid-campaign leaves before the campaign's remaining messages."""

from __future__ import annotations

from datetime import datetime

from tests.campaigns.support import all_messages, contacts, create, template, wait_campaign
from tests.support import Tenant, wait_until_sent


def at(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


async def test_reply__goes_ahead_of_the_campaign(tenant: Tenant) -> None:
    await tenant.api.put("/organisation/tier", json={"tier": "unlimited"})
    template_id = await template(tenant)
    await contacts(tenant, 600, attributes={"order": "A-1"})
    customer = await tenant.contact()  # wrote just now: the window is open
    created = await create(tenant, template_id)
    campaign_id = created["campaignId"]
    await wait_campaign(tenant, campaign_id, lambda b: b["counts"]["sent"] >= 100)
    reply = await tenant.api.post(
        "/message",
        json={"apiAccountId": tenant.account_id, "contactId": customer, "message": "On it!"},
    )
    assert reply.status_code == 201, reply.text
    sent = await wait_until_sent(tenant.api, f"/message/{reply.json()['messageId']}")
    # The runner marks the campaign completed in a round of its own, after its last queue.
    done = await wait_campaign(
        tenant,
        campaign_id,
        lambda b: b["counts"]["sent"] == 600 and b["status"] == "completed",
    )
    assert done["status"] == "completed"
    replied_at = at(sent["sentAt"])
    shown = await all_messages(tenant, campaign_id)
    after = [m for m in shown if at(m["sentAt"]) > replied_at]
    # The campaign still had most of its audience to go, and none of it went first.
    assert len(after) > 300
    jumped = [m for m in after if at(m["dateTime"]) < at(reply.json()["dateTime"])]
    assert jumped, "the reply did not pass any campaign message queued before it"
