"""What a tag and an attribute may be: the one rule for the API, the filter and the import.

Tags are what segments and campaigns select by, so two spellings of one label
(``VIP``, `` vip ``) must be one tag: they are trimmed and lower-cased here.
Attribute values are strings because they are filled into template text
(``{{attributes.order}}``) and a CSV cell is a string anyway; numbers and
booleans sent as JSON are kept as the text they would print as.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

MAX_TAGS = 50
MAX_TAG_LENGTH = 64
MAX_ATTRIBUTES = 100
MAX_KEY_LENGTH = 64
MAX_VALUE_LENGTH = 1000

_TAG = re.compile(r"[a-z0-9_\-:.]+")
_KEY = re.compile(r"[A-Za-z0-9_]+")


class SegmentError(ValueError):
    """A tag or attribute breaks its rule; the message says which and how, for a person."""


def clean_tag(raw: str) -> str:
    """``raw`` as the tag it stands for, or :class:`SegmentError`."""
    tag = raw.strip().lower()
    if not tag:
        raise SegmentError("a tag must not be empty")
    if len(tag) > MAX_TAG_LENGTH:
        raise SegmentError(f"tag {tag[:20]!r}... is longer than {MAX_TAG_LENGTH} characters")
    if not _TAG.fullmatch(tag):
        raise SegmentError(f"tag {tag!r} may hold only letters a-z, digits and _ - : . (no spaces)")
    return tag


def clean_tags(raw: Iterable[str]) -> list[str]:
    """The set of tags ``raw`` names, in the order first given, at most :data:`MAX_TAGS`."""
    tags = list(dict.fromkeys(clean_tag(item) for item in raw))
    if len(tags) > MAX_TAGS:
        raise SegmentError(f"a contact has at most {MAX_TAGS} tags, {len(tags)} were given")
    return tags


def check_key(key: str) -> str:
    if not 1 <= len(key) <= MAX_KEY_LENGTH or not _KEY.fullmatch(key):
        raise SegmentError(
            f"attribute name {key[:70]!r} must be 1 to {MAX_KEY_LENGTH} of A-Z, a-z, 0-9 and _"
        )
    return key


def attribute_value(key: str, value: object) -> str | None:
    """A value as stored: text, or None for a key to remove."""
    if value is None:
        return None
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, int | float):
        text = str(value)
    elif isinstance(value, str):
        text = value
    else:
        raise SegmentError(f"attribute {key!r} must be text, a number, true/false or null")
    if len(text) > MAX_VALUE_LENGTH:
        raise SegmentError(f"attribute {key!r} is longer than {MAX_VALUE_LENGTH} characters")
    return text


def clean_attributes(raw: Mapping[str, object]) -> dict[str, str | None]:
    """Changes to a contact's attributes: a value sets its key, None removes it."""
    if len(raw) > MAX_ATTRIBUTES:
        raise SegmentError(f"at most {MAX_ATTRIBUTES} attributes, {len(raw)} were given")
    return {check_key(key): attribute_value(key, value) for key, value in raw.items()}


def merged(existing: Mapping[str, str] | None, changes: Mapping[str, str | None]) -> dict[str, str]:
    """``existing`` with ``changes`` applied; at most :data:`MAX_ATTRIBUTES` keys in all."""
    result = dict(existing or {})
    for key, value in changes.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = value
    if len(result) > MAX_ATTRIBUTES:
        raise SegmentError(
            f"a contact has at most {MAX_ATTRIBUTES} attributes; these changes make {len(result)}"
        )
    return result
