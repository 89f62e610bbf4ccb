"""The embedded default as a user meets it: one command, demo data, restarts, tenancy."""

from __future__ import annotations

import signal
import sqlite3
import time
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.processes import cli, serving, serving_process
from tests.support import fresh_number, new_tenant, own_settings, running, wait_for_status

DEMO = {"username": "demo@msgboxx.local", "password": "demo-password"}


def client(base: str, credentials: dict[str, str]) -> httpx.Client:
    token = httpx.post(f"{base}/oauth/token", json=credentials).json()["access_token"]
    return httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"})


def walk_through(api: httpx.Client) -> dict[str, Any]:
    """The README's walk-through: account, contact by number, send, watch it to Read."""
    account = api.get("/apiaccount").json()["items"][0]
    contacts = api.get(
        "/contact",
        params={"apiAccountId": account["apiAccountId"], "mobileNumber": "447902111123"},
    ).json()
    contact = contacts["items"][0]
    sent = api.post(
        "/message",
        json={
            "apiAccountId": account["apiAccountId"],
            "contactId": contact["contactId"],
            "message": "Hi John, that sounds good progress, kepp me informed please. ",
        },
    )
    assert sent.status_code == 201, sent.text
    seen = [sent.json()["status"]]
    deadline = time.monotonic() + 20
    while seen[-1] != "Read" and time.monotonic() < deadline:
        status = api.get(f"/message/{sent.json()['messageId']}").json()["status"]
        if status != seen[-1]:
            seen.append(status)
        time.sleep(0.05)
    return {"account": account, "contact": contact, "statuses": seen}


@pytest.mark.skipif(
    "MSGBOXX_TEST_DATABASE_URL" in __import__("os").environ,
    reason="the demo belongs to the embedded SQLite default",
)
def test_demo__walk_through_restart_and_no_duplicates(data_dir: Path) -> None:
    # Each status lasts 0.8 s: a poll every 50 ms sees it even if the server stalls
    # for a few hundred milliseconds (it did, once, at 0.2 s apart in CI).
    fast = {
        "MSGBOXX_SANDBOX_SENT_DELAY": "0.2",
        "MSGBOXX_SANDBOX_DELIVERED_DELAY": "1.0",
        "MSGBOXX_SANDBOX_READ_DELAY": "1.8",
    }
    with serving(data_dir, **fast) as base, client(base, DEMO) as api:
        first = walk_through(api)
        assert first["statuses"] == ["Pending", "Sent", "Delivered", "Read"]
        assert first["account"]["phoneNumber"] == "+447777123156"
        templates = api.get("/template").json()["items"]
        assert [(t["name"], t["status"]) for t in templates] == [("follow_up", "Approved")]
    with serving(data_dir, **fast) as base, client(base, DEMO) as api:
        assert api.get("/apiaccount").json()["paging"]["recordCount"] == 1
        assert api.get("/contact").json()["paging"]["recordCount"] == 1
        assert api.get("/template").json()["paging"]["recordCount"] == 1
        kept = api.get("/message", params={"direction": "Outbound"}).json()
        assert kept["paging"]["recordCount"] == 1  # the first run's message is still there
        second = walk_through(api)
        assert second["contact"]["contactId"] == first["contact"]["contactId"]


