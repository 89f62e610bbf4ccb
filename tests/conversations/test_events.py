"""conversation.assigned, conversation.status and conversation.note reach subscribers."""

from __future__ import annotations

from typing import Any

from tests.conversations.talk import conversation, customer_writes, user_id
from tests.support import Tenant, fresh_number
from tests.webhooks.receiver import Received, Receiver, verify

EVENTS = ["conversation.assigned", "conversation.status", "conversation.note"]


def of_type(received: list[Received], kind: str) -> list[dict[str, Any]]:
    return [r.event for r in received if r.event["type"] == kind]


async def test_events__assign_status_and_note_are_delivered(
    tenant: Tenant, receiver: Receiver
) -> None:
    hook = await tenant.api.post("/webhook", json={"targetUrl": receiver.url(), "events": EVENTS})
    assert hook.status_code == 201, hook.text
    number = fresh_number()
    contact = await customer_writes(tenant, number)
    me = await user_id(tenant, tenant.admin_email)
    assigned = await tenant.api.post(
        f"/contact/{contact}/conversation/assign", json={"assigneeId": me}
    )
    resolved = await tenant.api.post(f"/contact/{contact}/conversation/resolve")
    note = await tenant.api.post(f"/contact/{contact}/notes", json={"body": "Waiting on stock"})
    await customer_writes(tenant, number, "Any news?")  # reopens it
    await tenant.api.post(f"/contact/{contact}/conversation/read")  # announces nothing

    def complete(got: list[Received]) -> bool:
        return len(of_type(got, "conversation.status")) == 2 and bool(
            of_type(got, "conversation.note")
        )

    got = await receiver.wait_for(complete)
    for item in got:
        verify(hook.json()["secret"], item)
    assert {r.event["type"] for r in got} == set(EVENTS)

    [given] = of_type(got, "conversation.assigned")
    assert given["data"] == assigned.json()
    assert given["data"]["assigneeEmail"] == tenant.admin_email
    statuses = of_type(got, "conversation.status")
    assert [e["data"]["status"] for e in statuses] == ["resolved", "open"]
    assert statuses[0]["data"] == resolved.json()
    reopened = statuses[1]["data"]
    assert reopened["lastMessage"]["text"] == "Any news?"
    assert reopened["unreadCount"] == 2
    assert reopened["contactId"] == contact
    [noted] = of_type(got, "conversation.note")
    assert noted["data"] == note.json()
    shown = await conversation(tenant, contact)
    assert shown["status"] == "open" and shown["assigneeId"] == me
