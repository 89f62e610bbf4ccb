"""A multipart/form-data body read as it arrives: small fields whole, a file as a stream.

Starlette's ``request.form()`` spools every file before the route sees any of
it; an upload must instead be checked by its first bytes and refused as soon as
it passes its limit, holding no more than a network read in memory. The body
comes from ``request.stream()`` (the routes that read forms this way are
exempt from :class:`~msgboxx.web.middleware.RequestContext`'s buffering) and
python-multipart's push parser turns each read into events that are pulled
here one part at a time.
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect, Request

from msgboxx.core.errors import BadRequest, ProblemError, Unprocessable

MAX_HEADER_BYTES = 4096
MAX_PARTS = 16


class NotAForm(ProblemError):
    status, title, slug = 415, "Unsupported Media Type", "not-multipart"


@dataclass(frozen=True, slots=True)
class Part:
    """One field of the form: its name, and the file name and type a file part carries."""

    name: str
    filename: str | None
    content_type: str | None


class StreamingForm:
    """The parts of a ``multipart/form-data`` request body, in the order sent."""

    def __init__(self, request: Request) -> None:
        kind, options = parse_options_header(request.headers.get("content-type", ""))
        boundary = options.get(b"boundary")
        if kind != b"multipart/form-data" or not boundary:
            raise NotAForm("send the file as multipart/form-data with a boundary")
        self._stream = request.stream()
        self._events: deque[tuple[str, object]] = deque()
        self._header = (bytearray(), bytearray())
        self._headers: list[tuple[bytes, bytes]] = []
        try:
            self._parser = self._new_parser(boundary)
        except Exception:
            raise NotAForm("the multipart boundary is not one a form can use") from None
        self._done = False
        self._in_part = False

    def _new_parser(self, boundary: bytes) -> MultipartParser:
        return MultipartParser(
            boundary,
            {
                "on_part_data": self._on_data,
                "on_part_end": lambda: self._events.append(("end", None)),
                "on_header_field": self._on_header_field,
                "on_header_value": self._on_header_value,
                "on_header_end": self._on_header_end,
                "on_headers_finished": self._on_headers_finished,
                "on_end": lambda: self._events.append(("finished", None)),
            },
        )

    # The parser's callbacks: a part's headers, then its data, then its end.
    def _on_data(self, data: bytes, start: int, end: int) -> None:
        if end > start:
            self._events.append(("data", data[start:end]))

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._grow(self._header[0], data[start:end])

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._grow(self._header[1], data[start:end])

    def _grow(self, into: bytearray, data: bytes) -> None:
        if len(into) + len(data) > MAX_HEADER_BYTES:
            raise BadRequest(f"a part's header is longer than {MAX_HEADER_BYTES} bytes")
        into.extend(data)

    def _on_header_end(self) -> None:
        field, value = self._header
        self._headers.append((bytes(field).lower(), bytes(value)))
        field.clear()
        value.clear()
        if len(self._headers) > 20:
            raise BadRequest("a part has too many headers")

    def _on_headers_finished(self) -> None:
        self._events.append(("headers", list(self._headers)))
        self._headers.clear()

    async def _next(self) -> tuple[str, object]:
        """The next event, reading the body as far as it takes."""
        while not self._events:
            if self._done:
                raise BadRequest("the form ended in the middle of a part")
            try:
                chunk = await anext(self._stream, None)
            except ClientDisconnect:
                raise BadRequest("the client closed the connection mid-upload") from None
            try:
                if chunk is None:
                    self._done = True
                    self._parser.finalize()
                else:
                    self._parser.write(chunk)
            except ProblemError:
                raise  # a limit of ours, raised from a callback
            except MultipartParseError as exc:
                raise BadRequest(f"the multipart body is malformed: {exc}") from None
            except Exception as exc:  # the parser's other complaints about its input
                raise BadRequest(f"the multipart body is malformed: {type(exc).__name__}") from None
            if chunk is None and not self._events:
                return ("finished", None)
        return self._events.popleft()

    async def parts(self) -> AsyncIterator[Part]:
        """Each part as it begins; what the caller leaves unread of one is skipped."""
        count = 0
        while True:
            if self._in_part:
                async for _chunk in self.data():
                    pass
            kind, value = await self._next()
            if kind == "finished":
                return
            if kind != "headers":
                continue
            count += 1
            if count > MAX_PARTS:
                raise Unprocessable(f"a form of at most {MAX_PARTS} fields is expected")
            self._in_part = True
            yield _part(value)  # type: ignore[arg-type]

    async def data(self) -> AsyncIterator[bytes]:
        """The current part's bytes, as they arrive."""
        while self._in_part:
            kind, value = await self._next()
            if kind == "data":
                yield value  # type: ignore[misc]
            elif kind == "end":
                self._in_part = False
            elif kind == "finished":
                raise BadRequest("the form ended in the middle of a part")

    async def text(self, part: Part, *, max_bytes: int = 1000) -> str:
        """A small field's value; 422 naming it when it is longer or not UTF-8."""
        value = bytearray()
        async for chunk in self.data():
            value.extend(chunk)
            if len(value) > max_bytes:
                raise Unprocessable.for_field(part.name, f"must be at most {max_bytes} bytes")
        try:
            return value.decode()
        except UnicodeDecodeError:
            raise Unprocessable.for_field(part.name, "must be UTF-8 text") from None


def _part(headers: list[tuple[bytes, bytes]]) -> Part:
    found = dict(headers)
    disposition, options = parse_options_header(found.get(b"content-disposition", b""))
    name = options.get(b"name")
    if disposition != b"form-data" or name is None:
        raise BadRequest("every part needs Content-Disposition: form-data with a name")
    filename = options.get(b"filename")
    content_type = found.get(b"content-type")
    return Part(
        name=name.decode("utf-8", "replace"),
        filename=filename.decode("utf-8", "replace") if filename is not None else None,
        content_type=content_type.decode("latin-1") if content_type is not None else None,
    )
