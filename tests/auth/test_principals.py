"""A caller known to a process is forgotten the moment their access is taken away, anywhere."""

from __future__ import annotations

from pathlib import Path

from msgboxx.auth import service as auth
from msgboxx.db import Database
from msgboxx.db.revocations import Revocations
from tests.support import Server, Tenant, assert_problem


async def test_principals__a_user_disabled_through_another_database_handle_is_refused_at_once(
    server: Server, tenant: Tenant
) -> None:
    email, client = await tenant.add_user(role="admin")
    async with client:
        assert (await client.get("/whoami")).status_code == 200  # now known to the server
        # As `msgboxx admin user disable` does from its own process: its own handle.
        other = Database(server.app.state.settings)
        try:
            async with other.tx(write=True) as tx:
                await auth.set_disabled(tx, email=email, disabled=True)
                await tx.commit()
        finally:
            await other.dispose()
        refused = await client.get("/whoami")
        assert_problem(refused, 401)
        assert "disabled" in refused.json()["detail"]
        async with server.db.tx(write=True) as tx:
            await auth.set_disabled(tx, email=email, disabled=False)
            await tx.commit()
        assert (await client.get("/whoami")).status_code == 200


async def test_principals__a_change_that_rolls_back_moves_no_count(
    server: Server, tenant: Tenant
) -> None:
    email, client = await tenant.add_user(role="agent")
    revocations = server.db.revocations
    before = revocations.count() if revocations is not None else None
    async with server.db.tx(write=True) as tx:
        await auth.set_disabled(tx, email=email, disabled=True)
        await tx.rollback()
    if revocations is not None:
        assert revocations.count() == before
    async with client:
        assert (await client.get("/whoami")).status_code == 200


def test_revocations__every_handle_on_the_file_sees_each_others_count(tmp_path: Path) -> None:
    database = str(tmp_path / "msgboxx.db")
    first, second = Revocations.beside(database), Revocations.beside(database)
    assert first is not None and second is not None
    assert first.count() == second.count() == 0
    first.raise_count()
    assert second.count() == 1
    second.raise_count()
    assert first.count() == 2
    first.close()
    second.close()
    reopened = Revocations.beside(database)
    assert reopened is not None and reopened.count() == 2  # kept in the file
    reopened.close()
    assert Revocations.beside(":memory:") is None
