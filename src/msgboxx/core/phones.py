"""Phone numbers: the one place a number is parsed and rendered (E.164)."""

from __future__ import annotations

import phonenumbers

from msgboxx.core.errors import Unprocessable


def normalise(raw: str, *, field: str, region: str | None = None) -> str:
    """Return ``raw`` in E.164, accepting the forms people type.

    A number without ``+`` is tried first as international digits
    (``447902111123``), then as a national number of ``region``
    (``07902 111123`` for GB), because that is how customers and CRMs write them.
    """
    text = (raw or "").strip()
    candidates: list[tuple[str, str | None]] = []
    if text.startswith("+"):
        candidates.append((text, None))
    elif text.startswith("00"):
        candidates.append(("+" + text[2:], None))
    else:
        if region and text.startswith("0"):
            candidates.append((text, region))
        candidates.append(("+" + text, None))
        if region:
            candidates.append((text, region))
    for candidate, parse_region in candidates:
        try:
            number = phonenumbers.parse(candidate, parse_region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
    raise Unprocessable.for_field(field, f"{raw!r} is not a valid phone number")


def region_of(e164: str) -> str | None:
    """The ISO region of a valid E.164 number, used to read national numbers."""
    try:
        region = phonenumbers.region_code_for_number(phonenumbers.parse(e164, None))
    except phonenumbers.NumberParseException:
        return None
    return str(region) if region and region != "ZZ" else None
