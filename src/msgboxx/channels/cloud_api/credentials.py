"""What an account needs to use the Cloud API, stored in ``channel_settings``.

The names of the keys live here only; secrets never leave this module's
objects except to sign, verify or authorise (``repr`` hides them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

CHANNEL = "cloud_api"


class MissingCredentials(Exception):
    """An account on the Cloud API lacks a setting it needs."""


@dataclass(frozen=True, slots=True)
class CloudApiCredentials:
    phone_number_id: str
    waba_id: str
    access_token: str = field(repr=False)
    app_secret: str = field(repr=False)
    verify_token: str = field(repr=False)

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> CloudApiCredentials:
        try:
            return cls(
                phone_number_id=str(settings["phone_number_id"]),
                waba_id=str(settings["waba_id"]),
                access_token=str(settings["access_token"]),
                app_secret=str(settings["app_secret"]),
                verify_token=str(settings["verify_token"]),
            )
        except KeyError as exc:
            raise MissingCredentials(f"the account has no Cloud API setting {exc}") from None

    def to_settings(self) -> dict[str, str]:
        return {
            "phone_number_id": self.phone_number_id,
            "waba_id": self.waba_id,
            "access_token": self.access_token,
            "app_secret": self.app_secret,
            "verify_token": self.verify_token,
        }
