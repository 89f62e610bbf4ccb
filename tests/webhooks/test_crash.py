"""A process killed between a change and its delivery loses no event."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from msgboxx import demo
from tests.support import fresh_number
from tests.webhooks.receiver import Receiver, free_port, verify

MSGBOXX = str(Path(sys.executable).with_name("msgboxx"))


@asynccontextmanager
async def serve(data_dir: Path, log: Path) -> AsyncIterator[tuple[asyncio.subprocess.Process, str]]:
    """``msgboxx serve`` as users run it, on a data folder, in its own process."""
    port = free_port()
    env = {
        **os.environ,
        "MSGBOXX_DATA_DIR": str(data_dir),
        "MSGBOXX_PORT": str(port),
        "MSGBOXX_WEBHOOK_ALLOW_PRIVATE": "true",
        "MSGBOXX_WEBHOOK_TIMEOUT_SECONDS": "1",
        "MSGBOXX_WEBHOOK_LEASE_SECONDS": "3",
        "MSGBOXX_WEBHOOK_BACKOFF_BASE": "0.1",
        "MSGBOXX_WEBHOOK_BACKOFF_MAX": "0.5",
        "MSGBOXX_WEBHOOK_POLL_INTERVAL": "0.1",
    }
    env.pop("MSGBOXX_DATABASE_URL", None)
    with log.open("ab") as out:
        process = await asyncio.create_subprocess_exec(
            MSGBOXX, "serve", env=env, stdout=out, stderr=out
        )
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base) as probe:
            for _ in range(300):
                try:
                    if (await probe.get("/readyz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if process.returncode is not None:
                    raise AssertionError(await asyncio.to_thread(log.read_text))
                await asyncio.sleep(0.05)
            else:
                raise AssertionError(
                    "msgboxx serve did not start:\n" + await asyncio.to_thread(log.read_text)
                )
        yield process, base
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()


async def test_crash__kill_9_after_the_change_commits_loses_no_event(tmp_path: Path) -> None:
    data_dir, log = tmp_path / "data", tmp_path / "serve.log"
    receiver = Receiver(port=free_port())  # down: nothing can be delivered before the kill
    number = fresh_number()
    async with serve(data_dir, log) as (process, base):
        async with httpx.AsyncClient(base_url=base) as api:
            token = await api.post(
                "/oauth/token", json={"username": demo.EMAIL, "password": demo.PASSWORD}
            )
            api.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
            account_id = (await api.get("/apiaccount")).json()["items"][0]["apiAccountId"]
            hook = await api.post(
                "/webhook", json={"targetUrl": receiver.url(), "events": ["contact.created"]}
            )
            assert hook.status_code == 201, hook.text
            created = await api.post(
                "/contact", json={"mobileNumber": number, "apiAccountId": account_id}
            )
            assert created.status_code == 201, created.text
        process.send_signal(signal.SIGKILL)  # the change is committed; the event not sent
        await process.wait()
        assert process.returncode == -signal.SIGKILL
    await receiver.start()
    try:
        async with serve(data_dir, log):
            got = await receiver.wait_for(lambda r: len(r) >= 1, within=20)
        event = verify(hook.json()["secret"], got[0])
        assert event["type"] == "contact.created"
        assert event["data"]["contactId"] == created.json()["contactId"]
        assert event["data"]["mobileNumber"] == number
    finally:
        await receiver.stop()
