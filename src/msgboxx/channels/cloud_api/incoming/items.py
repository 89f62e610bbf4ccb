"""Reading one item of a webhook body: what every kind of change shares.

An item we cannot read is skipped and noted, never fatal: the rest of the body
is still stored (see :class:`~msgboxx.channels.cloud_api.incoming.MalformedWebhook`).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeVar

from pydantic import ValidationError

from msgboxx.channels.base import ChannelEvent
from msgboxx.channels.cloud_api import errors, wire

log = logging.getLogger("msgboxx.channels.cloud_api.incoming")

# Phone numbers arrive as digits (``16505551234``); a WhatsApp user id (BSUID)
# is a country code, a period and up to 128 letters and digits (``US.1234``,
# ``US.ENT.118157``) and is kept exactly as received.
_NUMBER = re.compile(r"\+?[0-9]{6,15}")
USER_ID = re.compile(r"[A-Z]{2}(\.ENT)?\.[A-Za-z0-9]{1,128}")


class Unreadable(Exception):
    """One item of a body we cannot read: it is skipped, the others are not."""


@dataclass(slots=True)
class Parsed:
    """Events to write, and a note of everything skipped (for the log and the answer)."""

    events: list[ChannelEvent] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


_Item = TypeVar("_Item", bound=wire.Wire)


def read(kind: type[_Item], raw: object, *, what: str, into: Parsed) -> _Item | None:
    """One item of the body, or None (skipped and logged) if we cannot read it."""
    try:
        return kind.model_validate(raw)
    except ValidationError as exc:
        skip(into, f"{what} we cannot read ({exc.error_count()} problems)")
        return None


def skip(into: Parsed, note: str) -> None:
    log.warning("webhook item skipped: %s", note)
    into.skipped.append(note)


def timestamp(value: str | int) -> datetime:
    """Meta's Unix seconds as an aware datetime."""
    try:
        return datetime.fromtimestamp(int(value), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        raise Unreadable(f"invalid timestamp {value!r}") from None


def phone(wa_id: str) -> str | None:
    """A WhatsApp id that is a phone number in E.164 (they come without the ``+``), or None."""
    digits = wa_id.strip()
    if not _NUMBER.fullmatch(digits):
        return None
    return digits if digits.startswith("+") else f"+{digits}"


def title(error: wire.GraphError) -> str:
    """Meta's title of an error, or our table's meaning when Meta gave none."""
    said = error.title or error.message
    return said if said else errors.classify(error.code, http_status=400).meaning
