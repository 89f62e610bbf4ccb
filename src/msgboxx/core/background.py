"""Work started now and finished later, without anyone awaiting it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable

log = logging.getLogger(__name__)


def start(tasks: set[asyncio.Task[None]], work: Awaitable[object], *, failure: str) -> None:
    """Run ``work`` as a task kept in ``tasks`` until it ends; a failure is logged, not raised.

    The set holds a reference (the event loop keeps only a weak one, so an
    unreferenced task can vanish mid-way) and lets the owner drain or cancel
    what is still running when it stops.
    """

    async def guarded() -> None:
        try:
            await work
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception(failure)

    task = asyncio.get_running_loop().create_task(guarded())
    tasks.add(task)
    task.add_done_callback(tasks.discard)
