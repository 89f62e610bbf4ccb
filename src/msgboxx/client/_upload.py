"""A file sent as ``multipart/form-data``, read from disk as it goes, its progress reported.

httpx would read a file given as ``files=`` into memory and say nothing while
it sends; a contacts file may be tens of megabytes and a person wants to see it
move. The body is built here around the file's own bytes, with its length known
in advance (so the server can refuse an oversized one before it arrives), and
made afresh for every attempt, so a retried call sends the whole file again.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

CHUNK = 64 * 1024
# Called with (bytes sent, bytes in all) as the body goes out.
Progress = Callable[[int, int], None]


def _quoted(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


@dataclass(frozen=True, slots=True)
class FileUpload:
    path: Path
    name: str = "file"  # the form field the file is sent as
    fields: dict[str, str] = field(default_factory=dict)
    content_type: str = "text/csv"
    progress: Progress | None = None
    boundary: str = field(default_factory=lambda: uuid.uuid4().hex)

    def _head(self) -> bytes:
        parts = [
            f'--{self.boundary}\r\nContent-Disposition: form-data; name="{_quoted(name)}"'
            f"\r\n\r\n{value}\r\n"
            for name, value in self.fields.items()
        ]
        parts.append(
            f'--{self.boundary}\r\nContent-Disposition: form-data; name="{_quoted(self.name)}";'
            f' filename="{_quoted(self.path.name)}"\r\nContent-Type: {self.content_type}\r\n\r\n'
        )
        return "".join(parts).encode()

    def _tail(self) -> bytes:
        return f"\r\n--{self.boundary}--\r\n".encode()

    @property
    def headers(self) -> dict[str, str]:
        length = len(self._head()) + os.path.getsize(self.path) + len(self._tail())
        return {
            "Content-Type": f"multipart/form-data; boundary={self.boundary}",
            "Content-Length": str(length),
        }

    def chunks(self) -> Iterator[bytes]:
        """The body, from the start, as the file is read."""
        head, tail = self._head(), self._tail()
        total = len(head) + os.path.getsize(self.path) + len(tail)
        sent = 0

        def counted(chunk: bytes) -> bytes:
            nonlocal sent
            sent += len(chunk)
            if self.progress is not None:
                self.progress(sent, total)
            return chunk

        yield counted(head)
        with self.path.open("rb") as file:
            while chunk := file.read(CHUNK):
                yield counted(chunk)
        yield counted(tail)

    async def achunks(self) -> AsyncIterator[bytes]:
        """The same body for an asyncio client (a local file's read is short: read in place)."""
        for chunk in self.chunks():
            yield chunk
