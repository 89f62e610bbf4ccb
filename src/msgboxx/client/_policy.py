"""What both clients share: when to retry, how long to wait, when to sign in again.

Kept free of I/O so that ``Client`` and ``AsyncClient`` differ only in how they
send and sleep.
"""

from __future__ import annotations

import dataclasses
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from msgboxx.client._exceptions import AuthenticationError, error_for
from msgboxx.client._upload import FileUpload
from msgboxx.client.models import Token

TOKEN_PATH = "/oauth/token"
# Answers worth another try: the request was not applied (or, for a POST, its
# Idempotency-Key makes a repeat answer as the first did).
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
# Sign in again this long before the token runs out, not on its last second.
REFRESH_MARGIN = timedelta(seconds=30)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with full jitter, overridden by the server's ``Retry-After``."""

    max_retries: int = 3
    backoff_base: float = 0.5
    backoff_max: float = 8.0
    # A Retry-After longer than this is not waited out: the error is raised instead.
    max_retry_after: float = 60.0

    def delay(self, attempt: int, response: httpx.Response | None) -> float | None:
        """Seconds to wait before retry number ``attempt + 1``, or None to stop."""
        if attempt >= self.max_retries:
            return None
        if response is not None:
            asked = retry_after(response)
            if asked is not None:
                return asked if asked <= self.max_retry_after else None
        return random.uniform(0, min(self.backoff_max, self.backoff_base * 2**attempt))


def retry_after(response: httpx.Response) -> float | None:
    """``Retry-After`` in seconds (given as seconds or as an HTTP date), if present."""
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


@dataclass(slots=True)
class Credentials:
    """A fixed token, or a username and password to get (and renew) one."""

    username: str | None = None
    password: str | None = None
    token: str | None = None
    expires_at: datetime | None = None

    @property
    def can_sign_in(self) -> bool:
        return self.username is not None and self.password is not None

    def needs_sign_in(self) -> bool:
        if self.token is None:
            return True
        if self.expires_at is None or not self.can_sign_in:
            return False
        return datetime.now(UTC) >= self.expires_at - REFRESH_MARGIN

    def login_body(self) -> dict[str, str]:
        if not self.can_sign_in:
            raise AuthenticationError(
                httpx.Response(401, json={"title": "Unauthorized", "detail": "no credentials"})
            )
        assert self.username is not None and self.password is not None
        return {"username": self.username, "password": self.password}

    def accept(self, response: httpx.Response) -> None:
        if response.status_code != 200:
            raise error_for(response)
        issued = Token.model_validate(response.json())
        self.token = issued.access_token
        self.expires_at = issued.expires_at
        if self.expires_at is None and issued.expires_in is not None:
            self.expires_at = datetime.now(UTC) + timedelta(seconds=issued.expires_in)
        elif self.expires_at is not None and self.expires_at.tzinfo is None:
            self.expires_at = self.expires_at.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Call:
    """One API call, ready for either client to send."""

    method: str
    path: str
    params: dict[str, Any] | None = None
    json: Any = None
    idempotency_key: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    # A file sent as the body (multipart), and a longer wait for its answer than the client's.
    upload: FileUpload | None = None
    timeout: float | None = None

    def with_key(self) -> Call:
        """A POST carries one Idempotency-Key, the same on every retry of this call."""
        if self.method != "POST" or self.path == TOKEN_PATH:
            return self
        key = self.idempotency_key or str(uuid.uuid4())
        return dataclasses.replace(
            self, idempotency_key=key, headers={**self.headers, "Idempotency-Key": key}
        )


def query(**values: Any) -> dict[str, Any]:
    """Query parameters in the wire's names, without the ones left out."""
    return {name: _wire(value) for name, value in values.items() if value is not None}


def _wire(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def body(**values: Any) -> dict[str, Any]:
    """A JSON body in the wire's names, without the fields left out."""
    return {name: _wire(value) for name, value in values.items() if value is not None}
