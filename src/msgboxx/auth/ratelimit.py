"""Failed-login counters kept in the database, so every API process shares them."""

from __future__ import annotations

import time

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite

from msgboxx.auth.models import RateLimitHit
from msgboxx.core.errors import RateLimited
from msgboxx.db.tx import Tx

WINDOW_SECONDS = 60


def _window(now: float) -> int:
    return int(now // WINDOW_SECONDS) * WINDOW_SECONDS


async def check(tx: Tx, *, limits: dict[str, int]) -> None:
    """Raise 429 when any key has used up its failures in the current window."""
    now = time.time()
    window = _window(now)
    rows = await tx.session.execute(
        select(RateLimitHit.key, RateLimitHit.hits).where(
            RateLimitHit.key.in_(limits), RateLimitHit.window_start == window
        )
    )
    for key, hits in rows:
        if hits >= limits[key]:
            raise RateLimited(
                "too many failed sign-in attempts; try again later",
                retry_after=int(window + WINDOW_SECONDS - now) + 1,
            )


async def record_failure(tx: Tx, *, keys: list[str]) -> None:
    window = _window(time.time())
    dialect = tx.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    for key in keys:
        stmt = insert(RateLimitHit).values(key=key, window_start=window, hits=1)
        stmt = stmt.on_conflict_do_update(
            index_elements=[RateLimitHit.key, RateLimitHit.window_start],
            set_={"hits": RateLimitHit.hits + 1},
        )
        await tx.session.execute(stmt)
    cutoff = window - 10 * WINDOW_SECONDS
    await tx.session.execute(delete(RateLimitHit).where(RateLimitHit.window_start < cutoff))
