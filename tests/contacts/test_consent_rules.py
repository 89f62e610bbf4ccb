"""Consent keywords, checked directly on the rule (no server).

An inbound text that is a STOP keyword unsubscribes the contact, a START
keyword subscribes them again; case, surrounding spaces, spaces between the words
of a keyword and a final full stop or exclamation mark do not matter. Any other
punctuation, a keyword inside a sentence, or a word near a keyword does not count.
"""

from __future__ import annotations

import pytest

from msgboxx.contacts.service import START_WORDS, STOP_WORDS, consent_keyword
from msgboxx.contacts.status import ContactStatus


@pytest.mark.parametrize("word", sorted(STOP_WORDS))
def test_consent__every_stop_word_unsubscribes_in_any_case(word: str) -> None:
    for text in (word, word.upper(), word.title(), f" {word.upper()}! "):
        assert consent_keyword(text) is ContactStatus.unsubscribed, text


@pytest.mark.parametrize("word", sorted(START_WORDS))
def test_consent__every_start_word_subscribes_in_any_case(word: str) -> None:
    for text in (word, word.upper(), word.title(), f" {word.upper()}. "):
        assert consent_keyword(text) is ContactStatus.subscribed, text


def test_consent__no_word_both_stops_and_starts() -> None:
    assert STOP_WORDS.isdisjoint(START_WORDS)


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
        "opt\nout",
        "optout",
        "stop .",
        "STOP...",
        "stop!!!.",
    ],
)
def test_consent__stop_and_its_variants_unsubscribe(text: str) -> None:
    assert consent_keyword(text) is ContactStatus.unsubscribed


@pytest.mark.parametrize(
    "text",
    [
        "START",
        "start",
        " Start ",
        "start!",
        "UNSTOP",
        "subscribe",
        "opt in",
        "OPT  IN",
        "opt\tin",
        "OPTIN",
        "Resume.",
        "resume !",
        "Start.!",
        "\u00a0start\u00a0",
    ],
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


@pytest.mark.parametrize(
    "text",
    ["stop?", "STOP,", "stop;", "stop:)", "¡stop", ".stop", "'stop'", '"STOP"', "opt-out"],
)
def test_consent__other_punctuation_makes_it_no_keyword(text: str) -> None:
    """Only a final full stop or exclamation mark is ignored: "stop?" is a question."""
    assert consent_keyword(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "!",
        "...",
        "!.!",
        "stops",
        "unsubscribed",
        "starting",
        "cancelled",
        "ending",
        "quitting",
        "opt",
        "in",
        "out",
        "all",
        "stopall please",
        "opt out now",
        "yes",
        "ok",
        "STOP 2",
        "s t o p",
        "st op",
    ],
)
def test_consent__unknown_words_and_lone_punctuation_ask_for_nothing(text: str) -> None:
    assert consent_keyword(text) is None
