"""The web inbox's test bench: a real ``msgboxx serve``, an organisation in its store, a browser.

The organisation is written straight into the server's store through the
services (as ``msgboxx admin`` would), and everything after that goes through
HTTP: the browser's pages, and the API for what a customer or another tool does.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from playwright.async_api import BrowserContext, Page, expect

from msgboxx import wiring
from msgboxx.accounts import service as accounts
from msgboxx.auth import service as auth
from msgboxx.db import Database
from msgboxx.templates import service as templates
from msgboxx.templates.status import TemplateStatus
from tests.support import PASSWORD, fresh_number, test_settings

TEMPLATE_TEXT = "Hi {{1}}, your order {{2}} is ready."

# Statuses slow enough to watch each tick arrive, quick enough for a test.
SERVER_ENV = {
    "MSGBOXX_DEMO": "false",
    "MSGBOXX_SANDBOX_SENT_DELAY": "0.3",
    "MSGBOXX_SANDBOX_DELIVERED_DELAY": "0.8",
    "MSGBOXX_SANDBOX_READ_DELAY": "1.5",
    "MSGBOXX_DISPATCH_POLL_INTERVAL": "0.05",
    "MSGBOXX_LOGIN_ATTEMPTS_PER_MINUTE": "10000",
}


@dataclass
class Team:
    """An organisation with an admin, an agent on account A only, and accounts A and B."""

    base_url: str
    admin_email: str
    agent_email: str
    account_a: str
    inbox_a: str
    number_a: str
    account_b: str
    inbox_b: str
    number_b: str
    admin_token: str

    def api(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {self.admin_token}"},
            timeout=30,
        )

    async def customer_writes(self, text: str, *, number: str | None = None) -> dict[str, str]:
        """A customer's message to account A, through the sandbox: window opened, contact made."""
        async with self.api() as api:
            reply = await api.post(
                "/sandbox/inbound",
                json={"from": number or fresh_number(), "to": self.number_a, "text": text},
            )
        assert reply.status_code == 202, reply.text
        found: dict[str, str] = reply.json()
        return found

    def conversation_url(self, contact_id: str) -> str:
        return f"{self.base_url}/app/inbox/{self.inbox_a}/c/{contact_id}"


def store_of(data_dir: Path) -> Database:
    """The server's own store (its SQLite file, or the test run's PostgreSQL database)."""
    return wiring.open_database(test_settings(data_dir))


async def new_team(db: Database, base_url: str) -> Team:
    suffix = uuid.uuid4().hex[:8]
    admin_email, agent_email = f"admin-{suffix}@example.com", f"agent-{suffix}@example.com"
    number_a, number_b = fresh_number(), fresh_number()
    async with db.tx(write=True) as tx:
        org = await auth.create_organisation(tx, name=f"Web inbox {suffix}")
        await auth.create_user(
            tx, org_id=org.id, email=admin_email, password=PASSWORD, role="admin"
        )
        agent = await auth.create_user(
            tx, org_id=org.id, email=agent_email, password=PASSWORD, role="agent"
        )
        account_a, inbox_a = await accounts.create(
            tx, org_id=org.id, phone_number=number_a, name=f"Shop A {suffix}"
        )
        account_b, inbox_b = await accounts.create(
            tx, org_id=org.id, phone_number=number_b, name=f"Shop B {suffix}"
        )
        await accounts.assign_agent(tx, account_id=account_a.id, user_id=agent.id)
        await templates.create(
            tx,
            account=account_a,
            name="order_ready",
            text=TEMPLATE_TEXT,
            example="Hi Ann, your order 42 is ready.",
            status=TemplateStatus.approved,
        )
        ids = (account_a.id, inbox_a.id, account_b.id, inbox_b.id)
        await tx.commit()
    async with httpx.AsyncClient(base_url=base_url) as client:
        reply = await client.post(
            "/oauth/token", json={"username": admin_email, "password": PASSWORD}
        )
    assert reply.status_code == 200, reply.text
    return Team(
        base_url=base_url,
        admin_email=admin_email,
        agent_email=agent_email,
        account_a=str(ids[0]),
        inbox_a=str(ids[1]),
        number_a=number_a,
        account_b=str(ids[2]),
        inbox_b=str(ids[3]),
        number_b=number_b,
        admin_token=reply.json()["access_token"],
    )


async def sign_in(page: Page, base_url: str, email: str, password: str = PASSWORD) -> None:
    await page.goto(f"{base_url}/app/")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="Inboxes")).to_be_visible()


@asynccontextmanager
async def watching_dialogs(context: BrowserContext) -> AsyncIterator[list[str]]:
    """Every alert/confirm a page opens (a script injected through data would open one)."""
    opened: list[str] = []

    def on_page(page: Page) -> None:
        page.on("dialog", lambda dialog: opened.append(dialog.message))

    context.on("page", on_page)
    for page in context.pages:
        on_page(page)
    yield opened


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert found is not None, "the page carries no CSRF token"
    return found.group(1)
