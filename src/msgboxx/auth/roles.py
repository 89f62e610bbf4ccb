"""A user's role, as the API, the tokens and other domains name it (no table behind it here)."""

from __future__ import annotations

import enum


class Role(enum.StrEnum):
    admin = "admin"
    agent = "agent"
