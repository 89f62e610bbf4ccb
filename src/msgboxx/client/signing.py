"""Standard Webhooks signatures (https://www.standardwebhooks.com/).

``webhook-signature`` is ``v1,`` and the base64 HMAC-SHA256 of
``{webhook-id}.{webhook-timestamp}.{body}`` keyed with the base64-decoded secret
after its ``whsec_`` prefix, so receivers verify with any Standard Webhooks
library. Each attempt is signed at its own time so that receivers may reject
old timestamps (replays) without rejecting our retries.

The scheme is part of the public protocol, so it lives in the SDK, which
imports nothing of the server: the server signs with the very code its
clients verify with (``msgboxx.webhooks.signing`` is this module).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Mapping

PREFIX = "whsec_"
TOLERANCE_SECONDS = 300


class InvalidSignature(Exception):
    """Raised by ``verify`` when headers are missing, stale, or do not match."""


def new_secret() -> str:
    """24 random bytes, as Standard Webhooks libraries expect them."""
    return PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(PREFIX))


def sign(*, secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value for one attempt."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(
    *, secret: str, message_id: str, body: bytes, timestamp: int | None = None
) -> dict[str, str]:
    """The three Standard Webhooks headers of one attempt."""
    at = int(time.time()) if timestamp is None else timestamp
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(at),
        "webhook-signature": sign(secret=secret, message_id=message_id, timestamp=at, body=body),
    }


def verify(
    *, secret: str, headers: Mapping[str, str], body: bytes, now: float | None = None
) -> None:
    """Check a delivery as a receiver would; raises ``InvalidSignature``."""
    lowered = {k.lower(): v for k, v in headers.items()}
    message_id = lowered.get("webhook-id")
    stamp = lowered.get("webhook-timestamp")
    given = lowered.get("webhook-signature")
    if not (message_id and stamp and given):
        raise InvalidSignature("missing webhook-id, webhook-timestamp or webhook-signature")
    try:
        at = int(stamp)
    except ValueError:
        raise InvalidSignature("webhook-timestamp is not a number") from None
    if abs((time.time() if now is None else now) - at) > TOLERANCE_SECONDS:
        raise InvalidSignature("webhook-timestamp is too old or too new")
    expected = sign(secret=secret, message_id=message_id, timestamp=at, body=body)
    if not any(hmac.compare_digest(expected, candidate) for candidate in given.split(" ")):
        raise InvalidSignature("no signature matches")
