"""Migrating a deployment with messages to 0011 gives each existing thread its conversation."""

from __future__ import annotations

import uuid
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from msgboxx.db import migrate
from tests.conversations.talk import customer_writes, we_write
from tests.support import fresh_number, new_tenant, own_settings, running


async def test_backfill__threads_from_before_the_inbox_get_their_conversations(
    tmp_path: Path,
) -> None:
    settings = await own_settings(tmp_path / "data", database="conversation_backfill")
    async with running(settings) as server:
        tenant = await new_tenant(server)
        async with tenant.api:
            talked = await customer_writes(tenant, fresh_number(), "Hello?")
            newest = await we_write(tenant, talked, "Hello! How can we help?")
            only_inbound = await customer_writes(tenant, fresh_number(), "Just me")
            silent = await tenant.api.post(
                "/contact",
                json={"mobileNumber": fresh_number(), "apiAccountId": tenant.account_id},
            )
            assert silent.status_code == 201
    url = settings.resolved_database_url
    await migrate.run(url, action="downgrade", revision="0010")  # as deployed before the inbox
    await migrate.run(url)

    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            rows = (
                await connection.execute(
                    text(
                        "SELECT c.contact_id, c.account_id, c.status, c.unread_count,"
                        " c.last_message_id, c.assignee_id, c.resolved_at,"
                        " c.last_activity_at = m.created_at"
                        " FROM conversations c JOIN messages m ON m.id = c.last_message_id"
                    )
                )
            ).all()
    finally:
        await engine.dispose()
    found = {uuid.UUID(str(row[0])): row for row in rows}
    assert set(found) == {uuid.UUID(talked), uuid.UUID(only_inbound)}  # not the silent one
    thread = found[uuid.UUID(talked)]
    assert uuid.UUID(str(thread[1])) == uuid.UUID(tenant.account_id)
    assert thread[2] == "open" and thread[3] == 0
    assert uuid.UUID(str(thread[4])) == uuid.UUID(newest["messageId"])
    assert thread[5] is None and thread[6] is None
    assert thread[7]  # its last activity is its newest message's
