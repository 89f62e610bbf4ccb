"""A template's verdict, as the API and the channels name it (no table behind it here)."""

from __future__ import annotations

import enum


class TemplateStatus(enum.StrEnum):
    approved = "Approved"
    pending = "Pending"
    rejected = "Rejected"
