"""A CSV file of contacts read into rows to write and rows rejected, each with its line.

Pure work on a file, no database: it runs on a worker thread while the event
loop serves other requests, and before any transaction is opened, so a large
file holds no connection (on SQLite, not the one writer) while it is read.

The columns (header names compared without case, spaces, ``_`` or ``-``):
a number column (:data:`NUMBER_COLUMNS`), and optionally ``name``, ``email``,
``tags`` (separated by ``;`` or ``|``) and ``status`` (or ``consent``); every
other column is an attribute named after its header.
"""

from __future__ import annotations

import csv
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO

from pydantic import EmailStr, TypeAdapter, ValidationError

from msgboxx.contacts import segments
from msgboxx.contacts.status import ContactStatus
from msgboxx.core import phones
from msgboxx.core.errors import PayloadTooLarge, ProblemError, Unprocessable

NUMBER_COLUMNS = (
    "number",
    "phone",
    "mobile",
    "mobilenumber",
    "phonenumber",
    "mobilephone",
    "whatsapp",
    "whatsappnumber",
    "msisdn",
    "cell",
    "cellphone",
    "telephone",
    "tel",
)
NAME_COLUMNS = frozenset({"name", "fullname", "contactname"})
EMAIL_COLUMNS = frozenset({"email", "emailaddress"})
TAGS_COLUMNS = frozenset({"tags", "tag", "labels"})
STATUS_COLUMNS = frozenset({"status", "consent"})
MAX_NAME_LENGTH = 200
MAX_EMAIL_LENGTH = 320

_EMAIL = TypeAdapter(EmailStr)
_TAG_SEPARATORS = re.compile(r"[;|]")
_NOT_KEY = re.compile(r"[^A-Za-z0-9_]+")
_STATUSES = {status.value.lower(): status for status in ContactStatus}


@dataclass(slots=True)
class Row:
    """A row to write: the contact's number in E.164 and what the file gives for it."""

    line: int
    number: str
    name: str | None
    email: str | None
    status: ContactStatus | None
    tags: list[str]
    attributes: dict[str, str]


@dataclass(frozen=True, slots=True)
class Rejection:
    line: int
    number: str | None  # as written in the file
    reason: str


@dataclass(slots=True)
class Sheet:
    """The file read: rows to write, rows rejected, and which column held the numbers."""

    number_column: str
    rows: list[Row] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.rows) + len(self.rejected)


def _plain(header: str) -> str:
    return re.sub(r"[\s_\-.]+", "", header).lower()


@dataclass(frozen=True, slots=True)
class _Columns:
    number: int
    name: int | None
    email: int | None
    tags: int | None
    status: int | None
    attributes: tuple[tuple[int, str], ...]


def _columns(header: list[str]) -> _Columns:
    plain = [_plain(name) for name in header]
    number = next((plain.index(n) for n in NUMBER_COLUMNS if n in plain), None)
    if number is None:
        raise Unprocessable.for_field(
            "file",
            "the header row has no number column: name one number, phone, mobile, "
            f"mobileNumber or phone_number (found: {', '.join(header)[:200]})",
        )

    def first(names: frozenset[str]) -> int | None:
        return next((i for i, n in enumerate(plain) if n in names and i != number), None)

    special = {number, first(NAME_COLUMNS), first(EMAIL_COLUMNS), first(TAGS_COLUMNS)}
    special.add(first(STATUS_COLUMNS))
    attributes: list[tuple[int, str]] = []
    keys: set[str] = set()
    for index, name in enumerate(header):
        if index in special:
            continue
        key = _NOT_KEY.sub("_", name.strip()).strip("_")
        try:
            segments.check_key(key)
        except segments.SegmentError:
            raise Unprocessable.for_field(
                "file", f"column {index + 1} ({name[:70]!r}) cannot name an attribute"
            ) from None
        if key in keys:
            raise Unprocessable.for_field("file", f"two columns name the attribute {key!r}")
        keys.add(key)
        attributes.append((index, key))
    if len(attributes) > segments.MAX_ATTRIBUTES:
        raise Unprocessable.for_field(
            "file", f"at most {segments.MAX_ATTRIBUTES} attribute columns, {len(attributes)} given"
        )
    return _Columns(
        number=number,
        name=first(NAME_COLUMNS),
        email=first(EMAIL_COLUMNS),
        tags=first(TAGS_COLUMNS),
        status=first(STATUS_COLUMNS),
        attributes=tuple(attributes),
    )


def _delimiter(header_line: str) -> str:
    """``;`` when the header has more of them than commas (a European spreadsheet's CSV)."""
    return ";" if header_line.count(";") > header_line.count(",") else ","


