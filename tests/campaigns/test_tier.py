"""The messaging tier caps unique customers reached outside their window per moving 24 h."""

from __future__ import annotations

from tests.campaigns.support import (
    all_messages,
    contacts,
    create,
    customers_who_wrote,
    template,
    wait_campaign,
)
from tests.support import Tenant, assert_problem


async def test_tier__caps_closed_windows_waits_then_goes_on_by_itself(tenant: Tenant) -> None:
    tier = await tenant.api.put("/organisation/tier", json={"tier": "250"})
    assert tier.status_code == 200 and tier.json()["tier"] == "250"
    template_id = await template(tenant)
    closed = await contacts(tenant, 300, attributes={"order": "A-1"})
    inside = await customers_who_wrote(tenant, 20, attributes={"order": "A-2"})
    created = await create(tenant, template_id)
    campaign_id = created["campaignId"]
    waiting = await wait_campaign(
        tenant, campaign_id, lambda b: b["status"] == "waiting", timeout=60
    )
    counts = waiting["counts"]
    assert counts["targeted"] == 320
    assert counts["queued"] == 270  # 250 outside their window, and the 20 inside it
    assert counts["waitingForTier"] == 50
    shown = await all_messages(tenant, campaign_id)
    reached = {m["contactId"] for m in shown}
    assert set(inside) <= reached
    assert len(reached & set(closed)) == 250
    use = (await tenant.api.get("/organisation/tier")).json()
    assert use == {"tier": "250", "isDefault": False, "reachedLast24h": 250, "remaining": 0}
    # Meta raises the tier: the campaign carries on without being asked.
    raised = await tenant.api.put("/organisation/tier", json={"tier": "2000"})
    assert raised.status_code == 200, raised.text
    done = await wait_campaign(tenant, campaign_id, lambda b: b["status"] == "completed")
    assert done["counts"]["queued"] == 320 and done["counts"]["waitingForTier"] == 0
    assert {m["contactId"] for m in await all_messages(tenant, campaign_id)} == set(closed + inside)


async def test_tier__default_from_settings_and_admins_only(tenant: Tenant) -> None:
    shown = (await tenant.api.get("/organisation/tier")).json()
    assert shown["tier"] == "250" and shown["isDefault"] is True
    assert shown["reachedLast24h"] == 0 and shown["remaining"] == 250
    _email, agent = await tenant.add_user(role="agent")
    try:
        assert_problem(await agent.get("/organisation/tier"), 403)
        assert_problem(await agent.put("/organisation/tier", json={"tier": "unlimited"}), 403)
    finally:
        await agent.aclose()
    assert_problem(await tenant.api.put("/organisation/tier", json={"tier": "1000"}), 422)
    back = await tenant.api.put("/organisation/tier", json={"tier": None})
    assert back.json()["isDefault"] is True
