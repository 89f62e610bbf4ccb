"""Zapier-style polling: every collection takes fromDate and answers newest first."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from tests.support import Tenant, assert_problem
from tests.webhooks.test_events import approved_template

COLLECTIONS = ["/apiaccount", "/inboxes", "/contact", "/template", "/broadcast", "/webhook"]


async def test_list__fromDate_returns_only_newer_items_on_every_collection(
    tenant: Tenant,
) -> None:
    contact_id = await tenant.contact()
    template_id = await approved_template(tenant)
    sent = await tenant.api.post(
        "/broadcast",
        json={
            "apiAccountId": tenant.account_id,
            "contactId": contact_id,
            "templateId": template_id,
            "parameters": ["John"],
        },
    )
    assert sent.status_code == 201, sent.text
    hook = await tenant.api.post(
        "/webhook", json={"targetUrl": "http://127.0.0.1:9/x", "events": ["contact.created"]}
    )
    assert hook.status_code == 201, hook.text
    past = (datetime.now(UTC) - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    future = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    for path in COLLECTIONS:
        everything = await tenant.api.get(path, params={"fromDate": past})
        assert everything.status_code == 200, (path, everything.text)
        assert everything.json()["paging"]["recordCount"] >= 1, path
        nothing = await tenant.api.get(path, params={"fromDate": future})
        assert nothing.status_code == 200, (path, nothing.text)
        assert nothing.json()["items"] == [], path


async def test_list__fromDate_picks_up_items_after_the_last_poll_without_repeats(
    tenant: Tenant,
) -> None:
    first = await tenant.contact(inbound=False)
    seen = (await tenant.api.get("/contact")).json()["items"]
    assert [c["contactId"] for c in seen] == [first]
    await asyncio.sleep(0.01)
    cursor = datetime.now(UTC).isoformat()
    await asyncio.sleep(0.01)
    second = await tenant.contact(inbound=False)
    third = await tenant.contact(inbound=False)
    newer = (await tenant.api.get("/contacts", params={"fromDate": cursor})).json()
    assert [c["contactId"] for c in newer["items"]] == [third, second]  # newest first


async def test_list__fromDate_without_a_zone_or_as_a_date_is_not_500(tenant: Tenant) -> None:
    for path in COLLECTIONS:
        for value in ("2020-01-01T00:00:00", "2020-01-01"):
            reply = await tenant.api.get(path, params={"fromDate": value})
            assert reply.status_code == 200, (path, value, reply.text)
        assert_problem(await tenant.api.get(path, params={"fromDate": "yesterday"}), 422)
