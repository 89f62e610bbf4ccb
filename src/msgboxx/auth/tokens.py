"""Signed access tokens: HS256 only, with expiry, carrying the user id."""

from __future__ import annotations

import functools
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt

from msgboxx.core.errors import Unauthorized
from msgboxx.db import utcnow

ALGORITHM = "HS256"
ISSUER = "msgboxx"


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    expires_at: datetime
    ttl_seconds: int


def issue(*, user_id: uuid.UUID, key: str, ttl_seconds: int) -> IssuedToken:
    now = utcnow()
    expires_at = now + timedelta(seconds=ttl_seconds)
    claims = {"sub": str(user_id), "iss": ISSUER, "iat": now, "exp": expires_at}
    return IssuedToken(jwt.encode(claims, key, algorithm=ALGORITHM), expires_at, ttl_seconds)


def user_id_of(token: str, *, key: str) -> uuid.UUID:
    """The user a valid token speaks for; anything else is a 401."""
    try:
        user_id, expires_at = _verified(token, key)
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("the access token has expired") from exc
    except (jwt.InvalidTokenError, ValueError, TypeError) as exc:
        raise Unauthorized("the access token is not valid") from exc
    if time.time() >= expires_at:
        raise Unauthorized("the access token has expired")
    return user_id


@functools.lru_cache(maxsize=4096)
def _verified(token: str, key: str) -> tuple[uuid.UUID, float]:
    """A token's user and expiry, its signature checked once per process.

    A client sends the same token with every request for its whole life, and
    checking it again each time cost more CPU than a database lookup (PyJWT
    validates the encoding character by character). Only tokens that verify are
    remembered; the expiry is still compared with the clock on every request.
    """
    claims = jwt.decode(
        token,
        key,
        algorithms=[ALGORITHM],
        issuer=ISSUER,
        options={"require": ["sub", "exp", "iat", "iss"]},
    )
    return uuid.UUID(claims["sub"]), float(claims["exp"])
