"""What the SDK raises; every error is a ``MsgboxxError``.

MsgboxxError
├── ConnectionFailed         the server could not be reached (after every retry)
├── WebhookVerificationError a delivery's signature is missing, stale or wrong
└── ApiError                 the server answered with a problem (4xx/5xx, after retries)
    ├── AuthenticationError  401: no, wrong or expired credentials
    ├── PermissionDenied     403: the user's role may not do this
    ├── NotFound             404: unknown, or not visible to this user
    ├── Conflict             409: e.g. a contact with that number exists
    ├── ValidationFailed     422: bad input or a business rule (see ``errors``)
    ├── RateLimited          429: still limited after the retries
    └── ServerError          5xx: still failing after the retries
"""

from __future__ import annotations

from typing import Any

import httpx

from msgboxx.client.signing import InvalidSignature


class MsgboxxError(Exception):
    """Base of every error the SDK raises."""


class ConnectionFailed(MsgboxxError):
    """Raised when no answer came from the server, even after retrying."""


class WebhookVerificationError(MsgboxxError, InvalidSignature):
    """Raised by ``verify_webhook`` when a delivery was not signed with the secret."""


class ApiError(MsgboxxError):
    """Raised for an ``application/problem+json`` answer (or any other error answer)."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self.status: int = response.status_code
        body: Any
        try:
            body = response.json()
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        self.type: str = str(body.get("type", "about:blank"))
        self.title: str = str(body.get("title", response.reason_phrase))
        self.detail: str = str(body.get("detail", response.text[:500]))
        raw_errors = body.get("errors")
        self.errors: list[dict[str, Any]] = raw_errors if isinstance(raw_errors, list) else []
        self.body: dict[str, Any] = body
        super().__init__(f"{self.status} {self.title}: {self.detail}")


class AuthenticationError(ApiError):
    """Raised on 401: sign in again (the client does so itself when it can)."""


class PermissionDenied(ApiError):
    """Raised on 403."""


class NotFound(ApiError):
    """Raised on 404: the record does not exist or belongs to another organisation."""


class Conflict(ApiError):
    """Raised on 409."""


class ValidationFailed(ApiError):
    """Raised on 422: ``errors`` names each field and what is wrong with it."""


class RateLimited(ApiError):
    """Raised on 429 once the retries are spent."""


class ServerError(ApiError):
    """Raised on 5xx once the retries are spent."""


_BY_STATUS: dict[int, type[ApiError]] = {
    401: AuthenticationError,
    403: PermissionDenied,
    404: NotFound,
    409: Conflict,
    422: ValidationFailed,
    429: RateLimited,
}


def error_for(response: httpx.Response) -> ApiError:
    """The exception that describes an error answer."""
    if response.status_code >= 500:
        return ServerError(response)
    return _BY_STATUS.get(response.status_code, ApiError)(response)
