"""The 24-hour customer-service window, checked directly on the rule (no server).

A free-form message may go while now is strictly within 24 hours of the
contact's last inbound message; at 24 hours and after, and when the contact
never wrote, the send is refused with the contract's 422.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from msgboxx.core.errors import ProblemError, SessionWindowClosed
from msgboxx.core.wire import format_timestamp
from msgboxx.messages.window import closes_at, ensure_open, is_open
from msgboxx.web.problems import TYPE_BASE, from_error

LAST_INBOUND = datetime(2026, 3, 1, 9, 30, 15, 250_000, tzinfo=UTC)
DAY = timedelta(hours=24)


@pytest.mark.parametrize(
    "since",
    [
        timedelta(0),
        timedelta(hours=1),
        timedelta(hours=23, minutes=59),
        DAY - timedelta(microseconds=1),
    ],
    ids=["at-once", "1h", "23h59m", "just-inside-24h"],
)
def test_window__open_until_just_inside_24_hours(since: timedelta) -> None:
    ensure_open(LAST_INBOUND, now=LAST_INBOUND + since)  # does not raise
    assert is_open(LAST_INBOUND, now=LAST_INBOUND + since)


@pytest.mark.parametrize(
    "since",
    [DAY, DAY + timedelta(microseconds=1), timedelta(hours=25), timedelta(days=30)],
    ids=["at-24h", "just-after", "25h", "30d"],
)
def test_window__closed_at_24_hours_and_after(since: timedelta) -> None:
    with pytest.raises(SessionWindowClosed) as raised:
        ensure_open(LAST_INBOUND, now=LAST_INBOUND + since)
    assert f"closed at {format_timestamp(LAST_INBOUND + DAY)}" in raised.value.detail
    assert not is_open(LAST_INBOUND, now=LAST_INBOUND + since)


def test_window__closed_when_the_contact_never_wrote() -> None:
    with pytest.raises(SessionWindowClosed) as raised:
        ensure_open(None, now=LAST_INBOUND)
    assert "never opened" in raised.value.detail
    assert closes_at(None) is None


def test_window__a_new_inbound_message_restarts_the_24_hours() -> None:
    later = LAST_INBOUND + timedelta(hours=20)
    now = LAST_INBOUND + timedelta(hours=30)
    with pytest.raises(SessionWindowClosed):
        ensure_open(LAST_INBOUND, now=now)
    ensure_open(later, now=now)
    assert closes_at(later) == later + DAY


def test_window__the_problem_is_a_422_session_window_closed_that_points_to_templates() -> None:
    with pytest.raises(ProblemError) as raised:
        ensure_open(LAST_INBOUND, now=LAST_INBOUND + DAY)
    error = raised.value
    assert error.status == 422
    assert error.slug == "session-window-closed"
    assert "template" in error.detail and "POST /broadcast" in error.detail
    response = from_error(error)
    assert response.status_code == 422
    assert response.media_type == "application/problem+json"
    assert f'"type":"{TYPE_BASE}session-window-closed"'.encode() in response.body


@settings(deadline=None)  # pure arithmetic: a loaded machine must not fail it
@given(seconds=st.floats(min_value=-3 * 86_400, max_value=3 * 86_400, allow_nan=False))
def test_window__open_exactly_when_less_than_24_hours_have_passed(seconds: float) -> None:
    since = timedelta(seconds=seconds)
    now = LAST_INBOUND + since
    if since < DAY:
        ensure_open(LAST_INBOUND, now=now)
    else:
        with pytest.raises(SessionWindowClosed):
            ensure_open(LAST_INBOUND, now=now)