@pytest.mark.skipif(
    "MSGBOXX_TEST_DATABASE_URL" in __import__("os").environ,
    reason="the demo belongs to the embedded SQLite default",
)
def test_second_organisation__cannot_see_or_touch_the_first(data_dir: Path) -> None:
    with serving(data_dir) as base, client(base, DEMO) as demo:
        demo_account = demo.get("/apiaccount").json()["items"][0]["apiAccountId"]
        demo_contact = demo.get("/contact").json()["items"][0]["contactId"]
        demo_template = demo.get("/template").json()["items"][0]["templateId"]
        demo_message = demo.get("/message").json()["items"][0]["messageId"]
        inbox = demo.get("/inboxes").json()["items"][0]["inboxId"]
        org = cli(data_dir, "admin", "org", "create", "Rival").stdout.strip()
        cli(
            data_dir,
            "admin",
            "user",
            "create",
            "rival@example.com",
            "--org",
            org,
            "--role",
            "admin",
            "--password-stdin",
            stdin="rival-password\n",
        )
        own = cli(
            data_dir,
            "admin",
            "apiaccount",
            "create",
            "--org",
            org,
            "--phone",
            fresh_number(),
            "--name",
            "Rival",
        ).stdout.strip()
        with client(base, {"username": "rival@example.com", "password": "rival-password"}) as rival:
            assert [a["apiAccountId"] for a in rival.get("/apiaccount").json()["items"]] == [own]
            for path in (
                f"/apiaccount/{demo_account}",
                f"/contact/{demo_contact}",
                f"/template/{demo_template}",
                f"/message/{demo_message}",
                f"/inbox/{inbox}",
            ):
                reply = rival.get(path)
                assert reply.status_code == 404, path
            for collection in ("/contact", "/message", "/template", "/broadcast"):
                assert rival.get(collection).json()["paging"]["recordCount"] == 0, collection
            assert rival.get(f"/contact?apiAccountId={demo_account}").json()["items"] == []
            assert rival.patch(f"/contact/{demo_contact}", json={"name": "x"}).status_code == 404
            assert rival.delete(f"/contact/{demo_contact}").status_code == 404
            send = rival.post(
                "/message",
                json={"apiAccountId": demo_account, "contactId": demo_contact, "message": "hi"},
            )
            assert send.status_code == 404
            broadcast = rival.post(
                "/broadcast",
                json={
                    "apiAccountId": demo_account,
                    "contactId": demo_contact,
                    "templateId": demo_template,
                    "parameters": ["a", "b"],
                },
            )
            assert broadcast.status_code == 404
            inbound = rival.post(
                "/sandbox/inbound",
                json={"from": "+447902111124", "to": "+447777123156", "text": "hi"},
            )
            assert inbound.status_code == 404
        assert demo.get(f"/contact/{demo_contact}").json()["name"] == "Test Customer"


async def test_restart__pending_messages_are_sent_after_a_restart(data_dir: Path) -> None:
    stopped_settings = await own_settings(data_dir, database="msgboxx_test_restart", dispatch=False)
    async with running(stopped_settings) as stopped:
        tenant = await new_tenant(stopped)
        contact_id = await tenant.contact()
        ids = []
        for n in range(5):
            reply = await tenant.api.post(
                "/message",
                json={
                    "apiAccountId": tenant.account_id,
                    "contactId": contact_id,
                    "message": f"queued {n}",
                },
            )
            ids.append(reply.json()["messageId"])
        assert {(await tenant.api.get(f"/message/{i}")).json()["status"] for i in ids} == {
            "Pending"
        }
        await tenant.api.aclose()
    restarted_settings = stopped_settings.model_copy(update={"dispatch": True})
    async with running(restarted_settings) as restarted, restarted.client(tenant.token) as api:
        for message_id in ids:
            await wait_for_status(api, f"/message/{message_id}", "Read")


async def test_restart__messages_left_at_sent_reach_read_after_a_restart(data_dir: Path) -> None:
    """The sandbox's pending reports die with its process; the network's do not.

    The first server stops while its messages wait for Delivered and Read (due in
    a minute); the server started again reports them, stamped when they happened.
    """
    slow = await own_settings(
        data_dir,
        database="msgboxx_test_resume",
        sandbox_sent_delay=0.02,
        sandbox_delivered_delay=60,
        sandbox_read_delay=120,
    )
    async with running(slow) as first:
        tenant = await new_tenant(first)
        contact_ids = [await tenant.contact() for _ in range(3)]
        paths = []
        for contact_id in contact_ids:
            reply = await tenant.api.post(
                "/message",
                json={"apiAccountId": tenant.account_id, "contactId": contact_id, "message": "hi"},
            )
            assert reply.status_code == 201, reply.text
            paths.append(f"/message/{reply.json()['messageId']}")
        for path in paths:
            await wait_for_status(tenant.api, path, "Sent")
        await tenant.api.aclose()
    restarted_at = time.time()
    quick = slow.model_copy(update={"sandbox_delivered_delay": 0.05, "sandbox_read_delay": 0.08})
    async with running(quick) as again, again.client(tenant.token) as api:
        for path in paths:
            body = await wait_for_status(api, path, "Read")
            assert body["sentAt"] < body["deliveredAt"] < body["readAt"]
            # When it happened (hand-off + delay), not when the restarted process said so.
            read_at = datetime.fromisoformat(body["readAt"].replace("Z", "+00:00"))
            assert read_at.timestamp() < restarted_at


