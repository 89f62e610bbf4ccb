"""Waking dispatchers in other processes when work is queued (PostgreSQL only).

API processes NOTIFY in the transaction that queues a message; each worker keeps
one LISTEN connection. A missed notification costs only the poll interval, so a
lost connection is logged and re-made, never fatal.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from msgboxx.db.engine import OUTBOUND_CHANNEL

log = logging.getLogger(__name__)


async def listen(url: str, wake: Callable[[], None], *, retry_every: float = 5.0) -> None:
    """Call ``wake`` on every notification until cancelled."""
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)

    def notified(*_args: Any) -> None:
        wake()

    while True:
        connection = None
        closed = asyncio.Event()
        try:
            connection = await asyncpg.connect(dsn)
            connection.add_termination_listener(lambda _connection, ended=closed: ended.set())
            await connection.add_listener(OUTBOUND_CHANNEL, notified)
            wake()  # anything queued while we were not listening
            await closed.wait()
        except asyncio.CancelledError:
            raise
        except (OSError, asyncpg.PostgresError) as exc:
            log.warning("dispatcher wake-up connection lost", extra={"error": str(exc)})
        finally:
            if connection is not None:
                with contextlib.suppress(Exception):
                    await connection.close()
        await asyncio.sleep(retry_every)
