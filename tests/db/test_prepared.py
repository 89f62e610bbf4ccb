"""Prepared statements write and read what SQLAlchemy would, in the session's transaction."""

from __future__ import annotations

import gc
import sqlite3
import uuid
import weakref
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, text, update

from msgboxx import wiring
from msgboxx.db import Database, migrate
from msgboxx.db.prepared import Prepared
from msgboxx.messages.models import Message
from tests.support import test_settings

COLUMNS = [column.key for column in Message.__table__.columns]
INSERT = Prepared(insert(cast(Table, Message.__table__)), column_keys=COLUMNS)
READ = Prepared(
    select(
        Message.id,
        Message.created_at,
        Message.template_parameters,
        Message.status == "Pending",
    ).where(Message.id == bindparam("id"))
)


def _message(parameters: list[str] | None = None) -> dict[str, Any]:
    now = datetime.now(UTC)
    values: dict[str, Any] = dict.fromkeys(COLUMNS)
    values.update(
        id=uuid.uuid4(),
        account_id=uuid.uuid4(),
        inbox_id=uuid.uuid4(),
        contact_id=uuid.uuid4(),
        conversation_id=uuid.uuid4(),
        direction="Outbound",
        kind="template" if parameters else "text",
        text="Hello",
        status="Pending",
        template_parameters=parameters,
        created_at=now,
        attempts=0,
        next_attempt_at=now,
    )
    return values


async def _database(tmp_path: Path) -> Database:
    settings = test_settings(tmp_path, database_url=None)  # SQLite in either pass
    await migrate.run(settings.resolved_database_url)
    return wiring.open_database(settings)


def _stored(path: Path, message_id: uuid.UUID) -> tuple[Any, ...]:
    with sqlite3.connect(path) as connection:
        row = connection.execute("SELECT * FROM messages WHERE id = ?", (message_id.hex,))
        found: tuple[Any, ...] = row.fetchone()
    return found


async def test_prepared__an_insert_stores_what_sqlalchemy_stores(tmp_path: Path) -> None:
    db = await _database(tmp_path)
    pairs = []
    try:
        async with db.tx(write=True) as tx:
            await tx.session.execute(text("PRAGMA foreign_keys=OFF"))  # no account needed here
            for parameters in (None, ["Ana", "12:30"]):
                ours = _message(parameters)
                theirs = dict(ours, id=uuid.uuid4())
                await INSERT.execute(tx, ours)
                await tx.session.execute(insert(cast(Table, Message.__table__)), theirs)
                pairs.append((ours["id"], theirs["id"]))
            await tx.commit()
    finally:
        await db.dispose()
    path = Path(db.url.split("///", 1)[1])
    for ours_id, theirs_id in pairs:
        ours_row, theirs_row = _stored(path, ours_id), _stored(path, theirs_id)
        assert ours_row[1:] == theirs_row[1:]  # every column but the id, byte for byte
        assert ours_row[0] == ours_id.hex


async def test_prepared__a_read_gives_the_values_sqlalchemy_gives(tmp_path: Path) -> None:
    db = await _database(tmp_path)
    try:
        async with db.tx(write=True) as tx:
            await tx.session.execute(text("PRAGMA foreign_keys=OFF"))
            message = _message(["Ana"])
            await INSERT.execute(tx, message)
            ours = await READ.first(tx, {"id": message["id"]})
            theirs = (await tx.session.execute(READ.statement, {"id": message["id"]})).first()
            assert theirs is not None
            assert ours == tuple(theirs)
            assert ours == (message["id"], message["created_at"], ["Ana"], True)
            assert await READ.first(tx, {"id": uuid.uuid4()}) is None
    finally:
        await db.dispose()


async def test_prepared__its_writes_commit_and_roll_back_with_the_session(tmp_path: Path) -> None:
    db = await _database(tmp_path)
    kept, dropped = _message(), _message()
    try:
        async with db.tx(write=True) as tx:
            await tx.session.execute(text("PRAGMA foreign_keys=OFF"))
            await tx.commit()
            await INSERT.execute(tx, dropped)
            async with db.tx(write=False) as reader:  # not visible before the commit
                assert await READ.first(reader, {"id": dropped["id"]}) is None
            await tx.rollback()
            await INSERT.execute(tx, kept)
            await tx.commit()
        async with db.tx(write=False) as reader:
            assert await READ.first(reader, {"id": kept["id"]}) is not None
            assert await READ.first(reader, {"id": dropped["id"]}) is None
    finally:
        await db.dispose()


