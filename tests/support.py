"""Test support: a real server on a real socket, clients, and tenants to use it."""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

from msgboxx.accounts import service as accounts
from msgboxx.app import create_app
from msgboxx.auth import service as auth
from msgboxx.db import Database
from msgboxx.settings import Settings

PASSWORD = "correct horse battery"
_numbers = itertools.count(random.randint(0, 5000) * 100)


def fresh_number() -> str:
    """A valid UK mobile number no other test has used in this run."""
    return f"+44790{2000000 + next(_numbers) % 8000000:07d}"


def test_settings(data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "demo": False,
        "sandbox_sent_delay": 0.02,
        "sandbox_delivered_delay": 0.05,
        "sandbox_read_delay": 0.08,
        "dispatch_poll_interval": 0.05,
        "dispatch_backoff_base": 0.05,
        "dispatch_backoff_max": 0.2,
        "campaign_poll_interval": 0.05,
        "login_attempts_per_minute": 10_000,
        "webhook_allow_private": True,
        "webhook_timeout_seconds": 1.0,
        "webhook_poll_interval": 0.05,
        "webhook_backoff_base": 0.05,
        "webhook_backoff_max": 0.3,
        # In-process servers run on the tests' own loop, which stands still between
        # tests: a watch would report those pauses (tests/observability tests it).
        "stall_report_ms": 0,
    }
    database_url = os.environ.get("MSGBOXX_TEST_DATABASE_URL")
    if database_url:
        values["database_url"] = database_url
    values.update(overrides)
    return Settings(**values)


test_settings.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test


async def own_settings(data_dir: Path, *, database: str, **overrides: Any) -> Settings:
    """Settings for a server that must not share its store with the session's server.

    On SQLite every data folder is its own store already; on PostgreSQL this server
    gets a fresh database, so that no other server's dispatcher (configured with
    other channels, or running while this one must not) touches its messages.
    """
    if os.environ.get("MSGBOXX_TEST_DATABASE_URL"):
        from msgboxx.db import migrate
        from tests import postgres

        url = await postgres.fresh_database(database)
        await migrate.run(url)
        overrides["database_url"] = url
    return test_settings(data_dir, **overrides)


@dataclass
class Server:
    app: FastAPI
    base_url: str

    @property
    def db(self) -> Database:
        db: Database = self.app.state.db
        return db

    def client(self, token: str | None = None) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.AsyncClient(base_url=self.base_url, headers=headers, timeout=30)


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[Server]:
    """Serve ``create_app(settings)`` on 127.0.0.1 with a free port, in this loop."""
    app = create_app(settings)
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, lifespan="on", **settings.serving_options()
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError("server stopped while starting")
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield Server(app, f"http://127.0.0.1:{port}")
    finally:
        server.should_exit = True
        await task


@dataclass
class Tenant:
    """An organisation with an admin, one API account and a signed-in client."""

    server: Server
    org_id: uuid.UUID
    admin_email: str
    account_id: str
    inbox_id: str
    phone_number: str
    token: str
    api: httpx.AsyncClient

    async def add_user(self, *, role: str) -> tuple[str, httpx.AsyncClient]:
        email = f"{role}-{uuid.uuid4().hex[:10]}@example.com"
        async with self.server.db.tx(write=True) as tx:
            await auth.create_user(
                tx, org_id=self.org_id, email=email, password=PASSWORD, role=role
            )
            await tx.commit()
        token = await login(self.server, email)
        return email, self.server.client(token)

    async def assign(self, email: str) -> None:
        """Assign the user with ``email`` (an agent) to this tenant's account."""
        async with self.server.db.tx(write=True) as tx:
            user = await auth.get_user_by_email(tx, email=email)
            assert user is not None
            await accounts.assign_agent(tx, account_id=uuid.UUID(self.account_id), user_id=user.id)
            await tx.commit()

    async def contact(self, *, number: str | None = None, inbound: bool = True) -> str:
        """A contact of this tenant's account, with its window opened by default."""
        number = number or fresh_number()
        if inbound:
            reply = await self.api.post(
                "/sandbox/inbound", json={"from": number, "to": self.phone_number, "text": "Hi"}
            )
            assert reply.status_code == 202, reply.text
            return str(reply.json()["contactId"])
        reply = await self.api.post(
            "/contact", json={"mobileNumber": number, "apiAccountId": self.account_id}
        )
        assert reply.status_code == 201, reply.text
        return str(reply.json()["contactId"])


async def login(server: Server, email: str, password: str = PASSWORD) -> str:
    async with server.client() as client:
        reply = await client.post("/oauth/token", json={"username": email, "password": password})
    assert reply.status_code == 200, reply.text
    return str(reply.json()["access_token"])


async def new_tenant(server: Server) -> Tenant:
    email = f"admin-{uuid.uuid4().hex[:10]}@example.com"
    number = fresh_number()
    async with server.db.tx(write=True) as tx:
        organisation = await auth.create_organisation(tx, name="Tenant " + email)
        await auth.create_user(
            tx, org_id=organisation.id, email=email, password=PASSWORD, role="admin"
        )
        account, inbox = await accounts.create(
            tx, org_id=organisation.id, phone_number=number, name="Shop " + number
        )
        await tx.commit()
    token = await login(server, email)
    return Tenant(
        server=server,
        org_id=organisation.id,
        admin_email=email,
        account_id=str(account.id),
        inbox_id=str(inbox.id),
        phone_number=number,
        token=token,
        api=server.client(token),
    )


async def wait_for_status(
    api: httpx.AsyncClient,
    path: str,
    wanted: str,
    *,
    timeout: float = 10,
) -> dict[str, Any]:
    """Poll a message or broadcast until it reaches ``wanted`` (or fail with the last body)."""
    deadline = asyncio.get_running_loop().time() + timeout
    body: dict[str, Any] = {}
    while asyncio.get_running_loop().time() < deadline:
        reply = await api.get(path)
        body = reply.json()
        if body.get("status") == wanted:
            return body
        await asyncio.sleep(0.03)
    raise AssertionError(f"{path} never reached {wanted}; last: {body}")


async def wait_until_sent(
    api: httpx.AsyncClient, path: str, *, timeout: float = 10
) -> dict[str, Any]:
    """Poll a message until the network has it (``sentAt`` set), whatever its status now."""
    deadline = asyncio.get_running_loop().time() + timeout
    body: dict[str, Any] = {}
    while asyncio.get_running_loop().time() < deadline:
        body = (await api.get(path)).json()
        if body.get("sentAt") is not None:
            return body
        await asyncio.sleep(0.03)
    raise AssertionError(f"{path} was never sent; last: {body}")


def assert_problem(
    reply: httpx.Response, status: int, *, slug: str | None = None
) -> dict[str, Any]:
    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = reply.json()
    assert body["status"] == status
    assert {"type", "title", "detail", "errors"} <= set(body)
    if slug:
        assert body["type"].endswith(slug), body["type"]
    return body
