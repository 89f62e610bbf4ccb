"""Meta's error codes as data: one table from code to (retryable, meaning, effect).

The dispatcher decides from :class:`~msgboxx.channels.base.SendError` alone, so
everything it needs (retry or not, how long to wait, a readable reason) is
derived here from the code Meta returns, never from the HTTP status or the
title in ``message`` (Meta: branch on ``code`` and ``error_data.details``).

Docs: https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Effect(enum.StrEnum):
    """What an error means beyond the one message."""

    none = "none"
    bad_credentials = "bad_credentials"  # the account's token or permissions are broken
    unsubscribed = "unsubscribed"  # the customer stopped marketing messages


@dataclass(frozen=True, slots=True)
class ErrorKind:
    retryable: bool
    meaning: str
    retry_after: float | None = None
    effect: Effect = Effect.none


def _auth(meaning: str) -> ErrorKind:
    return ErrorKind(False, meaning, effect=Effect.bad_credentials)


TABLE: dict[int, ErrorKind] = {
    # Transient: throughput, rate limits, service trouble.
    130429: ErrorKind(True, "Rate limit hit (throughput per number)", retry_after=1.0),
    131056: ErrorKind(True, "Pair rate limit hit (too many messages to this user)", 6.0),
    4: ErrorKind(True, "App call-rate limit hit", retry_after=60.0),
    80007: ErrorKind(True, "WhatsApp Business Account rate limit hit", retry_after=60.0),
    131000: ErrorKind(True, "Something went wrong (unknown error)", retry_after=2.0),
    1: ErrorKind(True, "API unknown error", retry_after=2.0),
    2: ErrorKind(True, "API service temporarily unavailable", retry_after=2.0),
    131016: ErrorKind(True, "Service unavailable", retry_after=5.0),
    133004: ErrorKind(True, "Server temporarily unavailable", retry_after=5.0),
    131057: ErrorKind(True, "Account in maintenance mode", retry_after=30.0),
    # Permanent: the message, the recipient or the template.
    131047: ErrorKind(
        False,
        "Re-engagement message (more than 24 hours since the customer "
        "last replied; send a template)",
    ),
    131026: ErrorKind(False, "Message undeliverable"),
    131050: ErrorKind(False, "User stopped marketing messages", effect=Effect.unsubscribed),
    131048: ErrorKind(False, "Spam rate limit hit"),
    131049: ErrorKind(False, "Message not delivered to maintain healthy ecosystem engagement"),
    131051: ErrorKind(False, "Unsupported message type"),
    100: ErrorKind(False, "Invalid parameter"),
    131008: ErrorKind(False, "Required parameter is missing"),
    131009: ErrorKind(False, "Parameter value is not valid"),
    132000: ErrorKind(False, "Number of template parameters does not match"),
    132001: ErrorKind(False, "Template does not exist in this language or is not approved"),
    132005: ErrorKind(False, "Translated template text too long"),
    132007: ErrorKind(False, "Template format character policy violated"),
    132012: ErrorKind(False, "Template parameter format mismatch"),
    132015: ErrorKind(False, "Template is paused"),
    132016: ErrorKind(False, "Template is disabled"),
    132018: ErrorKind(False, "Template parameters failed validation"),
    133010: ErrorKind(False, "Phone number not registered"),
    368: ErrorKind(False, "Temporarily blocked for policy violations"),
    131031: ErrorKind(False, "Business account locked"),
    130497: ErrorKind(False, "Business account restricted from messaging this country"),
    131064: ErrorKind(False, "Classification violation limit reached"),
    131042: ErrorKind(False, "Business eligibility payment issue"),
    130403: ErrorKind(False, "Business blocked this user"),
    131021: ErrorKind(False, "Recipient cannot be sender"),
    130472: ErrorKind(False, "User's number is part of an experiment"),
    131053: ErrorKind(False, "Media upload error"),
    # Credentials and permissions: permanent, and the account needs attention.
    190: _auth("Access token has expired or is invalid"),
    0: _auth("Authentication exception"),
    3: _auth("API method not permitted for this app"),
    10: _auth("Permission denied"),
}

# Codes of a family not listed one by one.
_AUTH_RANGE = range(200, 300)
_TEMPLATE_RANGE = range(132000, 133000)


def classify(code: int | None, *, http_status: int) -> ErrorKind:
    """The kind of an error response: by code first, then by family, then by HTTP status."""
    if code is not None:
        if code in TABLE:
            return TABLE[code]
        if code in _AUTH_RANGE:
            return _auth("Permission error")
        if code in _TEMPLATE_RANGE:
            return ErrorKind(False, "Template problem")
    if http_status >= 500 or http_status == 429:
        return ErrorKind(True, f"WhatsApp answered HTTP {http_status}", retry_after=2.0)
    if http_status in (401, 403):
        return _auth(f"WhatsApp refused the credentials (HTTP {http_status})")
    return ErrorKind(False, f"WhatsApp refused the request (HTTP {http_status})")


def reason(code: int | None, kind: ErrorKind, details: str | None = None) -> str:
    """The readable failure reason users see, e.g. ``131026 Message undeliverable``."""
    return describe(code, kind.meaning, details)


def describe(code: int | None, title: str, details: str | None = None) -> str:
    """``code title: details``, each part said once.

    Meta's ``error_data.details`` often repeats the title word for word (``190
    Access token has expired or is invalid``); then it is left out, and when it
    says the title and more, it stands in for the title.
    """
    said = f"{code} {title}" if code is not None else title
    if not details or _plain(details) in _plain(said):
        return said
    if _plain(title) in _plain(details):
        return f"{code} {details}" if code is not None else details
    return f"{said}: {details}"


def _plain(text: str) -> str:
    return " ".join(text.lower().rstrip(" .").split())
