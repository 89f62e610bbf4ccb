"""The feed between processes: notifications under PostgreSQL's limit, each change once."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from msgboxx.core.events import EventType
from msgboxx.core.wire import ApiModel
from msgboxx.db.tx import Said
from msgboxx.live import Change, Feed, Subscription
from msgboxx.live.changes import decode, encode
from tests import postgres

ACCOUNT = uuid.uuid4()


class MessageView(ApiModel):
    """The ids a message's view carries (what a change is read off)."""

    contactId: uuid.UUID | None
    messageId: uuid.UUID


def _said(count: int, account: uuid.UUID = ACCOUNT) -> list[Said]:
    start = datetime(2026, 12, 4, 9, 30, tzinfo=UTC)
    return [
        (
            account,
            EventType.message_status,
            MessageView(contactId=uuid.uuid4(), messageId=uuid.uuid4()),
            start + timedelta(microseconds=n),
        )
        for n in range(count)
    ]


def test_payloads__a_big_batch_is_split_under_postgres_limit_and_read_back_whole() -> None:
    changes = [Change.of(one) for one in _said(500)]
    payloads = list(encode("origin-1", changes))
    assert len(payloads) > 1
    assert all(len(p.encode()) < 8000 for p in payloads)
    read: list[Change] = []
    for payload in payloads:
        origin, part = decode(payload)
        assert origin == "origin-1"
        read += part
    assert read == changes


def test_change__names_the_message_and_its_contact() -> None:
    [said] = _said(1)
    change = Change.of(said)
    view = said[2]
    assert isinstance(view, MessageView)
    assert change.resource_id == view.messageId
    assert change.contact_id == view.contactId
    assert change.kind == "message.status"
    assert change.account_id == ACCOUNT


@pytest.fixture
async def database_url(postgres_server: str) -> str:
    return await postgres.fresh_database("msgboxx_live_feed")


@pytest.fixture
async def two_processes(database_url: str) -> AsyncIterator[tuple[Feed, Feed]]:
    """Two feeds on one database, as two processes have (each its own connection)."""
    here, there = Feed(database_url), Feed(database_url)
    await here.start()
    await there.start()
    try:
        yield here, there
    finally:
        await here.aclose()
        await there.aclose()


async def _drain(subscription: Subscription, count: int) -> list[object]:
    items: list[object] = []
    async with asyncio.timeout(10):
        while len(items) < count:
            items.append(await anext(subscription))
    return items


async def test_feed__a_big_commit_reaches_the_other_process_whole_and_this_one_once(
    two_processes: tuple[Feed, Feed],
) -> None:
    here, there = two_processes
    other_account = uuid.uuid4()
    said = _said(500)
    async with (
        here.subscribe(frozenset({ACCOUNT})) as local,
        there.subscribe(frozenset({ACCOUNT})) as remote,
        there.subscribe(frozenset({other_account})) as elsewhere,
    ):
        here.publish(said)
        here.publish(_said(1, other_account))  # after the 500: its arrival ends the wait
        changes = [Change.of(one) for one in said]
        assert await _drain(remote, 500) == changes
        assert len(await _drain(elsewhere, 1)) == 1
        assert await _drain(local, 500) == changes
        # Nothing more: this process's own changes are not heard back from PostgreSQL.
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.5):
                await anext(local)
