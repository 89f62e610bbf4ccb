"""sendAt: the runner holds a campaign until it is due, from the table, across restarts."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from msgboxx import demo
from tests.campaigns.support import contacts, create, template, wait_campaign
from tests.support import Tenant
from tests.webhooks.receiver import free_port

MSGBOXX = str(Path(sys.executable).with_name("msgboxx"))


def at(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def stamp(when: datetime) -> str:
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


async def test_send_at__starts_within_a_second_of_it(tenant: Tenant) -> None:
    template_id = await template(tenant)
    await contacts(tenant, 3, attributes={"order": "A-1"})
    send_at = datetime.now(UTC) + timedelta(seconds=4)
    created = await create(tenant, template_id, sendAt=stamp(send_at))
    assert created["status"] == "scheduled" and at(created["sendAt"]) == send_at.replace(
        microsecond=send_at.microsecond // 1000 * 1000
    )
    await asyncio.sleep(1.0)
    early = (await tenant.api.get(f"/campaign/{created['campaignId']}")).json()
    assert early["status"] == "scheduled", (early, created, stamp(send_at))
    assert early["counts"]["queued"] == 0
    done = await wait_campaign(tenant, created["campaignId"], lambda b: b["status"] == "completed")
    started = at(done["startedAt"])
    assert send_at <= started + timedelta(milliseconds=1) and started - send_at < timedelta(
        seconds=1
    )


@asynccontextmanager
async def serve(data_dir: Path, log: Path) -> AsyncIterator[str]:
    """``msgboxx serve`` as users run it (the embedded default and its demo), in a process."""
    port = free_port()
    env = {**os.environ, "MSGBOXX_DATA_DIR": str(data_dir), "MSGBOXX_PORT": str(port)}
    env.pop("MSGBOXX_DATABASE_URL", None)
    with log.open("ab") as out:
        process = await asyncio.create_subprocess_exec(
            MSGBOXX, "serve", env=env, stdout=out, stderr=out
        )
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base) as probe:
            for _ in range(400):
                try:
                    if (await probe.get("/readyz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if process.returncode is not None:
                    raise AssertionError(await asyncio.to_thread(log.read_text))
                await asyncio.sleep(0.05)
            else:
                raise AssertionError(await asyncio.to_thread(log.read_text))
        yield base
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        await process.wait()


@asynccontextmanager
async def signed_in(base: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=base, timeout=30) as api:
        token = await api.post(
            "/oauth/token", json={"username": demo.EMAIL, "password": demo.PASSWORD}
        )
        api.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        yield api


async def test_send_at__fires_on_time_after_a_restart(tmp_path: Path) -> None:
    data_dir, log = tmp_path / "data", tmp_path / "serve.log"
    began = asyncio.get_running_loop().time()
    async with serve(data_dir, log) as base, signed_in(base) as api:
        # Time enough to stop and start again before sendAt, however busy the machine.
        lead = max(8.0, 3 * (asyncio.get_running_loop().time() - began) + 3)
        account_id = (await api.get("/apiaccount")).json()["items"][0]["apiAccountId"]
        template_id = (await api.get("/template")).json()["items"][0]["templateId"]
        send_at = datetime.now(UTC) + timedelta(seconds=lead)
        created = await api.post(
            "/campaign",
            json={
                "name": "After the restart",
                "apiAccountId": account_id,
                "templateId": template_id,
                "audience": {"all": True},
                "parameters": ["{{contact.name}}", "the msgboxx platform"],
                "sendAt": stamp(send_at),
            },
        )
        assert created.status_code == 201, created.text
        campaign_id = created.json()["campaignId"]
    async with serve(data_dir, log) as base, signed_in(base) as api:
        assert datetime.now(UTC) < send_at - timedelta(seconds=1), "restarted too late to tell"
        deadline = asyncio.get_running_loop().time() + lead + 30
        shown = {}
        while asyncio.get_running_loop().time() < deadline:
            shown = (await api.get(f"/campaign/{campaign_id}")).json()
            if shown["status"] == "completed" and shown["counts"]["sent"] >= 1:
                break
            await asyncio.sleep(0.1)
        assert shown["status"] == "completed", shown
    started = at(shown["startedAt"])
    assert send_at - timedelta(milliseconds=1) <= started < send_at + timedelta(seconds=1)
    assert shown["counts"]["targeted"] >= 1
    assert shown["counts"]["queued"] == shown["counts"]["targeted"]
