"""A campaign fills each recipient's template from its own fields, at its turn."""

from __future__ import annotations

from tests.campaigns.support import (
    all_messages,
    bring_forward,
    contacts,
    create,
    template,
    wait_campaign,
)
from tests.support import Tenant


def completed(body: dict[str, object]) -> bool:
    return body["status"] == "completed"


async def test_campaign__each_recipient_gets_its_own_values(tenant: Tenant) -> None:
    template_id = await template(tenant)
    ada = await contacts(tenant, 1, name="Ada", attributes={"order": "A-17"})
    bob = await contacts(tenant, 1, name="Bob", attributes={"order": "B-2"})
    created = await create(tenant, template_id)
    assert created["status"] == "scheduled"
    done = await wait_campaign(
        tenant, created["campaignId"], lambda b: completed(b) and b["counts"]["read"] == 2
    )
    counts = done["counts"]
    assert counts["targeted"] == 2 and counts["queued"] == 2 and counts["sent"] == 2
    shown = await all_messages(tenant, created["campaignId"])
    by_contact = {m["contactId"]: m["message"] for m in shown}
    assert by_contact == {
        ada[0]: "Hi Ada, your order A-17 is on its way.",
        bob[0]: "Hi Bob, your order B-2 is on its way.",
    }
    assert {m["status"] for m in shown} == {"Read"}


async def test_campaign__missing_value_and_unsubscribed_are_skipped(tenant: Tenant) -> None:
    template_id = await template(tenant)
    await contacts(tenant, 2, attributes={"order": "A-1"})
    await contacts(tenant, 1, attributes={"city": "Lagos"})  # no order
    await contacts(tenant, 1, name=None, attributes={"order": "A-2"})  # no name
    await contacts(tenant, 1, attributes={"order": "A-3"}, status="Unsubscribed")
    created = await create(tenant, template_id)
    done = await wait_campaign(tenant, created["campaignId"], completed)
    counts = done["counts"]
    assert counts["targeted"] == 5
    assert counts["queued"] == 2, counts
    assert counts["skippedMissingParameters"] == 2
    assert counts["skippedUnsubscribed"] == 1
    assert len(await all_messages(tenant, created["campaignId"])) == 2


async def test_campaign__consent_is_read_at_send_time(tenant: Tenant) -> None:
    """A contact who unsubscribes after the campaign was created, before their turn, gets none."""
    template_id = await template(tenant)
    (leaving,) = await contacts(tenant, 1, attributes={"order": "A-1"})
    await contacts(tenant, 3, attributes={"order": "A-2"})
    in_an_hour = "2099-01-01T00:00:00Z"
    created = await create(tenant, template_id, sendAt=in_an_hour)
    reply = await tenant.api.patch(f"/contact/{leaving}", json={"status": "Unsubscribed"})
    assert reply.status_code == 200, reply.text
    campaign_id = created["campaignId"]
    await bring_forward(tenant, campaign_id)
    done = await wait_campaign(tenant, campaign_id, completed)
    assert done["counts"]["queued"] == 3
    assert done["counts"]["skippedUnsubscribed"] == 1
    assert leaving not in {m["contactId"] for m in await all_messages(tenant, campaign_id)}
