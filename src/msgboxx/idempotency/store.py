"""Every statement on the stored first answers."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete

from msgboxx.db.tx import Tx
from msgboxx.idempotency.models import IdempotentResponse


async def get(tx: Tx, *, user_id: uuid.UUID, key: str) -> IdempotentResponse | None:
    return await tx.session.get(IdempotentResponse, (user_id, key))


async def forget(tx: Tx, stored: IdempotentResponse) -> None:
    await tx.session.delete(stored)
    await tx.session.flush()


def add(tx: Tx, answer: IdempotentResponse) -> None:
    """Written with the commit, with the change it answers for.

    A concurrent request with the same key then fails on the primary key at
    commit (IntegrityError), after the work, which the commit undoes.
    """
    tx.session.add(answer)


async def forget_older_than(tx: Tx, cutoff: datetime) -> int:
    result = await tx.session.execute(
        delete(IdempotentResponse).where(IdempotentResponse.created_at < cutoff)
    )
    return int(getattr(result, "rowcount", 0) or 0)
