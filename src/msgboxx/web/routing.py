"""Routes served at singular and plural paths, with or without a trailing slash.

The original documented ``/contact`` and ``/inboxes``, ``POST /contact/`` and
``/apiaccount``; clients use every spelling, so each route answers at all of
them while the OpenAPI document lists only the first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter


class AliasedRouter(APIRouter):
    def __init__(self, *, singular: str, plural: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._singular = singular
        self._plural = plural

    def add_api_route(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        spellings = [path]
        for a, b in ((self._singular, self._plural), (self._plural, self._singular)):
            if path == a or path.startswith(a + "/"):
                spellings.append(b + path[len(a) :])
        documented = kwargs.pop("include_in_schema", True)
        for index, spelling in enumerate(spellings):
            for variant in (spelling, spelling + "/"):
                super().add_api_route(
                    variant,
                    endpoint,
                    include_in_schema=documented and index == 0 and variant == spelling,
                    **kwargs,
                )
