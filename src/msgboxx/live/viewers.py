"""Which accounts a live viewer follows: those it may see (the tenancy rule's own answer)."""

from __future__ import annotations

import uuid

from msgboxx.accounts import service as accounts
from msgboxx.auth.service import Principal
from msgboxx.db import Database


async def followed(
    db: Database, principal: Principal, *, account_id: uuid.UUID | None = None
) -> frozenset[uuid.UUID]:
    """The accounts ``principal`` sees, or only ``account_id`` (a 404 if it sees not that one).

    Read once, when the stream opens, in a short read of its own: a stream holds
    no connection. An agent assigned to another account later sees it on its
    next stream (a reconnect), as a page fetched later would.
    """
    async with db.tx(write=False) as tx:
        if account_id is not None:
            account = await accounts.get(tx, principal, account_id)
            return frozenset({account.id})
        return await accounts.visible_ids(tx, principal)