async def test_prepared__each_transaction_of_a_session_commits_its_own_writes(
    tmp_path: Path,
) -> None:
    """A session keeps its connection per transaction: after a commit the next one begins."""
    db = await _database(tmp_path)
    first, second, third = _message(), _message(), _message()
    try:
        async with db.tx(write=True) as tx:
            await tx.session.execute(text("PRAGMA foreign_keys=OFF"))
            await tx.commit()
            await INSERT.execute(tx, first)
            await tx.commit()
            await INSERT.execute(tx, second)
            await INSERT.execute(tx, third)
            await tx.commit()
        async with db.tx(write=False) as reader:
            for message in (first, second, third):
                assert await READ.first(reader, {"id": message["id"]}) is not None
    finally:
        await db.dispose()


async def test_prepared__a_finished_session_is_freed_without_the_cycle_collector(
    tmp_path: Path,
) -> None:
    """Every request has a session: one kept alive until a collection is memory held."""
    db = await _database(tmp_path)
    try:
        gc.disable()
        async with db.tx(write=True) as tx:
            await tx.session.execute(text("PRAGMA foreign_keys=OFF"))
            await tx.commit()
            await INSERT.execute(tx, _message())
            await tx.commit()
            gone = weakref.ref(tx.session.sync_session)
        del tx
        assert gone() is None
    finally:
        gc.enable()
        await db.dispose()


async def test_prepared__all_rows_read_as_sqlalchemy_reads_them(tmp_path: Path) -> None:
    by_contact = Prepared(
        select(Message.id, Message.template_parameters)
        .where(Message.contact_id == bindparam("contact_id"))
        .order_by(Message.created_at)
    )
    db = await _database(tmp_path)
    try:
        async with db.tx(write=True) as tx:
            await tx.session.execute(text("PRAGMA foreign_keys=OFF"))
            first = _message(["Ana"])
            second = dict(_message(), contact_id=first["contact_id"])
            for message in (first, second, _message()):
                await INSERT.execute(tx, message)
            params = {"contact_id": first["contact_id"]}
            ours = await by_contact.all(tx, params)
            theirs = [tuple(row) for row in await tx.session.execute(by_contact.statement, params)]
            assert ours == theirs == [(first["id"], ["Ana"]), (second["id"], None)]
            assert await by_contact.all(tx, {"contact_id": uuid.uuid4()}) == []
    finally:
        await db.dispose()


async def test_prepared__many_updates_in_one_call_each_reach_their_row(tmp_path: Path) -> None:
    messages = cast(Table, Message.__table__)
    set_status = Prepared(
        update(messages).where(messages.c.id == bindparam("message_id")),
        column_keys=["status", "read_at"],
    )
    db = await _database(tmp_path)
    rows = [_message() for _ in range(3)]
    read_at = datetime.now(UTC)
    try:
        async with db.tx(write=True) as tx:
            await tx.session.execute(text("PRAGMA foreign_keys=OFF"))
            for row in rows:
                await INSERT.execute(tx, row)
            await set_status.execute_many(
                tx,
                [
                    {"message_id": rows[0]["id"], "status": "Read", "read_at": read_at},
                    {"message_id": rows[2]["id"], "status": "Failed", "read_at": None},
                ],
            )
            await set_status.execute_many(tx, [])  # nothing to do is no call at all
            await tx.commit()
        async with db.tx(write=False) as reader:
            found = [await READ.first(reader, {"id": row["id"]}) for row in rows]
            statuses = [
                await reader.session.scalar(select(Message.status).where(Message.id == row["id"]))
                for row in rows
            ]
            read_times = [
                await reader.session.scalar(select(Message.read_at).where(Message.id == row["id"]))
                for row in rows
            ]
    finally:
        await db.dispose()
    assert all(found)
    assert statuses == ["Read", "Pending", "Failed"]
    assert read_times == [read_at, None, None]