def _lines(text: IO[str]) -> Iterator[str]:
    """The file's lines; a byte that is not UTF-8 is a 422 naming its line."""
    line = 0
    try:
        for line, value in enumerate(text, start=1):  # noqa: B007 - the line is the answer
            yield value
    except UnicodeDecodeError:
        # Decoding runs a block ahead of the lines handed out: the line is where it was seen.
        raise Unprocessable.for_field(
            "file", f"the file is not UTF-8 text (after line {line}): save it as CSV UTF-8"
        ) from None


def read(text: IO[str], *, region: str | None, max_rows: int) -> Sheet:
    """Every row of the CSV file ``text`` (opened as ``utf-8-sig``), accepted or rejected."""
    lines = _lines(text)
    first = next(lines, None)
    skipped = 0  # blank lines above the header: the reader's line count starts after them
    while first is not None and not first.strip():
        first, skipped = next(lines, None), skipped + 1
    if first is None:
        raise Unprocessable.for_field("file", "the file is empty: a header row is expected")
    reader = csv.reader(itertools.chain([first], lines), delimiter=_delimiter(first), strict=True)
    try:
        header = next(reader)
        columns = _columns(header)
        sheet = Sheet(number_column=header[columns.number].strip())
        seen: dict[str, int] = {}
        ended = reader.line_num + skipped
        for fields in reader:
            line, ended = ended + 1, reader.line_num + skipped
            if not fields or not any(cell.strip() for cell in fields):
                continue  # a blank line is no row
            if sheet.total >= max_rows:
                raise PayloadTooLarge(f"the file has more than {max_rows} rows: split it")
            _take(sheet, seen, columns, fields, line=line, width=len(header), region=region)
    except csv.Error as exc:
        raise Unprocessable.for_field(
            "file", f"the file is not valid CSV at line {reader.line_num + skipped}: {exc}"
        ) from None
    return sheet


def _take(
    sheet: Sheet,
    seen: dict[str, int],
    columns: _Columns,
    fields: list[str],
    *,
    line: int,
    width: int,
    region: str | None,
) -> None:
    """Add one row to the sheet, as a row to write or as a rejection saying why."""
    written = fields[columns.number].strip() if columns.number < len(fields) else ""

    def reject(reason: str) -> None:
        sheet.rejected.append(Rejection(line=line, number=written or None, reason=reason))

    if len(fields) > width and any(cell.strip() for cell in fields[width:]):
        return reject(f"the row has {len(fields)} fields where the header has {width}")
    if not written:
        return reject("no number")
    try:
        number = phones.normalise(written, field="number", region=region)
    except ProblemError:
        return reject(f"invalid number {written!r}")
    if number in seen:
        return reject(f"duplicate of line {seen[number]} ({number})")
    try:
        row = _row(columns, fields, line=line, number=number)
    except ValueError as exc:
        return reject(str(exc))
    seen[number] = line
    sheet.rows.append(row)
    return None


def _cell(fields: list[str], index: int | None) -> str:
    return fields[index].strip() if index is not None and index < len(fields) else ""


def _row(columns: _Columns, fields: list[str], *, line: int, number: str) -> Row:
    """The row's values, checked as the API checks them; ValueError says what is wrong."""
    name = _cell(fields, columns.name) or None
    if name is not None and len(name) > MAX_NAME_LENGTH:
        raise ValueError(f"name is longer than {MAX_NAME_LENGTH} characters")
    email = _cell(fields, columns.email) or None
    if email is not None:
        try:
            email = _EMAIL.validate_python(email) if len(email) <= MAX_EMAIL_LENGTH else None
        except ValidationError:
            email = None
        if email is None:
            raise ValueError(f"invalid email {_cell(fields, columns.email)[:80]!r}")
    status = None
    written_status = _cell(fields, columns.status)
    if written_status:
        status = _STATUSES.get(written_status.lower())
        if status is None:
            raise ValueError(
                f"status {written_status[:40]!r} is none of Subscribed, Presubscribed, Unsubscribed"
            )
    tags = segments.clean_tags(
        t for t in _TAG_SEPARATORS.split(_cell(fields, columns.tags)) if t.strip()
    )
    attributes: dict[str, str] = {}
    for index, key in columns.attributes:
        value = _cell(fields, index)
        if value:
            attributes[key] = segments.attribute_value(key, value) or ""
    return Row(
        line=line,
        number=number,
        name=name,
        email=email,
        status=status,
        tags=tags,
        attributes=attributes,
    )
