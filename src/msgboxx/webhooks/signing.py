"""The webhook signature scheme: the SDK's own module, so signer and verifier are one code."""

from msgboxx.client.signing import (
    PREFIX,
    TOLERANCE_SECONDS,
    InvalidSignature,
    headers,
    new_secret,
    sign,
    verify,
)

__all__ = [
    "PREFIX",
    "TOLERANCE_SECONDS",
    "InvalidSignature",
    "headers",
    "new_secret",
    "sign",
    "verify",
]
