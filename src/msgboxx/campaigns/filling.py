"""A campaign's parameters: per placeholder, text that may name the contact's own fields.

``{{contact.name}}``, ``{{contact.number}}`` and ``{{attributes.X}}`` are replaced
by the recipient's values; anything else is fixed text. A recipient missing a
value (no name, no such attribute, or only spaces) is skipped rather than sent
a template with a hole in it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

FIELD = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
_KNOWN = re.compile(r"^(contact\.name|contact\.number|attributes\.[A-Za-z0-9_.\-]{1,64})$")
# WhatsApp refuses a parameter over 1,024 characters, or one of only spaces.
MAX_VALUE = 1024


def unknown_fields(expression: str) -> list[str]:
    """The ``{{...}}`` in an expression that name no field a contact has."""
    return [name for name in FIELD.findall(expression) if not _KNOWN.match(name)]


def _value(
    field: str, *, contact_name: str | None, number: str | None, attributes: Mapping[str, Any]
) -> str | None:
    if field == "contact.name":
        return contact_name
    if field == "contact.number":
        return number
    value = attributes.get(field.removeprefix("attributes."))
    if value is None or isinstance(value, dict | list):
        return None
    return str(value)


def fill(
    expressions: list[str],
    *,
    name: str | None,
    number: str | None,
    attributes: Mapping[str, Any] | None,
) -> list[str] | None:
    """The parameters for one recipient, or None when one of its values is missing."""
    filled: list[str] = []
    for expression in expressions:
        missing = False

        def value_of(match: re.Match[str]) -> str:
            nonlocal missing
            found = _value(
                match.group(1), contact_name=name, number=number, attributes=attributes or {}
            )
            if found is None or not found.strip():
                missing = True
                return ""
            return found

        text = FIELD.sub(value_of, expression)
        if missing or not text.strip() or len(text) > MAX_VALUE:
            return None
        filled.append(text)
    return filled
