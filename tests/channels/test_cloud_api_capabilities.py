"""Meta's tier and quality webhooks, through the Graph double, update the organisation and
number; a campaign waiting for the tier goes on when Meta raises it.
"""

from __future__ import annotations

import uuid

from msgboxx.contacts.models import Contact
from tests.campaigns.support import all_messages, create, template, wait_campaign
from tests.channels.conftest import CloudTenant, Graph
from tests.support import Tenant, fresh_number


async def tier_of(cloud: CloudTenant) -> dict[str, object]:
    reply = await cloud.api.get("/organisation/tier")
    assert reply.status_code == 200, reply.text
    shown: dict[str, object] = reply.json()
    return shown


async def account_of(cloud: CloudTenant) -> dict[str, object]:
    reply = await cloud.api.get(f"/apiaccount/{cloud.account_id}")
    shown: dict[str, object] = reply.json()["items"][0]  # the original's envelope of one
    return shown


async def test_capability_update__sets_the_organisation_tier(
    graph: Graph, cloud: CloudTenant
) -> None:
    assert (await tier_of(cloud))["isDefault"] is True
    sent = await graph.control.post(
        "/control/capability",
        json={"wabaId": cloud.waba_id, "maxDailyConversationsPerBusiness": 2000},
    )
    assert sent.json()["webhookStatus"] == 200, sent.text
    assert (await tier_of(cloud))["tier"] == "2000"
    unlimited = await graph.control.post(
        "/control/capability",
        json={"wabaId": cloud.waba_id, "maxDailyConversationsPerBusiness": -1},
    )
    assert unlimited.json()["webhookStatus"] == 200
    assert (await tier_of(cloud))["tier"] == "unlimited"


async def test_quality_update__rates_the_number_and_moves_the_tier(
    graph: Graph, cloud: CloudTenant
) -> None:
    assert (await account_of(cloud))["quality"] is None
    flagged = await graph.control.post(
        "/control/quality",
        json={
            "phoneNumberId": cloud.phone_number_id,
            "displayPhoneNumber": cloud.phone_number,
            "event": "FLAGGED",
        },
    )
    assert flagged.json()["webhookStatus"] == 200, flagged.text
    assert (await account_of(cloud))["quality"] == "RED"
    assert (await tier_of(cloud))["isDefault"] is True  # no limit given: the tier stays
    upgraded = await graph.control.post(
        "/control/quality",
        json={
            "phoneNumberId": cloud.phone_number_id,
            "displayPhoneNumber": cloud.phone_number,
            "event": "UPGRADE",
            "maxDailyConversationsPerBusiness": "TIER_10K",
        },
    )
    assert upgraded.json()["webhookStatus"] == 200
    assert (await tier_of(cloud))["tier"] == "10000"
    unflagged = await graph.control.post(
        "/control/quality",
        json={
            "phoneNumberId": cloud.phone_number_id,
            "displayPhoneNumber": cloud.phone_number,
            "event": "UNFLAGGED",
        },
    )
    assert unflagged.json()["webhookStatus"] == 200
    assert (await account_of(cloud))["quality"] == "GREEN"


async def test_tier_raised_by_meta__a_waiting_campaign_goes_on(
    graph: Graph, cloud: CloudTenant
) -> None:
    as_tenant = Tenant(
        server=cloud.server,
        org_id=uuid.uuid4(),  # unused by these helpers
        admin_email="",
        account_id=cloud.account_id,
        inbox_id="",
        phone_number=cloud.phone_number,
        token="",
        api=cloud.api,
    )
    template_id = await template(as_tenant)
    async with cloud.server.db.tx(write=True) as tx:
        tx.session.add_all(
            Contact(
                account_id=uuid.UUID(cloud.account_id),
                mobile_number=fresh_number(),
                name="Ada",
                status="Subscribed",
                attributes={"order": "A-1"},
            )
            for _ in range(253)
        )
        await tx.commit()
    created = await create(as_tenant, template_id)
    campaign_id = created["campaignId"]
    waiting = await wait_campaign(as_tenant, campaign_id, lambda b: b["status"] == "waiting")
    assert waiting["counts"]["queued"] == 250 and waiting["counts"]["waitingForTier"] == 3
    raised = await graph.control.post(
        "/control/capability",
        json={"wabaId": cloud.waba_id, "maxDailyConversationsPerBusiness": 2000},
    )
    assert raised.json()["webhookStatus"] == 200
    done = await wait_campaign(as_tenant, campaign_id, lambda b: b["counts"]["sent"] == 253)
    assert done["status"] == "completed"
    shown = await all_messages(as_tenant, campaign_id)
    assert len({m["contactId"] for m in shown}) == 253
    by_network = [
        s
        for s in graph.double.sent
        if s["phoneNumberId"] == cloud.phone_number_id and s["body"].get("type") == "template"
    ]
    assert len(by_network) == 253  # Meta was handed each once
