"""Checking that a webhook delivery came from msgboxx, with the server's own rule."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import ValidationError

from msgboxx.client import signing
from msgboxx.client._exceptions import WebhookVerificationError
from msgboxx.client.models import Event


def verify_webhook(headers: Mapping[str, str], body: bytes | str, secret: str) -> Event:
    """The delivered event, once its Standard Webhooks signature is checked.

    Pass the raw body as received (before any JSON parsing) and the secret shown
    when the subscription was made. Raises ``WebhookVerificationError`` when a
    header is missing, the timestamp is more than five minutes off (a replay),
    or no signature matches.
    """
    raw = body.encode() if isinstance(body, str) else body
    try:
        signing.verify(secret=secret, headers=headers, body=raw)
    except signing.InvalidSignature as exc:
        raise WebhookVerificationError(str(exc)) from exc
    except (ValueError, TypeError) as exc:  # a secret that is not base64
        raise WebhookVerificationError(f"the secret cannot be used: {exc}") from exc
    try:
        return Event.model_validate_json(raw)
    except ValidationError as exc:
        raise WebhookVerificationError(f"the signed body is not an event: {exc}") from exc
