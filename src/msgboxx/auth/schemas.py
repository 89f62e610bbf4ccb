"""Token request and answer of ``POST /oauth/token``; the caller of ``GET /whoami``."""

from __future__ import annotations

import uuid

from pydantic import ConfigDict, Field

from msgboxx.auth.roles import Role
from msgboxx.core.wire import ApiModel, Timestamp


class TokenRequest(ApiModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"username": "demo@msgboxx.local", "password": "demo-password"}]
        }
    )

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
    role: Role
    email: str
