"""Signed access tokens: HS256 only, with expiry, carrying the user id."""

from __future__ import annotations

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
        claims = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["sub", "exp", "iat", "iss"]},
        )
        return uuid.UUID(claims["sub"])
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("the access token has expired") from exc
    except (jwt.InvalidTokenError, ValueError, TypeError) as exc:
        raise Unauthorized("the access token is not valid") from exc
