"""Whether the database answers at all (``/readyz``)."""

from __future__ import annotations

from sqlalchemy import text

from msgboxx.db.tx import Tx


async def ping(tx: Tx) -> None:
    """One round trip; raises whatever the driver raises when the database does not answer."""
    await tx.session.execute(text("SELECT 1"))
