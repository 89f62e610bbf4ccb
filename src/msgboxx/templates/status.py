"""A template's status: a value other domains and the channels read, without its table."""

from __future__ import annotations

import enum


class TemplateStatus(enum.StrEnum):
    approved = "Approved"
    pending = "Pending"
    rejected = "Rejected"
