"""Live changes between real processes: ``msgboxx serve`` on SQLite, and a scale-out on PostgreSQL.

On PostgreSQL a viewer's stream on one API process must show what a worker and
another API process commit (LISTEN/NOTIFY), each change once, and keep doing so
after the feed's connection is cut.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest

from msgboxx import demo, wiring
from msgboxx.accounts import service as accounts
from msgboxx.auth import service as auth
from msgboxx.db import migrate
from msgboxx.live.feed import APPLICATION_NAME
from tests import postgres
from tests.dispatch.fleet import Fleet
from tests.live.streams import Event, LiveStream
from tests.processes import serving_process
from tests.support import PASSWORD, fresh_number

pytestmark = pytest.mark.skipif(
    "MSGBOXX_TEST_DATABASE_URL" in os.environ,
    reason="starts its own processes on SQLite and its own PostgreSQL database; "
    "already run in the SQLite pass",
)

SANDBOX = {
    "MSGBOXX_SANDBOX_SENT_DELAY": "0.05",
    "MSGBOXX_SANDBOX_DELIVERED_DELAY": "0.1",
    "MSGBOXX_SANDBOX_READ_DELAY": "0.15",
    "MSGBOXX_DISPATCH_POLL_INTERVAL": "0.05",
}
SECRET = "live-test-signing-key-shared-by-every-process-0123456789"


def _about(resource: str) -> Callable[[Event], bool]:
    return lambda event: event.data["resourceId"] == resource


async def _token(base: str, email: str, password: str) -> str:
    async with httpx.AsyncClient(base_url=base) as client:
        reply = await client.post("/oauth/token", json={"username": email, "password": password})
    assert reply.status_code == 200, reply.text
    return str(reply.json()["access_token"])


def _client(base: str, token: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )


async def _customer_writes(api: httpx.AsyncClient, to: str) -> dict[str, str]:
    reply = await api.post(
        "/sandbox/inbound", json={"from": fresh_number(), "to": to, "text": "Is it in stock?"}
    )
    assert reply.status_code == 202, reply.text
    body: dict[str, str] = reply.json()
    return body


async def _send(api: httpx.AsyncClient, account_id: str, contact_id: str) -> str:
    reply = await api.post(
        "/message",
        json={"apiAccountId": account_id, "contactId": contact_id, "message": "Yes, it is"},
    )
    assert reply.status_code == 201, reply.text
    return str(reply.json()["messageId"])


async def _through_read(stream: LiveStream, message_id: str) -> list[Event]:
    """The stream's events up to the message's third status change (Sent, Delivered, Read)."""
    events: list[Event] = []
    for _ in range(3):
        events += await stream.until(
            lambda e: e.kind == "message.status" and e.data["resourceId"] == message_id
        )
    return events


# -- SQLite: the embedded default ---------------------------------------------------------


@contextlib.contextmanager
def _embedded(data_dir: Path) -> object:
    sqlite = f"sqlite+aiosqlite:///{data_dir / 'msgboxx.db'}"
    with serving_process(
        data_dir, MSGBOXX_DEMO="true", MSGBOXX_DATABASE_URL=sqlite, **SANDBOX
    ) as running:
        yield running


async def test_serve_sqlite__a_customers_message_and_a_sends_statuses_arrive(
    data_dir: Path,
) -> None:
    with _embedded(data_dir) as (_process, base):
        token = await _token(base, demo.EMAIL, demo.PASSWORD)
        async with _client(base, token) as api:
            [account] = (await api.get("/apiaccount")).json()["items"]
            async with LiveStream(api) as stream:
                inbound = await _customer_writes(api, account["phoneNumber"])
                arrived = await stream.until(_about(inbound["messageId"]))
                message_id = await _send(api, account["apiAccountId"], inbound["contactId"])
                sent = await _through_read(stream, message_id)
            read = (await api.get(f"/message/{message_id}")).json()
    assert [e.kind for e in arrived] == ["contact.created", "message.inbound"]
    assert [e.kind for e in sent] == ["message.created"] + ["message.status"] * 3
    assert {e.data["resourceId"] for e in sent} == {message_id}
    assert read["status"] == "Read"


async def test_serve_sqlite__stops_at_once_with_a_stream_open(data_dir: Path) -> None:
    """uvicorn waits for open responses before stopping: the streams must end themselves."""
    with _embedded(data_dir) as (process, base):
        token = await _token(base, demo.EMAIL, demo.PASSWORD)
        async with _client(base, token) as api, LiveStream(api) as stream:
            process.send_signal(signal.SIGTERM)
            assert await stream.next(timeout=10) is None  # the server ended the stream
            code = await asyncio.to_thread(process.wait, 10)
        port = base.rsplit(":", 1)[1]
        log = (data_dir.parent / f"serve-{port}.log").read_text()
    # A graceful stop (uvicorn then ends the process by the signal it caught).
    assert "Application shutdown complete" in log
    assert code == -signal.SIGTERM


# -- PostgreSQL: two API processes and a worker --------------------------------------------


@dataclass
class ScaleOut:
    url: str
    api: httpx.AsyncClient  # the viewer's API process (serve --no-dispatch)
    other: httpx.AsyncClient  # a second API process, where customers' messages arrive
    api_process: subprocess.Popen[bytes]
    account_id: str
    phone_number: str


@pytest.fixture
async def scale_out(postgres_server: str, tmp_path: Path) -> AsyncIterator[ScaleOut]:
    url = await postgres.fresh_database("msgboxx_live")
    await migrate.run(url)
    crew = Fleet(url=url, workdir=tmp_path)
    db = wiring.open_database(crew.settings())
    email = "owner@example.com"
    phone_number = fresh_number()
    try:
        async with db.tx(write=True) as tx:
            organisation = await auth.create_organisation(tx, name="Live")
            await auth.create_user(
                tx, org_id=organisation.id, email=email, password=PASSWORD, role="admin"
            )
            account, _inbox = await accounts.create(
                tx, org_id=organisation.id, phone_number=phone_number, name="Live shop"
            )
            await tx.commit()
    finally:
        await db.dispose()
    env = {"MSGBOXX_DATABASE_URL": url, "MSGBOXX_SECRET_KEY": SECRET, "MSGBOXX_DEMO": "false"}
    with contextlib.ExitStack() as stack:
        api_process, first = stack.enter_context(
            serving_process(tmp_path / "api-1", "--no-dispatch", **env)
        )
        _process, second = stack.enter_context(
            serving_process(tmp_path / "api-2", "--no-dispatch", **env)
        )
        crew.start_worker(MSGBOXX_SECRET_KEY=SECRET)
        stack.callback(crew.stop_all)
        await asyncio.to_thread(crew.wait_until_running, 1)
        token = await _token(first, email, PASSWORD)
        async with _client(first, token) as api, _client(second, token) as other:
            yield ScaleOut(url, api, other, api_process, str(account.id), phone_number)


async def test_postgres__a_stream_shows_another_api_processs_inbound_and_the_workers_statuses(
    scale_out: ScaleOut,
) -> None:
    s = scale_out
    async with LiveStream(s.api) as stream:
        inbound = await _customer_writes(s.other, s.phone_number)  # on the other API process
        arrived = await stream.until(_about(inbound["messageId"]))
        message_id = await _send(s.api, s.account_id, inbound["contactId"])  # on this one
        sent = await _through_read(stream, message_id)  # statuses committed by the worker
        marker = await _customer_writes(s.other, s.phone_number)
        after = await stream.until(_about(marker["messageId"]))
    assert [e.kind for e in arrived] == ["contact.created", "message.inbound"]
    # Each change once: this process's own (the accept) is not heard back from PostgreSQL.
    assert [e.kind for e in sent] == ["message.created"] + ["message.status"] * 3
    assert message_id not in {e.data["resourceId"] for e in after}
    assert [e.id for e in arrived + sent + after] == list(range(1, 1 + len(arrived + sent + after)))


async def _terminate_feed_connection(url: str, pid: int) -> int:
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        ended = await connection.fetch(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
            f"{APPLICATION_NAME} {pid}",
        )
    finally:
        await connection.close()
    return len(ended)


async def test_postgres__a_cut_feed_connection_is_made_again_and_changes_arrive_again(
    scale_out: ScaleOut,
) -> None:
    s = scale_out
    async with LiveStream(s.api) as stream:
        assert await _terminate_feed_connection(s.url, s.api_process.pid) == 1
        # Changes may have been missed meanwhile: the viewer is told to fetch afresh.
        reset = await stream.next(timeout=20)
        assert reset is not None and reset.kind == "reset", reset
        assert reset.data == {"reason": "reconnected"}
        assert await stream.next() is None
    async with LiveStream(s.api) as stream:  # as a browser reconnects
        inbound = await _customer_writes(s.other, s.phone_number)
        arrived = await stream.until(_about(inbound["messageId"]))
        message_id = await _send(s.api, s.account_id, inbound["contactId"])
        sent = await _through_read(stream, message_id)
    assert [e.kind for e in arrived] == ["contact.created", "message.inbound"]
    assert [e.kind for e in sent] == ["message.created"] + ["message.status"] * 3
