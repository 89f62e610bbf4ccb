"""Meta writes a sha256 in hex (``GET /{media-id}``) or in base64 (webhooks): both are read."""

from __future__ import annotations

import base64
import hashlib

import pytest

from msgboxx.media.fetching import _digest

DATA = b"a customer's photo"
RAW = hashlib.sha256(DATA).digest()


@pytest.mark.parametrize(
    "written",
    [
        RAW.hex(),
        RAW.hex().upper(),
        base64.b64encode(RAW).decode(),
        base64.b64encode(RAW).decode().rstrip("="),
        base64.urlsafe_b64encode(RAW).decode(),
    ],
)
def test_digest__reads_every_way_meta_writes_it(written: str) -> None:
    assert _digest(written) == RAW


@pytest.mark.parametrize(
    "written", ["", "not a hash", "abc123", base64.b64encode(b"short").decode()]
)
def test_digest__anything_else_cannot_be_checked(written: str) -> None:
    assert _digest(written) is None
