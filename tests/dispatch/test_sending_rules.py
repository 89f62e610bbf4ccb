"""What the dispatcher makes of a claimed message and of a failed send (no server, no database).

A message whose contact was erased, or who has only a WhatsApp user id, fails
without a send. A failed send is tried again after a backoff (never sooner than
the network asked) while it may still succeed and has tries left; otherwise it
fails with a reason a person can read.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest

from msgboxx.channels.base import SendError
from msgboxx.db import utcnow
from msgboxx.dispatch.sending import Job, after_failure, work_of
from msgboxx.dispatch.store import ClaimedMessage
from msgboxx.messages.service import SendOutcome
from msgboxx.settings import Settings

SETTINGS = Settings(dispatch_max_attempts=3, dispatch_backoff_base=2.0, dispatch_backoff_max=60.0)


def claimed(**values: Any) -> ClaimedMessage:
    fields: dict[str, Any] = {
        "message_id": uuid.uuid4(),
        "account_id": uuid.uuid4(),
        "text": "Hello Ann",
        "template_parameters": None,
        "attempts": 1,
        "from_number": "+15550001111",
        "channel": "sandbox",
        "channel_settings": None,
        "to_number": "+15550002222",
        "template_name": None,
        "template_language": None,
    }
    return ClaimedMessage(**{**fields, **values})


def test_work_of__a_message_becomes_a_send_on_its_accounts_channel() -> None:
    item = claimed(
        channel="cloud_api",
        channel_settings={"phone_number_id": "123"},
        template_name="order_update",
        template_language="en",
        template_parameters=["Ann", "42"],
        attempts=2,
    )
    (job,) = work_of([item], settings=SETTINGS)
    assert isinstance(job, Job)
    assert (job.channel, job.attempts) == ("cloud_api", 2)
    message = job.message
    assert message.message_id == item.message_id
    assert (message.from_number, message.to_number) == ("+15550001111", "+15550002222")
    assert (message.template_name, message.template_language) == ("order_update", "en")
    assert message.template_parameters == ["Ann", "42"]
    assert dict(message.channel_settings) == {"phone_number_id": "123"}


def test_work_of__keeps_the_order_claimed() -> None:
    items = [claimed(text=f"message {n}") for n in range(5)]
    work = work_of(items, settings=SETTINGS)
    assert [w.message.text for w in work if isinstance(w, Job)] == [i.text for i in items]


def test_work_of__an_erased_contacts_message_fails_without_a_send() -> None:
    item = claimed(text=None)
    (outcome,) = work_of([item], settings=SETTINGS)
    assert outcome == SendOutcome(item.message_id, failure_reason="the contact was erased")


def test_work_of__a_contact_without_a_number_fails_without_a_send() -> None:
    item = claimed(to_number=None)
    (outcome,) = work_of([item], settings=SETTINGS)
    assert isinstance(outcome, SendOutcome)
    assert outcome.retry_at is None and outcome.provider_message_id is None
    assert "no phone number" in (outcome.failure_reason or "")


def test_after_failure__a_retryable_error_is_tried_again_after_a_backoff() -> None:
    message_id = uuid.uuid4()
    before = utcnow()
    error = SendError("busy", code="throttled", retryable=True)
    outcome = after_failure(message_id, 1, error, settings=SETTINGS)
    assert outcome.message_id == message_id and outcome.failure_reason is None
    assert outcome.retry_at is not None
    # The first retry waits between half the base and the base (equal jitter).
    assert before + timedelta(seconds=1) <= outcome.retry_at <= utcnow() + timedelta(seconds=2)


def test_after_failure__never_sooner_than_the_network_asked() -> None:
    before = utcnow()
    error = SendError("slow down", code="throttled", retryable=True, retry_after=30.0)
    outcome = after_failure(uuid.uuid4(), 1, error, settings=SETTINGS)
    assert outcome.retry_at is not None
    assert outcome.retry_at >= before + timedelta(seconds=30)


def test_after_failure__gives_up_after_the_last_attempt() -> None:
    error = SendError("the network is down", code="crash", retryable=True)
    outcome = after_failure(uuid.uuid4(), 3, error, settings=SETTINGS)
    assert outcome.retry_at is None
    assert outcome.failure_reason == "gave up after 3 attempts: the network is down"


@pytest.mark.parametrize("attempts", [1, 3])
def test_after_failure__an_error_that_cannot_succeed_fails_at_once(attempts: int) -> None:
    error = SendError("not a WhatsApp number", code="131026", retryable=False)
    outcome = after_failure(uuid.uuid4(), attempts, error, settings=SETTINGS)
    assert outcome.retry_at is None
    assert outcome.failure_reason == "not a WhatsApp number"
