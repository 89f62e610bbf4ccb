"""Meta's error codes, checked directly on the table (no server, no network).

The dispatcher decides from the code alone: retry (and how long to wait) or
fail with a reason a person can read; a few codes also say something beyond
the one message (the token is broken, the customer stopped marketing).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from msgboxx.channels.base import ConsentChange, StatusReport
from msgboxx.channels.cloud_api import errors, incoming
from msgboxx.channels.cloud_api.errors import Effect

PHONE_NUMBER_ID = "106540352242922"
OUR_NUMBER = "+15550783881"
CUSTOMER = "+16505551234"

TRANSIENT = [
    # code, the least wait Meta's limits ask for
    (130429, 1.0),
    (131056, 6.0),
    (4, 60.0),
    (80007, 60.0),
    (131000, 2.0),
    (1, 2.0),
    (2, 2.0),
    (131016, 5.0),
    (133004, 5.0),
    (131057, 30.0),
]


@pytest.mark.parametrize(("code", "wait"), TRANSIENT)
def test_classify__transient_code_is_retried_after_its_wait(code: int, wait: float) -> None:
    kind = errors.classify(code, http_status=400)
    assert kind.retryable
    assert kind.retry_after == wait
    assert kind.effect is Effect.none


PERMANENT = [
    # code, the reason a user reads
    (131026, "131026 Message undeliverable"),
    (131048, "131048 Spam rate limit hit"),
    (131051, "131051 Unsupported message type"),
    (100, "100 Invalid parameter"),
    (131008, "131008 Required parameter is missing"),
    (131009, "131009 Parameter value is not valid"),
    (132000, "132000 Number of template parameters does not match"),
    (132001, "132001 Template does not exist in this language or is not approved"),
    (132015, "132015 Template is paused"),
    (132016, "132016 Template is disabled"),
    (133010, "133010 Phone number not registered"),
    (368, "368 Temporarily blocked for policy violations"),
]


@pytest.mark.parametrize(("code", "reason"), PERMANENT)
def test_classify__permanent_code_fails_with_a_readable_reason(code: int, reason: str) -> None:
    kind = errors.classify(code, http_status=400)
    assert not kind.retryable
    assert kind.retry_after is None
    assert kind.effect is Effect.none
    assert errors.reason(code, kind) == reason


def test_classify__131047_outside_the_window_fails_and_says_to_send_a_template() -> None:
    kind = errors.classify(131047, http_status=400)
    assert not kind.retryable  # retrying cannot reopen the customer's 24-hour window
    assert kind.effect is Effect.none  # the customer did not opt out
    reason = errors.reason(131047, kind)
    assert reason.startswith("131047 Re-engagement message")
    assert "24 hours" in reason and "template" in reason


def test_classify__131050_fails_and_unsubscribes_the_customer() -> None:
    kind = errors.classify(131050, http_status=400)
    assert not kind.retryable
    assert kind.effect is Effect.unsubscribed
    assert errors.reason(131050, kind) == "131050 User stopped marketing messages"


@pytest.mark.parametrize(
    ("code", "status", "reason"),
    [
        (190, 401, "190 Access token has expired or is invalid"),
        (0, 401, "0 Authentication exception"),
        (3, 403, "3 API method not permitted for this app"),
        (10, 403, "10 Permission denied"),
        (200, 403, "200 Permission error"),  # the 200-299 family, not listed one by one
        (299, 403, "299 Permission error"),
    ],
)
def test_classify__credential_code_fails_and_marks_the_account(
    code: int, status: int, reason: str
) -> None:
    kind = errors.classify(code, http_status=status)
    assert not kind.retryable
    assert kind.effect is Effect.bad_credentials
    assert errors.reason(code, kind) == reason


def test_classify__unlisted_template_code_is_a_template_problem() -> None:
    kind = errors.classify(132999, http_status=400)
    assert not kind.retryable and kind.effect is Effect.none
    assert errors.reason(132999, kind) == "132999 Template problem"


@pytest.mark.parametrize(
    ("code", "status", "retryable", "effect", "reason"),
    [
        (999999, 500, True, Effect.none, "999999 WhatsApp answered HTTP 500"),
        (999999, 503, True, Effect.none, "999999 WhatsApp answered HTTP 503"),
        (999999, 429, True, Effect.none, "999999 WhatsApp answered HTTP 429"),
        (
            999999,
            401,
            False,
            Effect.bad_credentials,
            "999999 WhatsApp refused the credentials (HTTP 401)",
        ),
        (
            None,
            403,
            False,
            Effect.bad_credentials,
            "WhatsApp refused the credentials (HTTP 403)",
        ),
        (999999, 400, False, Effect.none, "999999 WhatsApp refused the request (HTTP 400)"),
        (None, 404, False, Effect.none, "WhatsApp refused the request (HTTP 404)"),
        (None, 502, True, Effect.none, "WhatsApp answered HTTP 502"),
    ],
)
def test_classify__unknown_code_is_judged_by_the_http_status(
    code: int | None, status: int, retryable: bool, effect: Effect, reason: str
) -> None:
    kind = errors.classify(code, http_status=status)
    assert kind.retryable is retryable
    assert kind.effect is effect
    assert errors.reason(code, kind) == reason
    if retryable:
        assert kind.retry_after == 2.0


@pytest.mark.parametrize(("code", "status"), [(131026, 500), (131047, 503), (190, 500)])
def test_classify__a_known_code_wins_over_server_trouble(code: int, status: int) -> None:
    """Meta says to branch on the code, so a 5xx with a permanent code is not retried."""
    assert not errors.classify(code, http_status=status).retryable


@pytest.mark.parametrize(("code", "status"), [(130429, 400), (131056, 400), (80007, 403)])
def test_classify__a_rate_limit_is_retried_whatever_the_http_status(code: int, status: int) -> None:
    assert errors.classify(code, http_status=status).retryable


def test_table__every_retryable_code_says_how_long_to_wait_and_no_other_does() -> None:
    for code, kind in errors.TABLE.items():
        if kind.retryable:
            assert kind.retry_after is not None and kind.retry_after > 0, code
        else:
            assert kind.retry_after is None, code


def test_table__only_credentials_and_131050_reach_beyond_the_message() -> None:
    reaching = {
        code: kind.effect for code, kind in errors.TABLE.items() if kind.effect is not Effect.none
    }
    assert reaching.pop(131050) is Effect.unsubscribed
    assert set(reaching.values()) == {Effect.bad_credentials}
    assert all(not errors.TABLE[code].retryable for code in reaching)


@pytest.mark.parametrize(
    ("details", "reason"),
    [
        (None, "131026 Message undeliverable"),
        ("", "131026 Message undeliverable"),
        # Details that repeat the title, in another case or with a full stop: said once.
        ("Message Undeliverable.", "131026 Message undeliverable"),
        # Details that say the title and more stand in for it.
        (
            "Message undeliverable: the phone is off",
            "131026 Message undeliverable: the phone is off",
        ),
        # Details that say something else follow the title.
        ("The phone is off.", "131026 Message undeliverable: The phone is off."),
    ],
)
def test_reason__says_each_part_once(details: str | None, reason: str) -> None:
    kind = errors.classify(131026, http_status=400)
    assert errors.reason(131026, kind, details) == reason


def test_describe__without_a_code_is_the_title_and_details() -> None:
    assert errors.describe(None, "cannot reach WhatsApp") == "cannot reach WhatsApp"
    assert errors.describe(None, "Refused", "for a reason") == "Refused: for a reason"


def failed_status(code: int, title: str) -> dict[str, Any]:
    """A ``messages`` webhook reporting one of our messages failed with ``code``."""
    status = {
        "id": "wamid.OUTBOUND",
        "status": "failed",
        "timestamp": "1750263791",
        "recipient_id": CUSTOMER.lstrip("+"),
        "errors": [{"code": code, "title": title, "message": title}],
    }
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": PHONE_NUMBER_ID},
        "statuses": [status],
    }
    change = {"field": "messages", "value": value}
    return {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [change]}]}


def test_failed_status__131050_unsubscribes_the_customer_and_fails_the_message() -> None:
    body = failed_status(131050, "User stopped marketing messages")
    parsed = incoming.parse(body, numbers={PHONE_NUMBER_ID: OUR_NUMBER}, wabas=frozenset())
    consent, report = parsed.events
    assert isinstance(consent, ConsentChange)
    assert (consent.to_number, consent.from_number, consent.status.value) == (
        OUR_NUMBER,
        CUSTOMER,
        "Unsubscribed",
    )
    assert isinstance(report, StatusReport)
    assert report.status.value == "Failed"
    assert report.failure_reason == "131050 User stopped marketing messages"
    assert report.at == datetime(2025, 6, 18, 16, 23, 11, tzinfo=UTC)


def test_failed_status__131047_fails_the_message_and_leaves_consent_alone() -> None:
    body = failed_status(131047, "Re-engagement message")
    parsed = incoming.parse(body, numbers={PHONE_NUMBER_ID: OUR_NUMBER}, wabas=frozenset())
    [report] = parsed.events
    assert isinstance(report, StatusReport)
    assert report.status.value == "Failed"
    assert report.failure_reason == "131047 Re-engagement message"


def test_failed_status__without_a_title_reads_the_table() -> None:
    body = failed_status(131026, "")
    parsed = incoming.parse(body, numbers={PHONE_NUMBER_ID: OUR_NUMBER}, wabas=frozenset())
    [report] = parsed.events
    assert isinstance(report, StatusReport)
    assert report.failure_reason == "131026 Message undeliverable"


def test_failed_status__without_errors_still_fails_with_a_reason() -> None:
    body = failed_status(131026, "")
    body["entry"][0]["changes"][0]["value"]["statuses"][0]["errors"] = []
    parsed = incoming.parse(body, numbers={PHONE_NUMBER_ID: OUR_NUMBER}, wabas=frozenset())
    [report] = parsed.events
    assert isinstance(report, StatusReport)
    assert report.failure_reason == "failed (WhatsApp gave no reason)"
