"""Failed-login counters kept in the database, so every API process shares them."""

from __future__ import annotations

import time

from msgboxx.auth import store
from msgboxx.core.errors import RateLimited
from msgboxx.db.tx import Tx

WINDOW_SECONDS = 60


def _window(now: float) -> int:
    return int(now // WINDOW_SECONDS) * WINDOW_SECONDS


async def check(tx: Tx, *, limits: dict[str, int]) -> None:
    """Raise 429 when any key has used up its failures in the current window."""
    now = time.time()
    window = _window(now)
    for key, hits in await store.failures(tx, keys=list(limits), window=window):
        if hits >= limits[key]:
            raise RateLimited(
                "too many failed sign-in attempts; try again later",
                retry_after=int(window + WINDOW_SECONDS - now) + 1,
            )


async def record_failure(tx: Tx, *, keys: list[str]) -> None:
    """Count a failed sign-in against each key, and forget windows long past."""
    window = _window(time.time())
    await store.count_failure(tx, keys=keys, window=window)
    await store.forget_failures_before(tx, window - 10 * WINDOW_SECONDS)
