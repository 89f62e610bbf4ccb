"""The one error type of the domain layer, rendered as problem+json at the edge.

ProblemError                 any failure a client should see, with its status
├── BadRequest               400: the request cannot be read at all
├── Unauthorized             401: no, invalid or expired credentials
├── Forbidden                403: the user's role does not allow this
├── NotFound                 404: unknown, or not visible to this user
├── Conflict                 409: would duplicate an existing record
├── PayloadTooLarge          413: body over the configured limit
├── Unprocessable            422: well-formed but breaks a business rule
│   └── SessionWindowClosed  422: free-form text outside the 24-hour window
└── RateLimited              429: too many attempts; carries Retry-After
"""

from __future__ import annotations

from typing import Any, ClassVar


class ProblemError(Exception):
    """A failure with an HTTP status, a stable type slug and field errors."""

    status: ClassVar[int] = 500
    title: ClassVar[str] = "Internal Server Error"
    slug: ClassVar[str] = "internal-error"

    def __init__(
        self,
        detail: str,
        *,
        errors: list[dict[str, str]] | None = None,
        slug: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []
        self.extra = extra or {}
        if slug:
            self.slug = slug  # type: ignore[misc]

    @classmethod
    def for_field(cls, field: str, message: str) -> ProblemError:
        """The common case of one field with one complaint."""
        return cls(f"{field}: {message}", errors=[{"field": field, "message": message}])


class BadRequest(ProblemError):
    status, title, slug = 400, "Bad Request", "bad-request"


class Unauthorized(ProblemError):
    status, title, slug = 401, "Unauthorized", "unauthorized"


class Forbidden(ProblemError):
    status, title, slug = 403, "Forbidden", "forbidden"


class NotFound(ProblemError):
    status, title, slug = 404, "Not Found", "not-found"


class Conflict(ProblemError):
    status, title, slug = 409, "Conflict", "conflict"


class PayloadTooLarge(ProblemError):
    status, title, slug = 413, "Payload Too Large", "payload-too-large"


class Unprocessable(ProblemError):
    status, title, slug = 422, "Unprocessable Content", "validation-failed"


class SessionWindowClosed(Unprocessable):
    slug = "session-window-closed"


class RateLimited(ProblemError):
    status, title, slug = 429, "Too Many Requests", "rate-limited"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = max(1, retry_after)
