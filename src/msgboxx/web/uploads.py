"""A form's file spooled to a temporary file as it arrives, with its small fields beside it.

For an upload that must be read whole before anything is written (a CSV
import): the body streams to disk (:mod:`msgboxx.web.multipart`), counted and
hashed, so neither memory nor a database connection is held for the upload's
length, and a file over the limit is refused (413) as soon as it passes it.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import IO

from starlette.requests import Request

from msgboxx.core.errors import PayloadTooLarge, Unprocessable
from msgboxx.web.multipart import StreamingForm

# What a form may carry beside its file: boundaries, headers, the small fields.
FORM_OVERHEAD = 64 * 1024


@dataclass(frozen=True, slots=True)
class Upload:
    """The file (at its start; deleted when the upload's context ends) and the small fields."""

    file: IO[bytes]
    filename: str | None
    size: int
    sha256: str
    fields: dict[str, str]


def _too_large(max_bytes: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"the file is larger than {max_bytes} bytes: split it", extra={"maxBytes": max_bytes}
    )


@asynccontextmanager
async def spooled(
    request: Request, *, field: str, max_bytes: int, fields: frozenset[str] = frozenset()
) -> AsyncIterator[Upload]:
    """The form's ``field`` file on disk and its ``fields`` values; 413 past ``max_bytes``."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > max_bytes + FORM_OVERHEAD:
        raise _too_large(max_bytes)
    form = StreamingForm(request)
    values: dict[str, str] = {}
    with tempfile.TemporaryFile() as file:
        digest = hashlib.sha256()
        size = 0
        filename: str | None = None
        found = False
        async for part in form.parts():
            if part.name == field:
                if found:
                    raise Unprocessable.for_field(field, "send one file")
                found, filename = True, part.filename
                async for chunk in form.data():
                    size += len(chunk)
                    if size > max_bytes:
                        raise _too_large(max_bytes)
                    digest.update(chunk)
                    file.write(chunk)
            elif part.name in fields:
                values[part.name] = await form.text(part, max_bytes=1000)
        if not found:
            raise Unprocessable.for_field(field, f"is required: the file, as a {field} field")
        file.flush()
        file.seek(0)
        yield Upload(
            file=file, filename=filename, size=size, sha256=digest.hexdigest(), fields=values
        )
