"""A fleet of real dispatcher processes on a PostgreSQL database of their own.

The sandbox network in each worker writes every message it accepts to one shared
hand-off log: that log is what the network saw, and the tests count it.
"""

from __future__ import annotations

import asyncio
import fcntl
import itertools
import signal
import subprocess
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

from msgboxx.accounts import service as accounts
from msgboxx.auth import service as auth
from msgboxx.contacts.models import Contact, ContactStatus
from msgboxx.db import Database, utcnow
from msgboxx.messages.models import Message
from msgboxx.messages.service import conversation_id
from msgboxx.settings import Settings
from tests.processes import MSGBOXX, environment
from tests.support import fresh_number

_customers = itertools.count()


@dataclass(frozen=True)
class HandOff:
    message_id: str
    provider_id: str
    pid: int
    at: float


@dataclass
class Number:
    account_id: uuid.UUID
    inbox_id: uuid.UUID


@dataclass
class Fleet:
    url: str
    workdir: Path
    env: dict[str, str] = field(default_factory=dict)
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def log(self) -> Path:
        return self.workdir / "hand-offs.log"

    def settings(self) -> Settings:
        return Settings(database_url=self.url, data_dir=self.workdir / "data", demo=False)

    def start_worker(self, **env: str) -> subprocess.Popen[bytes]:
        variables = {
            "MSGBOXX_DATABASE_URL": self.url,
            "MSGBOXX_SANDBOX_HAND_OFF_LOG": str(self.log),
            "MSGBOXX_SANDBOX_SENT_DELAY": "0.05",
            "MSGBOXX_SANDBOX_DELIVERED_DELAY": "0.1",
            "MSGBOXX_SANDBOX_READ_DELAY": "0.15",
            "MSGBOXX_DISPATCH_POLL_INTERVAL": "0.05",
            "MSGBOXX_PAIR_INTERVAL_SECONDS": "0",
            "MSGBOXX_LOG_LEVEL": "WARNING",
            **self.env,
            **env,
        }
        out = (self.workdir / f"worker-{len(self.workers)}.log").open("wb")
        worker = subprocess.Popen(
            [MSGBOXX, "worker"],
            env=environment(self.workdir / "data", **variables),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        self.workers.append(worker)
        return worker

    def wait_until_running(self, count: int, *, timeout: float = 60) -> None:
        """Until ``count`` workers hold a dispatcher slot of the data folder (flock).

        A worker takes its slot once started, before its first claim: a test that
        races workers starts them all before giving them work, or the first one up
        may have sent everything before the others have imported their code.
        """
        folder = self.workdir / "data" / "dispatchers"
        deadline = time.monotonic() + timeout
        while True:
            held = 0
            for slot in folder.glob("*.lock") if folder.exists() else ():
                with slot.open("rb") as handle:
                    try:
                        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    except BlockingIOError:
                        held += 1
                    # else: free; closing the file drops the lock just taken
            if held >= count:
                return
            exited = [w.returncode for w in self.workers if w.poll() is not None]
            assert not exited, f"a worker exited with {exited}"
            assert time.monotonic() < deadline, f"{held} of {count} workers running"
            time.sleep(0.05)

    def stop_all(self) -> None:
        for worker in self.workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
        for worker in self.workers:
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()

    def hand_offs(self) -> list[HandOff]:
        if not self.log.exists():
            return []
        found = []
        for line in self.log.read_text().splitlines():
            message_id, provider_id, pid, at = line.split()
            found.append(HandOff(message_id, provider_id, int(pid), float(at)))
        return found

    def sends_per_message(self) -> Counter[str]:
        return Counter(h.message_id for h in self.hand_offs())


async def new_number(db: Database) -> Number:
    async with db.tx(write=True) as tx:
        organisation = await auth.create_organisation(tx, name="Fleet")
        account, inbox = await accounts.create(
            tx, org_id=organisation.id, phone_number=fresh_number(), name="Fleet"
        )
        await tx.commit()
    return Number(account.id, inbox.id)


async def queue(
    db: Database,
    number: Number,
    *,
    contacts: int,
    per_contact: int = 1,
    kind: str = "text",
) -> list[uuid.UUID]:
    """Bulk-queue Pending messages (as accepted by the API), oldest first per contact."""
    now = utcnow()
    contact_rows: list[dict[str, Any]] = []
    message_rows: list[dict[str, Any]] = []
    for n in range(contacts):
        contact_id = uuid.uuid4()
        customer = next(_customers)
        contact_rows.append(
            {
                "id": contact_id,
                "account_id": number.account_id,
                "mobile_number": f"+4479{customer:08d}",
                "status": ContactStatus.subscribed,
                "created_at": now,
                "updated_at": now,
            }
        )
        for k in range(per_contact):
            message_rows.append(
                {
                    "id": uuid.uuid4(),
                    "account_id": number.account_id,
                    "inbox_id": number.inbox_id,
                    "contact_id": contact_id,
                    "conversation_id": conversation_id(number.inbox_id, contact_id),
                    "direction": "Outbound",
                    "kind": kind,
                    "text": f"message {k} to contact {n}",
                    "status": "Pending",
                    "created_at": now + timedelta(microseconds=k * 10),
                    "attempts": 0,
                    "next_attempt_at": now,
                }
            )
    async with db.tx(write=True) as tx:
        for start in range(0, len(contact_rows), 2000):
            await tx.session.execute(insert(Contact), contact_rows[start : start + 2000])
        for start in range(0, len(message_rows), 2000):
            await tx.session.execute(insert(Message), message_rows[start : start + 2000])
        await tx.commit()
    return [row["id"] for row in message_rows]


async def unsent(db: Database, ids: list[uuid.UUID] | None = None) -> int:
    async with db.tx(write=False) as tx:
        query = (
            select(func.count())
            .select_from(Message)
            .where(Message.direction == "Outbound", Message.provider_message_id.is_(None))
        )
        if ids is not None:
            query = query.where(Message.id.in_(ids))
        return int(await tx.session.scalar(query) or 0)


async def wait_until_sent(
    db: Database, *, timeout: float, ids: list[uuid.UUID] | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while (left := await unsent(db, ids)) > 0:
        if time.monotonic() > deadline:
            raise AssertionError(f"{left} messages still unsent after {timeout}s")
        await asyncio.sleep(0.1)


async def not_read(db: Database, ids: list[uuid.UUID]) -> dict[str, int]:
    """How many of ``ids`` are at each status other than Read."""
    async with db.tx(write=False) as tx:
        rows = await tx.session.execute(
            select(Message.status, func.count())
            .where(Message.id.in_(ids), Message.status != "Read")
            .group_by(Message.status)
        )
        return {status: int(count) for status, count in rows}


async def wait_until_read(db: Database, *, timeout: float, ids: list[uuid.UUID]) -> None:
    deadline = time.monotonic() + timeout
    while left := await not_read(db, ids):
        if time.monotonic() > deadline:
            raise AssertionError(f"not Read after {timeout}s: {left}")
        await asyncio.sleep(0.1)
