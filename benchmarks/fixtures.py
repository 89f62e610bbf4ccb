"""The data a benchmark needs: a tenant, accounts, contacts with open windows, tokens."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert

from benchmarks.procs import SECRET
from msgboxx import wiring
from msgboxx.accounts import service as accounts
from msgboxx.auth import service as auth
from msgboxx.auth import tokens
from msgboxx.contacts.models import Contact, ContactStatus
from msgboxx.db import migrate as migrations
from msgboxx.db import utcnow
from msgboxx.messages.models import Message
from msgboxx.messages.service import conversation_id
from msgboxx.settings import Settings

APP_SECRET = "benchmark-app-secret"
PHONE_NUMBER_ID = "100000000000001"
WABA_ID = "200000000000001"


@dataclass(frozen=True, slots=True)
class Fixture:
    token: str
    sandbox_account: str
    sandbox_contacts: list[str]
    cloud_account: str
    cloud_contacts: list[str]
    cloud_inbox: str
    cloud_numbers: list[str]
    message_id: str


def contact_number(account: int, index: int) -> str:
    return f"+4477{account:02d}{index:06d}"


async def create(settings: Settings, *, contacts: int = 200) -> Fixture:
    """One organisation, a sandbox and a Cloud API account, each with open-window contacts."""
    await migrations.run(settings.resolved_database_url)
    db = wiring.open_database(settings)
    try:
        async with db.tx(write=True) as tx:
            org = await auth.create_organisation(tx, name="Benchmark Company")
            user = await auth.create_user(
                tx,
                org_id=org.id,
                email="bench@example.com",
                password="benchmark-password",
                role="admin",
            )
            sandbox, _ = await accounts.create(
                tx, org_id=org.id, phone_number="+447700100001", name="Bench sandbox"
            )
            cloud, cloud_inbox = await accounts.create(
                tx,
                org_id=org.id,
                phone_number="+447700100002",
                name="Bench Cloud API",
                channel="cloud_api",
                channel_settings={
                    "phone_number_id": PHONE_NUMBER_ID,
                    "waba_id": WABA_ID,
                    "access_token": "benchmark-access-token",
                    "app_secret": APP_SECRET,
                    "verify_token": "benchmark-verify-token",
                },
            )
            now = utcnow()
            made: dict[int, list[Contact]] = {1: [], 2: []}
            for number, account in ((1, sandbox), (2, cloud)):
                for i in range(contacts):
                    contact = Contact(
                        account_id=account.id,
                        mobile_number=contact_number(number, i),
                        name=f"Customer {i}",
                        status=ContactStatus.subscribed,
                        last_inbound_at=now,
                    )
                    tx.session.add(contact)
                    made[number].append(contact)
            await tx.session.flush()
            first = made[2][0]
            message_id = uuid.uuid4()
            await tx.session.execute(
                insert(Message),
                [_sent_row(message_id, cloud.id, cloud_inbox.id, first.id, "wamid.bench.get")],
            )
            await tx.commit()
            return Fixture(
                token=tokens.issue(user_id=user.id, key=SECRET, ttl_seconds=7 * 86400).token,
                sandbox_account=str(sandbox.id),
                sandbox_contacts=[str(c.id) for c in made[1]],
                cloud_account=str(cloud.id),
                cloud_contacts=[str(c.id) for c in made[2]],
                cloud_inbox=str(cloud_inbox.id),
                cloud_numbers=[c.mobile_number for c in made[2]],
                message_id=str(message_id),
            )
    finally:
        await db.dispose()


def _sent_row(
    message_id: uuid.UUID,
    account_id: uuid.UUID,
    inbox_id: uuid.UUID,
    contact_id: uuid.UUID,
    wamid: str,
) -> dict[str, object]:
    at = utcnow() - timedelta(seconds=5)
    return {
        "id": message_id,
        "account_id": account_id,
        "inbox_id": inbox_id,
        "contact_id": contact_id,
        "conversation_id": conversation_id(inbox_id, contact_id),
        "direction": "Outbound",
        "kind": "text",
        "text": "Your order has shipped.",
        "status": "Sent",
        "provider_message_id": wamid,
        "created_at": at,
        "sent_at": at,
        "attempts": 1,
    }


async def add_sent_messages(settings: Settings, fixture: Fixture, *, count: int, tag: str) -> None:
    """Messages already Sent, so that status webhooks for them have real work to do."""
    db = wiring.open_database(settings)
    account, inbox = uuid.UUID(fixture.cloud_account), uuid.UUID(fixture.cloud_inbox)
    contacts = [uuid.UUID(c) for c in fixture.cloud_contacts]
    try:
        async with db.tx(write=True) as tx:
            for start in range(0, count, 5000):
                rows = [
                    _sent_row(
                        uuid.uuid4(), account, inbox, contacts[i % len(contacts)], _wamid(tag, i)
                    )
                    for i in range(start, min(count, start + 5000))
                ]
                await tx.session.execute(insert(Message), rows)
            await tx.commit()
    finally:
        await db.dispose()


def _wamid(tag: str, index: int) -> str:
    return f"wamid.bench.{tag}.{index}"


def write_webhooks(path: Path, fixture: Fixture, *, count: int, tag: str) -> Path:
    """Signed ``delivered`` reports, one a line as ``<signature> <body>``, for webhook.lua."""
    with path.open("w") as out:
        for i in range(count):
            digits = fixture.cloud_numbers[i % len(fixture.cloud_numbers)].lstrip("+")
            body = {
                "object": "whatsapp_business_account",
                "entry": [
                    {
                        "id": WABA_ID,
                        "changes": [
                            {
                                "field": "messages",
                                "value": {
                                    "messaging_product": "whatsapp",
                                    "metadata": {
                                        "display_phone_number": "447700100002",
                                        "phone_number_id": PHONE_NUMBER_ID,
                                    },
                                    "statuses": [
                                        {
                                            "id": _wamid(tag, i),
                                            "status": "delivered",
                                            "timestamp": str(int(utcnow().timestamp())),
                                            "recipient_id": digits,
                                        }
                                    ],
                                },
                            }
                        ],
                    }
                ],
            }
            raw = json.dumps(body, separators=(",", ":")).encode()
            signature = hmac.new(APP_SECRET.encode(), raw, hashlib.sha256).hexdigest()
            out.write(f"sha256={signature} {raw.decode()}\n")
    return path


def write_message_bodies(path: Path, *, account: str, contacts: list[str]) -> Path:
    """``POST /message`` bodies spread over many contacts, one a line, for post_message.lua."""
    with path.open("w") as out:
        for i, contact in enumerate(contacts):
            body = {"apiAccountId": account, "contactId": contact, "message": f"Order {i} shipped"}
            out.write(json.dumps(body, separators=(",", ":")) + "\n")
    return path


def add_sent_messages_sync(settings: Settings, fixture: Fixture, *, count: int, tag: str) -> None:
    import asyncio

    asyncio.run(add_sent_messages(settings, fixture, count=count, tag=tag))
