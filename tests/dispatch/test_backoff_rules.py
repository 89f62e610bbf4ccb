"""Retry delays, checked directly on the rule (no server, no clock).

Each retry waits a random time below a ceiling that doubles with every attempt
up to a cap (jitter spreads the retries of a burst), and never less than the
provider asked for with its retry_after.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from msgboxx.core import backoff

BASE, CAP = 2.0, 60.0


def ceiling(attempt: int, *, base: float = BASE, cap: float = CAP) -> float:
    """The longest wait before retry ``attempt``: doubling from ``base``, up to ``cap``."""
    return min(cap, base * 2 ** (attempt - 1))


@pytest.fixture
def seeded() -> Iterator[None]:
    """A fixed random sequence, and the caller's random state back afterwards."""
    state = random.getstate()
    random.seed(20260101)
    yield
    random.setstate(state)


@settings(deadline=None)  # pure arithmetic: a loaded machine must not fail it
@given(
    attempt=st.integers(min_value=1, max_value=200),
    base=st.floats(min_value=0.01, max_value=30),
    cap=st.floats(min_value=0.01, max_value=3_600),
)
def test_backoff__a_delay_is_never_negative_nor_above_its_ceiling(
    attempt: int, base: float, cap: float
) -> None:
    wait = backoff.delay(attempt, base=base, cap=cap)
    assert 0 <= wait <= ceiling(attempt, base=base, cap=cap)


def test_backoff__the_longest_wait_doubles_with_each_attempt_up_to_the_cap(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(backoff.random, "uniform", lambda low, high: high)  # the longest draw
    waits = [backoff.delay(attempt, base=BASE, cap=CAP) for attempt in range(1, 9)]
    assert waits == [2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0, 60.0]


def test_backoff__an_attempt_below_one_waits_like_the_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(backoff.random, "uniform", lambda low, high: high)
    assert backoff.delay(0, base=BASE, cap=CAP) == backoff.delay(1, base=BASE, cap=CAP) == BASE


@pytest.mark.usefixtures("seeded")
def test_backoff__a_burst_of_retries_is_spread_out() -> None:
    for attempt in (1, 3, 10):
        waits = [backoff.delay(attempt, base=BASE, cap=CAP) for _ in range(200)]
        assert len(set(waits)) == 200
        assert all(0 <= wait <= ceiling(attempt) for wait in waits)
        # Spread over the range, not bunched at one end of it.
        assert max(waits) - min(waits) > ceiling(attempt) / 4


@pytest.mark.usefixtures("seeded")
def test_backoff__later_attempts_wait_longer_on_average() -> None:
    def mean(attempt: int) -> float:
        return sum(backoff.delay(attempt, base=BASE, cap=CAP) for _ in range(500)) / 500

    means = [mean(attempt) for attempt in range(1, 6)]
    assert means == sorted(means)
    assert means[-1] > 4 * means[0]


@settings(deadline=None)  # pure arithmetic: a loaded machine must not fail it
@given(
    attempt=st.integers(min_value=1, max_value=50),
    retry_after=st.floats(min_value=0, max_value=86_400),
)
def test_backoff__never_sooner_than_the_providers_retry_after(
    attempt: int, retry_after: float
) -> None:
    assert backoff.delay(attempt, base=BASE, cap=CAP, floor=retry_after) >= retry_after


def test_backoff__a_retry_after_longer_than_the_cap_is_obeyed() -> None:
    assert backoff.delay(10, base=BASE, cap=CAP, floor=300.0) == 300.0
