"""Ending live streams when the server is asked to stop.

uvicorn waits, on SIGINT or SIGTERM, for every open response to finish before
it runs the application's shutdown, and a live stream never finishes by
itself: without this, ``msgboxx serve`` with one browser tab open would not
stop. The server's own handler stays in charge; this one runs first.
"""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def on_stop_signal(callback: Callable[[], None]) -> Callable[[], None]:
    """Call ``callback`` on the running loop when the process is asked to stop.

    Chains to the handler in place (the server's); returns what puts it back.
    Signals reach only the main thread, so elsewhere (a server run in a thread)
    it does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    loop = asyncio.get_running_loop()
    replaced: dict[int, Any] = {}
    for signum in _SIGNALS:
        previous = signal.getsignal(signum)
        if not callable(previous):
            continue  # no handler of the server's to chain to: the default ends the process

        def chained(
            number: int, frame: FrameType | None, previous: Callable[..., Any] = previous
        ) -> None:
            loop.call_soon_threadsafe(callback)
            previous(number, frame)

        signal.signal(signum, chained)
        replaced[signum] = previous

    def restore() -> None:
        for signum, previous in replaced.items():
            signal.signal(signum, previous)

    return restore
