"""A number's pacing, checked directly on its arithmetic (no server, no database).

Each number has a GCRA clock (``tat``): at rest it may send ``burst`` seconds'
worth of its rate at once; every message it sends moves the clock on by one
interval of the rate; a number at its rate is told exactly when its next slot is.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from msgboxx.dispatch.claims import Pacing, number_slots, tat_after

NOW = datetime(2026, 5, 4, 10, 0, 0, tzinfo=UTC)
# Rates whose interval is a whole number of microseconds, as timedelta keeps them.
RATES = st.sampled_from([1.0, 2.0, 4.0, 5.0, 8.0, 10.0, 20.0, 25.0, 40.0, 80.0, 250.0, 1000.0])
BURSTS = st.integers(min_value=1, max_value=5_000).map(lambda ms: timedelta(milliseconds=ms))


def pacing(rate: float = 80.0, burst: timedelta = timedelta(seconds=1)) -> Pacing:
    return Pacing(number_rate=rate, number_burst=burst, pair_interval=timedelta(0), pair_burst=1)


@pytest.mark.parametrize("idle", [timedelta(0), timedelta(seconds=3), timedelta(days=2)])
def test_pacing__a_number_at_rest_may_send_its_burst_at_its_rate(idle: timedelta) -> None:
    slots = number_slots(NOW - idle, now=NOW, pacing=pacing(rate=80.0))
    assert slots.capacity == 80  # one second of burst at 80 messages a second
    assert slots.retry_in is None
    assert slots.tat == NOW  # idle time saves no more than the burst


def test_pacing__sending_n_messages_moves_the_clock_by_n_intervals() -> None:
    assert tat_after(NOW, 40, pacing=pacing(rate=80.0)) == NOW + timedelta(seconds=0.5)
    assert tat_after(NOW, 1, pacing=pacing(rate=20.0)) == NOW + timedelta(milliseconds=50)
    assert tat_after(NOW, 0, pacing=pacing(rate=20.0)) == NOW


def test_pacing__a_number_that_sent_part_of_its_burst_may_send_the_rest() -> None:
    rules = pacing(rate=80.0)
    tat = tat_after(NOW, 30, pacing=rules)
    assert number_slots(tat, now=NOW, pacing=rules).capacity == 50


def test_pacing__a_number_at_its_rate_gets_none_and_the_time_of_its_next_slot() -> None:
    rules = pacing(rate=80.0)
    tat = tat_after(NOW, 80, pacing=rules)  # its whole burst taken
    slots = number_slots(tat, now=NOW, pacing=rules)
    assert slots.capacity <= 0
    assert slots.retry_in == pytest.approx(1 / 80)
    at_next_slot = NOW + timedelta(seconds=slots.retry_in)
    assert number_slots(tat, now=at_next_slot, pacing=rules).capacity == 1
    just_before = at_next_slot - timedelta(microseconds=1)
    assert number_slots(tat, now=just_before, pacing=rules).capacity <= 0


def test_pacing__a_number_far_over_its_rate_waits_for_its_backlog() -> None:
    rules = pacing(rate=10.0, burst=timedelta(seconds=2))
    tat = NOW + timedelta(seconds=7)  # 9 s of messages taken at rest, 2 s of it burst
    slots = number_slots(tat, now=NOW, pacing=rules)
    assert slots.capacity <= 0
    assert slots.retry_in == pytest.approx(5.1)


@settings(deadline=None)  # pure arithmetic: a loaded machine must not fail it
@given(rate=RATES, burst=BURSTS, offset=st.integers(min_value=-10_000, max_value=10_000))
def test_pacing__never_more_than_the_burst_at_once(
    rate: float, burst: timedelta, offset: int
) -> None:
    slots = number_slots(NOW + timedelta(milliseconds=offset), now=NOW, pacing=pacing(rate, burst))
    assert slots.capacity <= max(burst.total_seconds() * rate, 1)  # a burst holds one at least
    assert (slots.retry_in is None) == (slots.capacity > 0)
    if slots.retry_in is not None:
        assert 0 < slots.retry_in <= (slots.tat - NOW).total_seconds() + 1 / rate


@settings(deadline=None)  # pure arithmetic: a loaded machine must not fail it
@given(
    rate=RATES,
    burst=BURSTS,
    claims=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=3_000), st.integers(min_value=1, max_value=500)
        ),
        min_size=1,
        max_size=40,
    ),
)
def test_pacing__claims_in_a_row_never_exceed_the_burst_plus_the_rate_over_time(
    rate: float, burst: timedelta, claims: list[tuple[int, int]]
) -> None:
    """Claims at any moments, each taking what it may of what it wants."""
    rules = pacing(rate, burst)
    tat, now, sent = NOW, NOW, 0
    for gap_ms, wanted in claims:
        now += timedelta(milliseconds=gap_ms)
        slots = number_slots(tat, now=now, pacing=rules)
        taken = min(max(slots.capacity, 0), wanted)
        tat = tat_after(slots.tat, taken, pacing=rules) if taken else tat
        sent += taken
        allowed = max(burst.total_seconds() * rate, 1) + (now - NOW).total_seconds() * rate
        assert sent <= allowed + 1e-6


@settings(deadline=None)  # pure arithmetic: a loaded machine must not fail it
@given(rate=RATES, burst=BURSTS, seconds=st.integers(min_value=1, max_value=10))
def test_pacing__a_number_kept_busy_sends_at_its_rate(
    rate: float, burst: timedelta, seconds: int
) -> None:
    """Claiming whenever told to retry, a number sends its burst plus its rate, no less."""
    rules = pacing(rate, burst)
    tat, now, sent = NOW, NOW, 0
    end = NOW + timedelta(seconds=seconds)
    while now <= end:
        slots = number_slots(tat, now=now, pacing=rules)
        if slots.retry_in is None:
            tat = tat_after(slots.tat, slots.capacity, pacing=rules)
            sent += slots.capacity
        else:
            now += timedelta(seconds=slots.retry_in)
    expected = max(burst.total_seconds() * rate, 1) + seconds * rate  # a burst holds one at least
    assert expected - 1 <= sent <= expected + 1e-6


@settings(deadline=None)  # pure arithmetic: a loaded machine must not fail it
@given(rate=RATES, burst=BURSTS, taken=st.integers(min_value=0, max_value=5_000))
def test_pacing__at_the_time_it_is_told_a_number_at_its_rate_gets_a_slot(
    rate: float, burst: timedelta, taken: int
) -> None:
    rules = pacing(rate, burst)
    tat = tat_after(NOW, taken, pacing=rules)
    slots = number_slots(tat, now=NOW, pacing=rules)
    if slots.retry_in is not None:
        later = NOW + timedelta(seconds=slots.retry_in)
        assert number_slots(tat, now=later, pacing=rules).capacity == 1


def test_pacing__a_number_whose_burst_is_under_one_message_still_sends_at_its_rate() -> None:
    rules = pacing(rate=2.0, burst=timedelta(seconds=0.25))
    tat, now, sent = NOW, NOW, 0
    while now < NOW + timedelta(seconds=10):
        slots = number_slots(tat, now=now, pacing=rules)
        if slots.retry_in is None:
            tat = tat_after(slots.tat, slots.capacity, pacing=rules)
            sent += slots.capacity
        else:
            now += timedelta(seconds=slots.retry_in)
    assert sent >= 19  # 2 a second for 10 seconds
