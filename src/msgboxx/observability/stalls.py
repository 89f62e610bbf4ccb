"""Stalls of the event loop, caught in the act: how long, and what the loop was doing.

Everything a process does runs on one event loop (on the embedded default its
SQLite statements too), so a step that takes 100 ms delays every request and
send behind it by as much. Such stalls showed in the latency benchmark as a
p99 ten times its median, intermittently, and a profile averages them away.

A watcher thread looks, a few times per threshold, at a heartbeat the loop
stamps while it turns. When the heartbeat is older than the threshold it takes
the loop thread's stack at that moment, and once the loop turns again it logs
a warning with the stall's length, that stack, and whether the cyclic garbage
collector was running (a full collection of a large heap is one known cause).
A loop that is merely saturated (many short steps, or a host short of CPU)
falls behind the same way, and its stacks are then samples of ordinary work:
so at most one line is written every ``REPORT_EVERY`` seconds, counting the
stalls it stands for, and every stall goes to the histogram
``msgboxx_event_loop_stall_seconds``. Long collections are logged on their own.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import sys
import threading
import time
import traceback
from collections.abc import AsyncIterator
from typing import Any

from msgboxx.observability import metrics

log = logging.getLogger("msgboxx.stalls")
_FRAMES_KEPT = 12
REPORT_EVERY = 10.0  # seconds between two log lines about stalls


class _Collections:
    """The garbage collector's runs, timed (``gc.callbacks``)."""

    def __init__(self, threshold: float) -> None:
        self.threshold = threshold
        self.running_since: float | None = None

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        now = time.perf_counter()
        if phase == "start":
            self.running_since = now
            return
        started, self.running_since = self.running_since, None
        if started is None:
            return
        took = now - started
        if took >= self.threshold:
            log.warning(
                "garbage collection paused the process",
                extra={
                    "paused_ms": round(took * 1000, 1),
                    "generation": info.get("generation"),
                    "collected": info.get("collected"),
                },
            )


class StallWatch:
    def __init__(self, loop: asyncio.AbstractEventLoop, *, threshold: float) -> None:
        self.loop = loop
        self.threshold = threshold
        # Each look takes the GIL from the loop for a moment: a few per threshold.
        self.interval = min(0.025, threshold / 4)
        self._beat = time.perf_counter()
        self._loop_thread = threading.get_ident()
        self._stopped = threading.Event()
        self._collections = _Collections(threshold)
        self._thread = threading.Thread(target=self._watch, name="stall-watch", daemon=True)

    def start(self) -> None:
        self.loop.call_soon(self._stamp)
        gc.callbacks.append(self._collections)
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        with contextlib.suppress(ValueError):
            gc.callbacks.remove(self._collections)
        self._thread.join(timeout=1)

    def _stamp(self) -> None:
        self._beat = time.perf_counter()
        if not self._stopped.is_set():
            self.loop.call_later(self.interval, self._stamp)

    def _watch(self) -> None:
        caught: tuple[float, list[str], bool] | None = None  # (since, stack, collecting)
        unreported = 0
        next_report = 0.0
        while not self._stopped.wait(self.interval):
            beat = self._beat
            late = time.perf_counter() - beat - self.interval
            if caught is None and late >= self.threshold:
                frame = sys._current_frames().get(self._loop_thread)
                stack = traceback.format_stack(frame)[-_FRAMES_KEPT:] if frame else []
                caught = (beat, stack, self._collections.running_since is not None)
            elif caught is not None and beat > caught[0]:
                since, stack, collecting = caught
                stalled = beat - since - self.interval
                metrics.LOOP_STALLS.observe(stalled)
                caught = None
                unreported += 1
                if beat < next_report:
                    continue
                log.warning(
                    "event loop stalled",
                    extra={
                        "stalled_ms": round(stalled * 1000, 1),
                        "garbage_collecting": collecting,
                        "where": "".join(stack).strip(),
                        "stalls_since_last_line": unreported,
                    },
                )
                unreported = 0
                next_report = beat + REPORT_EVERY


@contextlib.asynccontextmanager
async def watching(threshold_ms: float) -> AsyncIterator[None]:
    """Watch this loop for the duration of the block; a threshold of 0 watches nothing."""
    if threshold_ms <= 0:
        yield
        return
    watch = StallWatch(asyncio.get_running_loop(), threshold=threshold_ms / 1000)
    watch.start()
    try:
        yield
    finally:
        watch.stop()
