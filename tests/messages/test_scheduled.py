"""sendAt on POST /message and /broadcast: held by the dispatcher until due, then sent on time.

A server of its own whose dispatcher polls only every 30 s, so a message that
goes out within a second of its sendAt went because the dispatcher woke for
it, and whose sandbox keeps the network's own record of each hand-off (with
the time it got it).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from msgboxx.contacts.models import Contact
from msgboxx.core.wire import format_timestamp
from msgboxx.db import utcnow
from tests.broadcasts.test_broadcasts import template
from tests.support import (
    Server,
    Tenant,
    assert_problem,
    fresh_number,
    new_tenant,
    own_settings,
    running,
    wait_for_status,
)

# How late a scheduled message may reach the network: the promise to users.
# (Due times are a few seconds ahead, so that a slow accept on a busy machine
# still schedules them in the future.)
ON_TIME = 1.0


@dataclass
class Scheduling:
    server: Server
    hand_off_log: Path

    def handed_off(self) -> dict[str, float]:
        """Message id → when the network got it (its own clock), for every send so far."""
        if not self.hand_off_log.exists():
            return {}
        found: dict[str, float] = {}
        for line in self.hand_off_log.read_text().splitlines():
            message_id, _provider_id, _pid, at = line.split()
            assert message_id not in found, f"{message_id} was handed to the network twice"
            found[message_id] = float(at)
        return found


@pytest.fixture(scope="module")
async def scheduling(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Scheduling]:
    folder = tmp_path_factory.mktemp("scheduling")
    log = folder / "hand-offs.log"
    settings = await own_settings(
        folder / "data",
        database="msgboxx_scheduled",
        dispatch_poll_interval=30.0,
        sandbox_hand_off_log=log,
        pair_interval_seconds=0,
    )
    async with running(settings) as server:
        yield Scheduling(server, log)


@pytest.fixture
async def shop(scheduling: Scheduling) -> AsyncIterator[Tenant]:
    tenant = await new_tenant(scheduling.server)
    try:
        yield tenant
    finally:
        await tenant.api.aclose()


def soon(seconds: float) -> datetime:
    return utcnow() + timedelta(seconds=seconds)


def wire(at: datetime) -> str:
    return at.isoformat()


async def schedule(shop: Tenant, contact_id: str, at: datetime, text: str = "See you") -> Any:
    reply = await shop.api.post(
        "/message",
        json={
            "apiAccountId": shop.account_id,
            "contactId": contact_id,
            "message": text,
            "sendAt": wire(at),
        },
    )
    assert reply.status_code == 201, reply.text
    return reply.json()


async def wait_handed_off(scheduling: Scheduling, message_id: str, *, timeout: float = 10) -> float:
    deadline = time.monotonic() + timeout
    while (at := scheduling.handed_off().get(message_id)) is None:
        assert time.monotonic() < deadline, f"{message_id} never reached the network"
        await asyncio.sleep(0.02)
    return at


async def set_last_inbound(shop: Tenant, contact_id: str, at: datetime) -> None:
    async with shop.server.db.tx(write=True) as tx:
        await tx.session.execute(
            update(Contact).where(Contact.id == uuid.UUID(contact_id)).values(last_inbound_at=at)
        )
        await tx.commit()


async def test_schedule__stays_pending_then_goes_within_a_second_of_send_at(
    scheduling: Scheduling, shop: Tenant
) -> None:
    contact_id = await shop.contact()
    send_at = soon(3.0)
    accepted = await schedule(shop, contact_id, send_at)
    assert accepted["status"] == "Pending"
    assert accepted["sendAt"] == format_timestamp(send_at)
    path = f"/message/{accepted['messageId']}"
    await asyncio.sleep(1.5)
    held = (await shop.api.get(path)).json()
    assert held["status"] == "Pending" and held["sentAt"] is None
    assert accepted["messageId"] not in scheduling.handed_off()
    reached = await wait_handed_off(scheduling, accepted["messageId"])
    assert send_at.timestamp() <= reached < send_at.timestamp() + ON_TIME
    done = await wait_for_status(shop.api, path, "Read")
    assert done["sendAt"] == format_timestamp(send_at)


async def test_schedule__send_at_in_another_offset_is_the_same_instant(
    scheduling: Scheduling, shop: Tenant
) -> None:
    contact_id = await shop.contact()
    send_at = soon(2.5)
    in_new_york = send_at.astimezone(ZoneInfo("America/New_York"))
    accepted = await schedule(shop, contact_id, in_new_york)
    assert accepted["sendAt"] == format_timestamp(send_at)
    reached = await wait_handed_off(scheduling, accepted["messageId"])
    assert send_at.timestamp() <= reached < send_at.timestamp() + ON_TIME


async def test_schedule__does_not_hold_back_a_later_unscheduled_message(
    scheduling: Scheduling, shop: Tenant
) -> None:
    contact_id = await shop.contact()
    tomorrow = await schedule(shop, contact_id, utcnow() + timedelta(days=1))
    reply = await shop.api.post(
        "/message",
        json={"apiAccountId": shop.account_id, "contactId": contact_id, "message": "Now"},
    )
    assert reply.status_code == 201, reply.text
    assert reply.json()["sendAt"] is None
    await wait_for_status(shop.api, f"/message/{reply.json()['messageId']}", "Read")
    later = (await shop.api.get(f"/message/{tomorrow['messageId']}")).json()
    assert later["status"] == "Pending"
    assert tomorrow["messageId"] not in scheduling.handed_off()


async def test_schedule__scheduled_messages_keep_their_order_by_send_at(
    scheduling: Scheduling, shop: Tenant
) -> None:
    contact_id = await shop.contact()
    second = await schedule(shop, contact_id, soon(3.5), "second")
    first = await schedule(shop, contact_id, soon(2.5), "first")
    first_at = await wait_handed_off(scheduling, first["messageId"])
    second_at = await wait_handed_off(scheduling, second["messageId"])
    assert first_at < second_at
    assert second_at < datetime.fromisoformat(second["sendAt"]).timestamp() + ON_TIME


async def test_schedule__broadcast_waits_for_send_at(scheduling: Scheduling, shop: Tenant) -> None:
    template_id = await template(shop)
    contact_id = await shop.contact(inbound=False)
    send_at = soon(3.0)
    reply = await shop.api.post(
        "/broadcast",
        json={
            "apiAccountId": shop.account_id,
            "contactId": contact_id,
            "templateId": template_id,
            "parameters": ["Ann", "our spring sale"],
            "sendAt": wire(send_at),
        },
    )
    assert reply.status_code == 201, reply.text
    body = reply.json()
    assert body["status"] == "Pending" and body["sendAt"] == format_timestamp(send_at)
    await asyncio.sleep(1.0)
    assert body["messageId"] not in scheduling.handed_off()
    reached = await wait_handed_off(scheduling, body["messageId"])
    assert send_at.timestamp() <= reached < send_at.timestamp() + ON_TIME
    done = await wait_for_status(shop.api, f"/broadcast/{body['broadcastId']}", "Read")
    assert done["sendAt"] == format_timestamp(send_at)


async def test_schedule__session_message_fails_with_the_window_reason_once_it_has_closed(
    scheduling: Scheduling, shop: Tenant
) -> None:
    contact_id = await shop.contact()
    # The window closes three seconds from now; the message is due in five.
    await set_last_inbound(shop, contact_id, utcnow() - timedelta(hours=24) + timedelta(seconds=3))
    accepted = await schedule(shop, contact_id, soon(5.0))
    failed = await wait_for_status(shop.api, f"/message/{accepted['messageId']}", "Failed")
    assert accepted["messageId"] not in scheduling.handed_off()
    # Exactly what the API answers a session message to this contact now.
    refused = await shop.api.post(
        "/message",
        json={"apiAccountId": shop.account_id, "contactId": contact_id, "message": "Hello?"},
    )
    problem = assert_problem(refused, 422, slug="session-window-closed")
    assert failed["failureReason"] == problem["detail"]
    assert "/broadcast" in failed["failureReason"]


async def test_schedule__template_to_a_contact_who_unsubscribed_meanwhile_fails(
    scheduling: Scheduling, shop: Tenant
) -> None:
    template_id = await template(shop)
    contact_id = await shop.contact(inbound=False)
    message = {
        "apiAccountId": shop.account_id,
        "contactId": contact_id,
        "templateId": template_id,
        "parameters": ["Ann", "our spring sale"],
    }
    reply = await shop.api.post("/broadcast", json={**message, "sendAt": wire(soon(4.0))})
    assert reply.status_code == 201, reply.text
    changed = await shop.api.patch(f"/contact/{contact_id}", json={"status": "Unsubscribed"})
    assert changed.status_code == 200, changed.text
    path = f"/message/{reply.json()['messageId']}"
    failed = await wait_for_status(shop.api, path, "Failed")
    assert reply.json()["messageId"] not in scheduling.handed_off()
    refused = assert_problem(await shop.api.post("/broadcast", json=message), 422)
    assert failed["failureReason"] == refused["detail"]


async def test_schedule__window_open_at_send_time_is_sent_even_if_reopened_meanwhile(
    scheduling: Scheduling, shop: Tenant
) -> None:
    number = fresh_number()
    contact_id = await shop.contact(number=number)
    await set_last_inbound(shop, contact_id, utcnow() - timedelta(hours=24) + timedelta(seconds=3))
    accepted = await schedule(shop, contact_id, soon(5.0))
    # The customer writes again: the window is open again when the message falls due.
    written = await shop.api.post(
        "/sandbox/inbound", json={"from": number, "to": shop.phone_number, "text": "Still there?"}
    )
    assert written.status_code == 202, written.text
    await wait_for_status(shop.api, f"/message/{accepted['messageId']}", "Read")


@pytest.mark.parametrize(
    ("send_at", "complaint"),
    [
        (lambda: wire(utcnow() - timedelta(minutes=1)), "future"),
        (lambda: wire(utcnow()), "future"),
        (lambda: wire(utcnow() + timedelta(days=30, minutes=1)), "30 days"),
        (lambda: (utcnow() + timedelta(hours=1)).replace(tzinfo=None).isoformat(), "timezone"),
        (lambda: "tomorrow at nine", "datetime"),
        (lambda: "2026-13-01T09:00:00Z", "datetime"),
    ],
)
async def test_schedule__send_at_out_of_range_or_without_offset_is_422(
    scheduling: Scheduling, shop: Tenant, send_at: Any, complaint: str
) -> None:
    contact_id = await shop.contact()
    template_id = await template(shop)
    for path, body in (
        ("/message", {"message": "Hi"}),
        ("/broadcast", {"templateId": template_id, "parameters": ["Ann", "the sale"]}),
    ):
        reply = await shop.api.post(
            path,
            json={
                "apiAccountId": shop.account_id,
                "contactId": contact_id,
                "sendAt": send_at(),
                **body,
            },
        )
        problem = assert_problem(reply, 422)
        assert [error["field"] for error in problem["errors"]] == ["sendAt"], problem
        assert complaint in problem["errors"][0]["message"].lower(), problem


async def test_schedule__thirty_days_ahead_is_accepted(
    scheduling: Scheduling, shop: Tenant
) -> None:
    contact_id = await shop.contact()
    accepted = await schedule(
        shop, contact_id, utcnow() + timedelta(days=30) - timedelta(minutes=1)
    )
    assert accepted["status"] == "Pending"


async def test_schedule__idempotency_key_replays_the_first_answer(
    scheduling: Scheduling, shop: Tenant
) -> None:
    contact_id = await shop.contact()
    body = {
        "apiAccountId": shop.account_id,
        "contactId": contact_id,
        "message": "Once",
        "sendAt": wire(soon(2.5)),
    }
    headers = {"Idempotency-Key": uuid.uuid4().hex}
    first = await shop.api.post("/message", json=body, headers=headers)
    assert first.status_code == 201, first.text
    await wait_handed_off(scheduling, first.json()["messageId"])
    # Even once sendAt has passed, the retry is answered as the first was.
    again = await shop.api.post("/message", json=body, headers=headers)
    assert again.status_code == 201, again.text
    assert again.json()["messageId"] == first.json()["messageId"]
    listed = await shop.api.get("/message", params={"contactId": contact_id})
    outbound = [m for m in listed.json()["items"] if m["direction"] == "Outbound"]
    assert len(outbound) == 1


async def test_cancel__a_scheduled_message_never_goes_out(
    scheduling: Scheduling, shop: Tenant
) -> None:
    contact_id = await shop.contact()
    send_at = soon(2.5)
    accepted = await schedule(shop, contact_id, send_at)
    reply = await shop.api.post(f"/message/{accepted['messageId']}/cancel")
    assert reply.status_code == 200, reply.text
    cancelled = reply.json()
    assert cancelled["status"] == "Failed" and cancelled["failureReason"] == "cancelled"
    assert cancelled["failedAt"] is not None
    again = await shop.api.post(f"/message/{accepted['messageId']}/cancel")
    assert again.status_code == 200 and again.json() == cancelled
    await asyncio.sleep(send_at.timestamp() - time.time() + ON_TIME)
    assert accepted["messageId"] not in scheduling.handed_off()
    shown = (await shop.api.get(f"/message/{accepted['messageId']}")).json()
    assert shown == cancelled


async def test_cancel__once_it_has_gone_out_is_409(scheduling: Scheduling, shop: Tenant) -> None:
    contact_id = await shop.contact()
    accepted = await schedule(shop, contact_id, soon(2.0))
    await wait_for_status(shop.api, f"/message/{accepted['messageId']}", "Read")
    reply = await shop.api.post(f"/message/{accepted['messageId']}/cancel")
    assert_problem(reply, 409)
    now = await shop.api.post(
        "/message",
        json={"apiAccountId": shop.account_id, "contactId": contact_id, "message": "Now"},
    )
    assert_problem(await shop.api.post(f"/message/{now.json()['messageId']}/cancel"), 409)


async def test_cancel__another_organisations_message_is_404(
    scheduling: Scheduling, shop: Tenant
) -> None:
    contact_id = await shop.contact()
    accepted = await schedule(shop, contact_id, utcnow() + timedelta(hours=1))
    stranger = await new_tenant(scheduling.server)
    try:
        reply = await stranger.api.post(f"/message/{accepted['messageId']}/cancel")
        assert_problem(reply, 404)
        assert_problem(await shop.api.post(f"/message/{uuid.uuid4()}/cancel"), 404)
    finally:
        await stranger.api.aclose()
    still = (await shop.api.get(f"/message/{accepted['messageId']}")).json()
    assert still["status"] == "Pending"
