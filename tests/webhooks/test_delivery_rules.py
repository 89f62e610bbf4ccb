"""What an attempt to deliver a webhook comes to, checked on the rule (no server).

A 2xx delivers and the next event may go at once. Anything else keeps the
delivery pending and holds its subscription's line for a backoff that grows with
each attempt, until the event is older than the retry window: then the delivery
is given up and the line moves on.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from msgboxx.settings import Settings
from msgboxx.webhooks.delivery import Attempt, outcome
from msgboxx.webhooks.models import DeliveryStatus

SETTINGS = Settings(
    webhook_backoff_base=5.0,
    webhook_backoff_max=3600.0,
    webhook_retry_window_seconds=24 * 3600.0,
)
WINDOW = timedelta(hours=24)


def answered(status_code: int | None) -> Attempt:
    error = None if status_code and 200 <= status_code < 300 else "it went wrong"
    return Attempt(status_code, latency_ms=12, error=error)


@pytest.mark.parametrize("status_code", [200, 201, 202, 204, 299])
def test_delivery__a_2xx_delivers_and_the_next_goes_at_once(status_code: int) -> None:
    assert outcome(answered(status_code), attempts=1, age=timedelta(0), settings=SETTINGS) == (
        DeliveryStatus.delivered,
        None,
    )


def test_delivery__a_2xx_delivers_even_past_the_retry_window() -> None:
    late = outcome(answered(200), attempts=40, age=WINDOW * 2, settings=SETTINGS)
    assert late == (DeliveryStatus.delivered, None)


@pytest.mark.parametrize("status_code", [None, 199, 300, 302, 400, 404, 429, 500, 503])
def test_delivery__anything_else_stays_pending_and_backs_off(status_code: int | None) -> None:
    status, wait = outcome(answered(status_code), attempts=1, age=timedelta(0), settings=SETTINGS)
    assert status is None
    assert wait is not None
    assert timedelta(seconds=2.5) <= wait <= timedelta(seconds=5)


def test_delivery__the_backoff_doubles_with_each_attempt_up_to_the_cap() -> None:
    for attempts, ceiling in [
        (1, 5),
        (2, 10),
        (3, 20),
        (4, 40),
        (10, 2560),
        (11, 3600),
        (50, 3600),
    ]:
        _status, wait = outcome(
            answered(500), attempts=attempts, age=timedelta(minutes=1), settings=SETTINGS
        )
        assert wait is not None
        assert timedelta(seconds=ceiling / 2) <= wait <= timedelta(seconds=ceiling), attempts


def test_delivery__a_failure_past_the_retry_window_gives_up_and_moves_on() -> None:
    assert outcome(answered(500), attempts=30, age=WINDOW, settings=SETTINGS) == (
        DeliveryStatus.failed,
        None,
    )
    assert outcome(answered(None), attempts=30, age=WINDOW * 3, settings=SETTINGS) == (
        DeliveryStatus.failed,
        None,
    )


def test_delivery__a_failure_just_inside_the_window_is_tried_again() -> None:
    status, wait = outcome(
        answered(500), attempts=30, age=WINDOW - timedelta(seconds=1), settings=SETTINGS
    )
    assert status is None
    assert wait is not None


def test_delivery__an_attempt_knows_a_410_unsubscribes() -> None:
    """410 Gone is the receiver's own unsubscribe (REST hooks): the sender deletes it."""
    assert answered(410).gone
    assert not answered(404).gone
    assert not answered(None).gone
    assert not answered(410).ok
