"""campaign.status and campaign.progress reach a subscriber, signed, in the API's shape."""

from __future__ import annotations

from typing import Any

from tests.campaigns.support import contacts, create, template, wait_campaign
from tests.support import Tenant
from tests.webhooks.receiver import Receiver, verify


async def test_events__status_changes_and_throttled_progress(
    tenant: Tenant, receiver: Receiver
) -> None:
    hook = await tenant.api.post(
        "/webhook",
        json={"targetUrl": receiver.url(), "events": ["campaign.status", "campaign.progress"]},
    )
    assert hook.status_code == 201, hook.text
    secret = hook.json()["secret"]
    await tenant.api.put("/organisation/tier", json={"tier": "unlimited"})
    template_id = await template(tenant)
    await contacts(tenant, 300, attributes={"order": "A-1"})  # ~4 s at 80 messages/s
    created = await create(tenant, template_id)
    campaign_id = created["campaignId"]
    done = await wait_campaign(tenant, campaign_id, lambda b: b["status"] == "completed")

    def of(kind: str) -> list[dict[str, Any]]:
        return [e for e in (verify(secret, r) for r in receiver.received) if e["type"] == kind]

    await receiver.wait_for(
        lambda _r: [e["data"]["status"] for e in of("campaign.status")][-1:] == ["completed"]
    )
    statuses = [e["data"]["status"] for e in of("campaign.status")]
    assert statuses == ["scheduled", "running", "completed"]
    assert all(e["data"]["campaignId"] == campaign_id for e in of("campaign.status"))
    progress = of("campaign.progress")
    # The first batch, then at most one every 5 s, and one at the end: a few, not hundreds.
    assert 2 <= len(progress) <= 4, [p["data"]["counts"] for p in progress]
    last = progress[-1]["data"]["counts"]
    assert last["queued"] == 300 == done["counts"]["queued"] and last["pending"] == 0
    queued = [p["data"]["counts"]["queued"] for p in progress]
    assert queued == sorted(queued)
