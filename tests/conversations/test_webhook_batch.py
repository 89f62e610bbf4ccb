"""One Cloud API webhook carrying several customers' messages: every thread kept right."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from msgboxx.channels.cloud_api.router import PATH
from msgboxx.channels.cloud_api.webhook import sign
from tests.channels.conftest import APP_SECRET, CloudTenant
from tests.support import fresh_number


def _messages(tenant: CloudTenant, sent: list[tuple[str, str]]) -> bytes:
    """A signed-webhook body: each (customer, text) a message of its own change, as Meta batches."""
    now = int(time.time())
    changes: list[dict[str, Any]] = [
        {
            "field": "messages",
            "value": {
                "messaging_product": "whatsapp",
                "metadata": {
                    "display_phone_number": tenant.phone_number.lstrip("+"),
                    "phone_number_id": tenant.phone_number_id,
                },
                "contacts": [{"profile": {"name": "Customer"}, "wa_id": number.lstrip("+")}],
                "messages": [
                    {
                        "from": number.lstrip("+"),
                        "id": f"wamid.{uuid.uuid4().hex}",
                        "timestamp": str(now + position),
                        "type": "text",
                        "text": {"body": text},
                    }
                ],
            },
        }
        for position, (number, text) in enumerate(sent)
    ]
    body = {
        "object": "whatsapp_business_account",
        "entry": [{"id": tenant.waba_id, "changes": changes}],
    }
    return json.dumps(body).encode()


async def _deliver(tenant: CloudTenant, raw: bytes) -> None:
    headers = {
        "Content-Type": "application/json",
        "X-Hub-Signature-256": sign(raw, app_secret=APP_SECRET),
    }
    async with tenant.server.client() as client:
        reply = await client.post(PATH, content=raw, headers=headers)
    assert reply.status_code == 200, reply.text


async def _conversation_of(tenant: CloudTenant, number: str) -> dict[str, Any]:
    found = (await tenant.api.get("/contact", params={"mobileNumber": number})).json()
    contact = found["items"][0]["contactId"]
    reply = await tenant.api.get(f"/contact/{contact}/conversation")
    assert reply.status_code == 200, reply.text
    body: dict[str, Any] = reply.json()
    return body


async def test_batch__one_webhook_updates_each_thread_and_reopens_the_resolved(
    cloud: CloudTenant,
) -> None:
    returning, new = fresh_number(), fresh_number()
    await _deliver(cloud, _messages(cloud, [(returning, "Where is my order?")]))
    before = await _conversation_of(cloud, returning)
    resolved = await cloud.api.post(f"/contact/{before['contactId']}/conversation/resolve")
    assert resolved.json()["status"] == "resolved"

    await _deliver(
        cloud,
        _messages(
            cloud, [(returning, "It has not come"), (new, "Hello"), (new, "Are you open today?")]
        ),
    )
    again = await _conversation_of(cloud, returning)
    assert again["status"] == "open"
    assert again["unreadCount"] == 2
    assert again["lastMessage"]["text"] == "It has not come"
    first_time = await _conversation_of(cloud, new)
    assert first_time["unreadCount"] == 2
    assert first_time["lastMessage"]["text"] == "Are you open today?"
    assert first_time["status"] == "open"
    inbox = (await cloud.api.get("/inboxes")).json()["items"][0]["inboxId"]
    listed = (await cloud.api.get(f"/inbox/{inbox}/conversations")).json()
    assert [item["contactId"] for item in listed] == [first_time["contactId"], again["contactId"]]