def hand_offs(log: Path) -> dict[str, list[tuple[str, int]]]:
    """What the sandbox network accepted, per message: (provider id, pid) in order."""
    sends: dict[str, list[tuple[str, int]]] = defaultdict(list)
    if log.exists():
        for line in log.read_text().splitlines():
            message_id, provider_id, pid, _at = line.split()
            sends[message_id].append((provider_id, int(pid)))
    return sends


@pytest.mark.skipif(
    "MSGBOXX_TEST_DATABASE_URL" in __import__("os").environ,
    reason="the embedded default is SQLite; the PostgreSQL worker's kill is in test_scale_out",
)
def test_kill__serve_killed_mid_burst_ends_with_every_message_read_and_none_sent_twice(
    data_dir: Path,
) -> None:
    """kill -9 of the embedded default mid-burst: after a restart every message is Read.

    The lease is an hour: the restarted process takes back its own claims at
    once, and reports what its sandbox still owed for messages already Sent.
    """
    log = data_dir.parent / "hand-offs.log"
    env = {
        "MSGBOXX_SANDBOX_HAND_OFF_LOG": str(log),
        "MSGBOXX_SANDBOX_SEND_LATENCY": "0.1",
        "MSGBOXX_SANDBOX_SENT_DELAY": "0.1",
        "MSGBOXX_SANDBOX_DELIVERED_DELAY": "1.5",
        "MSGBOXX_SANDBOX_READ_DELAY": "3",
        "MSGBOXX_NUMBER_THROUGHPUT": "20",
        "MSGBOXX_PAIR_INTERVAL_SECONDS": "0",
        "MSGBOXX_DISPATCH_BATCH_SIZE": "10",
        "MSGBOXX_DISPATCH_MAX_IN_FLIGHT": "10",
        "MSGBOXX_DISPATCH_LEASE_SECONDS": "3600",
        "MSGBOXX_LOG_LEVEL": "WARNING",
    }
    burst = 120
    with serving_process(data_dir, **env) as (victim, base), client(base, DEMO) as api:
        number = api.get("/apiaccount").json()["items"][0]
        accepted = []
        for n in range(burst):
            customer = fresh_number()
            opened = api.post(
                "/sandbox/inbound",
                json={"from": customer, "to": number["phoneNumber"], "text": "Hi"},
            )
            assert opened.status_code == 202, opened.text
            reply = api.post(
                "/message",
                json={
                    "apiAccountId": number["apiAccountId"],
                    "contactId": opened.json()["contactId"],
                    "message": f"burst {n}",
                },
            )
            assert reply.status_code == 201, reply.text
            accepted.append(reply.json()["messageId"])
        deadline = time.monotonic() + 60
        while len(hand_offs(log)) < burst // 4:  # mid-way through the burst
            assert time.monotonic() < deadline, "the burst never got going"
            time.sleep(0.02)
        victim.send_signal(signal.SIGKILL)
        victim.wait()
    killed = victim.pid
    before = {m: s[:] for m, s in hand_offs(log).items()}
    assert len(before) < burst, "the whole burst went out before the kill"

    with serving_process(data_dir, **env) as (_again, base), client(base, DEMO) as api:
        deadline = time.monotonic() + 90  # the lease (an hour) is never waited for
        left = list(accepted)
        while left:
            statuses = {m: api.get(f"/message/{m}").json()["status"] for m in left}
            left = [m for m, status in statuses.items() if status != "Read"]
            assert time.monotonic() < deadline, f"not Read after the restart: {statuses}"
            time.sleep(0.2)

    sends = hand_offs(log)
    assert set(sends) == set(accepted), "a message was never handed to the network"
    with sqlite3.connect(data_dir / "msgboxx.db") as db:
        recorded = dict(db.execute("SELECT id, provider_message_id FROM messages"))
    for message_id, handed in sends.items():
        if len(handed) > 1:
            # The one unavoidable repeat: the network took it, the process died
            # before recording that. Only then, once, and the second send counts.
            assert len(handed) == 2, handed
            assert handed[0][1] == killed and handed[1][1] != killed
            assert len(before.get(message_id, [])) == 1
        assert recorded[message_id.replace("-", "")] == handed[-1][0]
    repeated = [m for m, handed in sends.items() if len(handed) > 1]
    assert len(repeated) <= 10, "more repeats than the killed process had out at once"
