"""Template placeholders, checked directly on the rules (no server, no database).

A placeholder is ``{{n}}`` (spaces inside the braces allowed); a template's are
numbered 1, 2, ... without gaps; WhatsApp refuses a body that starts or ends
with one. A broadcast gives either the values or the finished text: the text
must be the template with its literal parts exactly and every placeholder
replaced by non-empty text, the same text wherever a placeholder repeats.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from msgboxx.core.errors import Unprocessable
from msgboxx.templates.placeholders import (
    at_either_end,
    check_numbering,
    extract,
    fill,
    numbers,
)
from msgboxx.templates.service import parameters_of

ORDER = "Hello {{1}}, your order {{2}} is on its way."


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("No placeholders at all.", []),
        (ORDER, [1, 2]),
        ("{{2}} before {{1}}", [1, 2]),
        ("{{1}} and {{1}} again", [1]),
        ("Spaces {{ 1 }} and {{2 }} inside", [1, 2]),
        ("Ten {{10}}", [10]),
    ],
)
def test_numbers__distinct_and_ascending(text: str, expected: list[int]) -> None:
    assert numbers(text) == expected


@pytest.mark.parametrize(
    "text",
    ["{1}", "{{a}}", "{{ }}", "{{-1}}", "{{1.5}}", "{ {1} }", "{{{}}}", "{{", "}}"],
)
def test_numbers__what_is_not_a_placeholder(text: str) -> None:
    assert numbers(f"Hi {text} there") == []


@pytest.mark.parametrize(
    "text",
    [
        "Plain text",
        "Hi {{1}} there",
        ORDER,
        "{{2}} comes first, then {{1}}",
        "Repeated {{1}}, {{1}} and {{2}}",
    ],
)
def test_check_numbering__one_to_n_without_gaps_is_fine(text: str) -> None:
    assert check_numbering(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "Hi {{2}} there",  # does not start at 1
        "Hi {{1}} and {{3}} there",  # a gap
        "Hi {{0}} there",  # numbering starts at 1
        "Hi {{0}} and {{1}} there",
    ],
)
def test_check_numbering__gaps_and_wrong_starts_are_refused(text: str) -> None:
    problem = check_numbering(text)
    assert problem is not None
    assert "{{1}}, {{2}}" in problem


@pytest.mark.parametrize(
    ("text", "at_an_end"),
    [
        ("{{1}}, your order is here", True),
        ("Your code is {{1}}", True),
        ("  {{1}} with spaces around  ", True),
        ("Your code is {{ 1 }}\n", True),
        ("Hello {{1}}, bye", False),
        ("No placeholders", False),
        ("{1} is not one", False),
    ],
)
def test_at_either_end__a_body_may_not_start_or_end_with_a_placeholder(
    text: str, at_an_end: bool
) -> None:
    assert at_either_end(text) is at_an_end


def test_fill__each_placeholder_by_its_number() -> None:
    assert fill(ORDER, ["Ann", "42"]) == "Hello Ann, your order 42 is on its way."
    assert fill("{{2}} then {{1}}", ["one", "two"]) == "two then one"


def test_fill__a_repeated_placeholder_gets_the_same_value() -> None:
    assert fill("{{1}}, yes {{ 1 }}!", ["Ann"]) == "Ann, yes Ann!"


def test_fill__values_are_taken_as_they_are() -> None:
    # Not filled again, and no escapes read (a value is text, not a pattern).
    assert fill("{{1}} and {{2}}", ["{{2}}", "x"]) == "{{2}} and x"
    assert fill("Path {{1}}", [r"C:\new\1"]) == r"Path C:\new\1"


def test_fill__text_that_is_not_a_placeholder_is_left_alone() -> None:
    assert fill("Hi {{1}}, {1} and {{a}}", ["Ann"]) == "Hi Ann, {1} and {{a}}"


def test_extract__the_values_of_a_finished_text() -> None:
    assert extract(ORDER, "Hello Ann, your order 42 is on its way.") == ["Ann", "42"]
    assert extract("{{2}} then {{1}}", "two then one") == ["one", "two"]


def test_extract__without_placeholders_only_the_text_itself_matches() -> None:
    assert extract("Thanks!", "Thanks!") == []
    assert extract("Thanks!", "Thanks") is None


@pytest.mark.parametrize(
    "message",
    [
        "Hello Ann, your order 42 is on its way",  # the full stop is missing
        "Hello Ann your order 42 is on its way.",  # a literal part changed
        "hello Ann, your order 42 is on its way.",  # case matters
        "Hello Ann, your order 42 is on its way. PS",  # more text after
        "Hi! Hello Ann, your order 42 is on its way.",  # more text before
    ],
)
def test_extract__literal_parts_must_match_exactly(message: str) -> None:
    assert extract(ORDER, message) is None


@pytest.mark.parametrize(
    "message",
    [
        "Hello , your order 42 is on its way.",  # whitespace only
        "Hello \t, your order 42 is on its way.",
        "Hello Ann, your order  is on its way.",
    ],
)
def test_extract__every_placeholder_needs_non_empty_text(message: str) -> None:
    assert extract(ORDER, message) is None


def test_extract__a_repeated_placeholder_must_carry_the_same_text() -> None:
    template = "Hi {{1}}, is {{1}} right?"
    assert extract(template, "Hi Ann, is Ann right?") == ["Ann"]
    assert extract(template, "Hi Ann, is Bob right?") is None


def test_extract__the_template_text_is_literal_not_a_pattern() -> None:
    template = "Price: $5.00 (incl. {{1}}) [a-z]* ^{{2}}?"
    message = "Price: $5.00 (incl. VAT) [a-z]* ^now?"
    assert extract(template, message) == ["VAT", "now"]
    assert extract(template, "Price: $5X00 (incl. VAT) [a-z]* ^now?") is None


def test_extract__a_value_may_start_with_spaces_and_the_text_after_it() -> None:
    finished = fill(ORDER, [" , your order 7", "42"])
    assert extract(ORDER, finished) == [" , your order 7", "42"]


def test_extract__a_value_may_span_lines() -> None:
    assert extract("Note: {{1}}.", "Note: first line\nsecond line.") == ["first line\nsecond line"]


_VALUE = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=20
).filter(lambda value: value.strip() != "")


@given(first=_VALUE, second=_VALUE)
def test_extract__what_it_finds_fills_back_to_the_same_text(first: str, second: str) -> None:
    """Values may be ambiguous ("a b" + "c" vs "a" + "b c"); the finished text never is."""
    finished = fill(ORDER, [first, second])
    found = extract(ORDER, finished)
    assert found is not None
    assert fill(ORDER, found) == finished


@given(first=_VALUE.filter(lambda v: "," not in v), second=_VALUE.filter(lambda v: " is " not in v))
def test_extract__gives_back_the_values_filled_in(first: str, second: str) -> None:
    """When no value contains the literal text that follows it, extraction is exact."""
    assert extract(ORDER, fill(ORDER, [first, second])) == [first, second]


# parameters_of: a broadcast's values, from its finished text or its parameters.


def _field_of(problem: pytest.ExceptionInfo[Unprocessable]) -> str:
    (error,) = problem.value.errors
    return error["field"]


def test_parameters_of__parameters_that_fit_are_the_values() -> None:
    values = parameters_of(ORDER, name="order", message=None, parameters=["Ann", "42"])
    assert values == ["Ann", "42"]


def test_parameters_of__parameters_with_the_message_they_fill_in_to() -> None:
    message = "Hello Ann, your order 42 is on its way."
    assert parameters_of(ORDER, name="order", message=message, parameters=["Ann", "42"]) == [
        "Ann",
        "42",
    ]


@pytest.mark.parametrize("given_values", [[], ["Ann"], ["Ann", "42", "extra"]])
def test_parameters_of__a_wrong_number_of_parameters_is_refused(given_values: list[str]) -> None:
    with pytest.raises(Unprocessable) as problem:
        parameters_of(ORDER, name="order", message=None, parameters=given_values)
    assert _field_of(problem) == "parameters"
    assert f"2 placeholder(s), {len(given_values)} parameter(s)" in problem.value.detail


def test_parameters_of__a_message_that_the_parameters_do_not_fill_in_to_is_refused() -> None:
    with pytest.raises(Unprocessable) as problem:
        parameters_of(
            ORDER,
            name="order",
            message="Hello Bob, your order 42 is on its way.",
            parameters=["Ann", "42"],
        )
    assert _field_of(problem) == "message"


def test_parameters_of__the_message_alone_gives_the_values() -> None:
    message = "Hello Ann, your order 42 is on its way."
    assert parameters_of(ORDER, name="order", message=message, parameters=None) == ["Ann", "42"]


def test_parameters_of__a_message_that_is_not_the_template_is_refused() -> None:
    with pytest.raises(Unprocessable) as problem:
        parameters_of(ORDER, name="order", message="Hello there", parameters=None)
    assert _field_of(problem) == "message"


def test_parameters_of__neither_is_fine_only_without_placeholders() -> None:
    assert parameters_of("Thanks!", name="thanks", message=None, parameters=None) == []
    with pytest.raises(Unprocessable) as problem:
        parameters_of(ORDER, name="order", message=None, parameters=None)
    assert _field_of(problem) == "message"
