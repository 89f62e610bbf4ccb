"""The base of Meta's wire types, shared by :mod:`.wire` and :mod:`.wire_kinds`."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator


class Wire(BaseModel):
    """Unknown fields are ignored: Meta adds fields often; only what we use is declared."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    @field_validator("*", mode="after")
    @classmethod
    def _without_nul(cls, value: Any) -> Any:
        """WhatsApp passes NUL characters through; PostgreSQL text cannot hold them."""
        return value.replace("\x00", "") if isinstance(value, str) else value
