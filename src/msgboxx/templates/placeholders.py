"""Template placeholders ``{{1}}``, ``{{2}}``: filling them and recognising them.

A broadcast may give the finished text instead of parameters, so the text must
be matched back against the template: literal parts exactly, each placeholder
non-empty, and a placeholder used twice must carry the same value twice.
"""

from __future__ import annotations

import re
from functools import lru_cache

PLACEHOLDER = re.compile(r"\{\{\s*(\d+)\s*\}\}")


def numbers(text: str) -> list[int]:
    """The distinct placeholder numbers of a template, in ascending order."""
    return sorted({int(n) for n in PLACEHOLDER.findall(text)})


def check_numbering(text: str) -> str | None:
    """Why a template's placeholders are unusable, or None when they are fine."""
    found = numbers(text)
    if found and found != list(range(1, len(found) + 1)):
        return "placeholders must be numbered {{1}}, {{2}}, ... without gaps"
    return None


def at_either_end(text: str) -> bool:
    """WhatsApp rejects bodies that start or end with a placeholder (error 2388299)."""
    body = text.strip()
    return bool(PLACEHOLDER.match(body)) or bool(re.search(PLACEHOLDER.pattern + r"$", body))


def fill(text: str, parameters: list[str]) -> str:
    return PLACEHOLDER.sub(lambda m: parameters[int(m.group(1)) - 1], text)


@lru_cache(maxsize=1024)
def _pattern(text: str) -> re.Pattern[str]:
    parts: list[str] = []
    seen: set[str] = set()
    position = 0
    for match in PLACEHOLDER.finditer(text):
        parts.append(re.escape(text[position : match.start()]))
        name = f"p{match.group(1)}"
        # Some text that is not only white space, as short as the rest allows: the
        # check is in the pattern, so a value that starts with spaces followed by
        # the next literal part is found whole rather than cut at the spaces.
        parts.append(f"(?P={name})" if name in seen else rf"(?P<{name}>\s*\S.*?)")
        seen.add(name)
        position = match.end()
    parts.append(re.escape(text[position:]))
    return re.compile("".join(parts), re.DOTALL)


def extract(text: str, message: str) -> list[str] | None:
    """The parameters that turn ``text`` into ``message``, or None if it does not match."""
    match = _pattern(text).fullmatch(message)
    if match is None:
        return None
    values = [match.group(f"p{n}") for n in numbers(text)]
    if any(not value.strip() for value in values):
        return None
    return values
