"""Token request and answer of ``POST /oauth/token``; the caller of ``GET /whoami``."""

from __future__ import annotations

import uuid

from pydantic import Field

from msgboxx.core.wire import ApiModel, Timestamp


class TokenRequest(ApiModel):
    username: str = Field(min_length=1, max_length=320)
    password: str = Field(min_length=1, max_length=1024)


class TokenResponse(ApiModel):
    access_token: str
    token_type: str = "Bearer"
    scope: str
    expires_at: Timestamp
    expires_in: int


class WhoAmI(ApiModel):
    userId: uuid.UUID
    organisationId: uuid.UUID
    role: str
    email: str
