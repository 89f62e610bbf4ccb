"""Consent keywords, checked directly on the rule (no server).

An inbound text that is a STOP keyword unsubscribes the contact, a START
keyword subscribes them again; case, surrounding spaces and a final full stop or
exclamation mark do not matter, and the words inside a sentence do not count.
"""

from __future__ import annotations

import pytest

from msgboxx.contacts.models import ContactStatus
from msgboxx.contacts.service import consent_keyword


@pytest.mark.parametrize(
    "text",
    [
        "STOP",
        "stop",
        "Stop",
        "  stop  ",
        "\tSTOP\n",
        "stop.",
        "STOP!",
        "Stop!!",
        "STOPALL",
        "stop all",
        "Stop   All",
        "UNSUBSCRIBE",
        "cancel",
        "End",
        "quit",
        "opt out",
        "OPT OUT",
        "optout",
    ],
)
def test_consent__stop_and_its_variants_unsubscribe(text: str) -> None:
    assert consent_keyword(text) is ContactStatus.unsubscribed


@pytest.mark.parametrize(
    "text",
    ["START", "start", " Start ", "start!", "UNSTOP", "subscribe", "opt in", "OPTIN", "Resume."],
)
def test_consent__start_and_its_variants_subscribe_again(text: str) -> None:
    assert consent_keyword(text) is ContactStatus.subscribed


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "Hi",
        "please don't stop",
        "stop sending me offers",
        "I can't stop smiling",
        "cancel my order",
        "when does the sale end",
        "start my subscription on Monday",
        "Can I resume my order?",
        "stopped",
        "restart",
        "non-stop",
        "STOP STOP",
    ],
)
def test_consent__keywords_inside_a_sentence_do_not_count(text: str) -> None:
    assert consent_keyword(text) is None
