"""The embedded default as a user meets it: one command, demo data, restarts, tenancy."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.processes import cli, serving
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
    fast = {
        "MSGBOXX_SANDBOX_SENT_DELAY": "0.2",
        "MSGBOXX_SANDBOX_DELIVERED_DELAY": "0.4",
        "MSGBOXX_SANDBOX_READ_DELAY": "0.6",
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
