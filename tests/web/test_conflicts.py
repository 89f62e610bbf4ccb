"""A request that loses a database conflict is a 503 to retry, never a 500, and wrote nothing."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text

from msgboxx.db import migrate
from tests import postgres
from tests.contacts.test_import import contacts_of, upload
from tests.support import (
    Server,
    Tenant,
    assert_problem,
    fresh_number,
    new_tenant,
    running,
    test_settings,
)
from tests.web.test_edge import Lines

pytestmark = pytest.mark.skipif(
    "MSGBOXX_TEST_DATABASE_URL" in os.environ,
    reason="runs on a PostgreSQL database of its own; already run in the SQLite pass",
)

# Holds each row named "wait" back before it is inserted, inside the import's transaction.
_WAIT = (
    "CREATE FUNCTION wait_before_insert() RETURNS trigger AS $$ BEGIN "
    "IF NEW.name = 'wait' THEN PERFORM pg_sleep(1.5); END IF; RETURN NEW; END $$ "
    "LANGUAGE plpgsql",
    "CREATE TRIGGER wait_before_insert BEFORE INSERT ON contacts "
    "FOR EACH ROW EXECUTE FUNCTION wait_before_insert()",
)
_NO_WAIT = ("DROP TRIGGER wait_before_insert ON contacts", "DROP FUNCTION wait_before_insert()")


@pytest.fixture
async def server_on_postgres(postgres_server: str, tmp_path: Path) -> AsyncIterator[Server]:
    url = await postgres.fresh_database("msgboxx_conflicts")
    await migrate.run(url)
    async with running(test_settings(tmp_path / "data", database_url=url)) as live:
        yield live


async def _run(server: Server, statements: tuple[str, ...]) -> None:
    async with server.db.tx(write=True) as tx:
        for statement in statements:
            await tx.session.execute(text(statement))
        await tx.commit()


async def test_import__the_loser_of_a_deadlock_is_a_503_to_retry_and_wrote_nothing(
    server_on_postgres: Server,
) -> None:
    tenant: Tenant = await new_tenant(server_on_postgres)
    problems = Lines()
    logging.getLogger("msgboxx.web.problems").addHandler(problems)
    shared_one, shared_two = fresh_number(), fresh_number()
    own = {"first": fresh_number(), "second": fresh_number()}
    # Each file takes both shared numbers, in opposite orders: each import inserts its
    # first, then waits, then needs the one the other holds uncommitted.
    files = {
        "first": f"phone,name\n{own['first']},A\n{shared_one},A\n{shared_two},wait\n",
        "second": f"phone,name\n{own['second']},B\n{shared_two},B\n{shared_one},wait\n",
    }
    await _run(server_on_postgres, _WAIT)
    try:
        replies = await asyncio.gather(
            *(upload(tenant.api, content.encode(), tenant.account_id) for content in files.values())
        )
        outcome = dict(zip(files, replies, strict=True))
        await _run(server_on_postgres, _NO_WAIT)

        assert sorted(reply.status_code for reply in replies) == [200, 503], [
            reply.text for reply in replies
        ]
        winner = next(name for name, reply in outcome.items() if reply.status_code == 200)
        loser = next(name for name in outcome if name != winner)
        assert outcome[winner].json()["created"] == 3
        body = assert_problem(outcome[loser], 503, slug="database-conflict")
        assert outcome[loser].headers["retry-after"] == "1"
        assert "not applied" in body["detail"] and "retried" in body["detail"]
        assert "errorId" not in body

        found = await contacts_of(tenant)
        assert set(found) == {own[winner], shared_one, shared_two}  # none of the loser's rows
        logged = [line for line in problems.lines if line.get("sqlstate") == "40P01"]
        assert [line["level"] for line in logged] == ["warning"]
        assert not any(line["message"] == "unhandled error" for line in problems.lines)

        retried = await upload(tenant.api, files[loser].encode(), tenant.account_id)
        assert retried.status_code == 200, retried.text
        assert (retried.json()["created"], retried.json()["updated"]) == (1, 2)
        assert set(await contacts_of(tenant)) == {*own.values(), shared_one, shared_two}
    finally:
        logging.getLogger("msgboxx.web.problems").removeHandler(problems)
        await tenant.api.aclose()
