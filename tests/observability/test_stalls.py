"""A stalled event loop is logged with how long it stood still and what it was doing."""

from __future__ import annotations

import asyncio
import logging
import threading
import time

import pytest

from msgboxx.observability import stalls


def _blocks_the_loop_for(seconds: float) -> None:
    time.sleep(seconds)  # what a long synchronous statement does to every request


def _ours(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """Stall lines about this test's own blocking (a server of another test may watch too)."""
    return [
        record
        for record in caplog.records
        if record.getMessage() == "event loop stalled"
        and "_blocks_the_loop_for" in getattr(record, "where", "")
    ]


async def test_stall__is_logged_with_its_length_and_the_code_that_held_the_loop(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="msgboxx.stalls")
    async with stalls.watching(threshold_ms=100):
        await asyncio.sleep(0.05)
        _blocks_the_loop_for(0.4)
        await asyncio.sleep(0.1)  # the loop turns again: the stall is over and reported
    (stall,) = _ours(caplog)
    assert 300 <= stall.stalled_ms <= 2000  # type: ignore[attr-defined]
    assert "_blocks_the_loop_for" in stall.where  # type: ignore[attr-defined]
    assert stall.garbage_collecting is False  # type: ignore[attr-defined]


async def test_stall__short_turns_are_not_reported(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="msgboxx.stalls")
    async with stalls.watching(threshold_ms=500):
        for _ in range(20):
            _blocks_the_loop_for(0.01)
            await asyncio.sleep(0.005)
    assert not _ours(caplog)


async def test_stall__a_threshold_of_zero_watches_nothing() -> None:
    def watches() -> int:  # servers of other tests in this process may have their own
        return sum(thread.name == "stall-watch" for thread in threading.enumerate())

    before = watches()
    async with stalls.watching(threshold_ms=0):
        assert watches() == before
    async with stalls.watching(threshold_ms=100):
        assert watches() == before + 1
    assert watches() == before


async def test_stall__a_saturated_loop_writes_one_line_per_period_not_one_per_stall(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="msgboxx.stalls")
    async with stalls.watching(threshold_ms=100):
        for _ in range(3):
            await asyncio.sleep(0.1)
            _blocks_the_loop_for(0.3)
        await asyncio.sleep(0.1)
    assert len(_ours(caplog)) == 1  # the other two are counted by the next line, ten seconds on
