"""Media as the business sees it: its record, its bytes, and its view on a message.

Bytes arrive as a stream (an upload, a fetched URL) and are checked by their
first bytes before any is stored (``kinds.check_content``), then counted into
the store, which refuses them the moment they pass the kind's limit. Only
then is the record written: a failed upload leaves neither object nor row.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import AsyncIterable, AsyncIterator, Mapping, Sequence
from dataclasses import dataclass

from msgboxx.accounts import service as accounts
from msgboxx.auth.service import Principal
from msgboxx.core.errors import NotFound, Unprocessable
from msgboxx.db.tx import Tx
from msgboxx.media import store

# A customer's media (recorded with its message, fetched later) and erasure.
from msgboxx.media.erasure import forget_contact as forget_contact
from msgboxx.media.errors import MediaNotFound, MediaNotStored, UnsupportedMediaType
from msgboxx.media.inbound import forget_inbound as forget_inbound
from msgboxx.media.inbound import record_inbound as record_inbound
from msgboxx.media.kinds import RULES, SNIFF_BYTES, CheckedMedia, MediaKind, check_content
from msgboxx.media.models import Media, MediaStatus
from msgboxx.media.models import MediaSource as MediaSource  # for record's callers
from msgboxx.media.schemas import MediaOut
from msgboxx.media.storage import MediaStore, MediaStream, StoredMedia

log = logging.getLogger(__name__)

# The order a kind is guessed in when none is given: an MP4 file is a video
# unless said to be audio, a WebP image a sticker (WhatsApp takes no WebP image).
_GUESSED = (
    MediaKind.IMAGE,
    MediaKind.STICKER,
    MediaKind.VIDEO,
    MediaKind.AUDIO,
    MediaKind.DOCUMENT,
)
# The largest file of any kind: what a request with a known length may declare.
LARGEST = max(rule.max_bytes for rule in RULES.values())


def url_of(media_id: uuid.UUID) -> str:
    """Where a client fetches the bytes: our authenticated endpoint, never the store's."""
    return f"/media/{media_id}"


def view(media: Media, *, caption: str | None = None, filename: str | None = None) -> MediaOut:
    """``media`` as the API shows it; ``caption`` and ``filename`` are a message's own."""
    return MediaOut(
        mediaId=media.id,
        type=MediaKind(media.kind),
        status=MediaStatus(media.status),
        mimeType=media.mime_type,
        size=media.size,
        sha256=media.sha256,
        filename=filename or media.filename,
        caption=caption,
        url=url_of(media.id),
        dateTime=media.created_at,
        failureReason=media.failure_reason,
    )


async def records(tx: Tx, media_ids: Sequence[uuid.UUID]) -> Mapping[uuid.UUID, Media]:
    """Media by id, for messages the caller already found visible (no tenancy check here)."""
    return await store.by_ids(tx, media_ids)


def key_for(
    organisation_id: uuid.UUID, media_id: uuid.UUID, *, contact_id: uuid.UUID | None
) -> str:
    """Where the bytes go: under the contact when there is one, so erasing it erases them."""
    folder = str(contact_id) if contact_id is not None else "uploads"
    return f"{organisation_id}/{folder}/{media_id}"


@dataclass(frozen=True, slots=True)
class Stored:
    """Bytes checked and in the store, not yet recorded (`record` does that)."""

    media_id: uuid.UUID
    kind: MediaKind
    checked: CheckedMedia
    stored: StoredMedia
    filename: str | None
    # The first bytes: a kind given after the file is checked against them.
    head: bytes


async def _head_of(chunks: AsyncIterator[bytes]) -> tuple[bytes, list[bytes]]:
    """The first `SNIFF_BYTES` (fewer for a shorter file) and the chunks they came in."""
    taken: list[bytes] = []
    size = 0
    while size < SNIFF_BYTES:
        chunk = await anext(chunks, None)
        if chunk is None:
            break
        taken.append(chunk)
        size += len(chunk)
    return b"".join(taken)[:SNIFF_BYTES], taken


def check(
    head: bytes,
    *,
    kind: MediaKind | None,
    size: int | None = None,
    declared_type: str | None = None,
    filename: str | None = None,
) -> CheckedMedia:
    """`check_content`, guessing the kind from the content when none is given."""
    if kind is not None:
        return check_content(
            head, kind=kind, size=size, declared_type=declared_type, filename=filename
        )
    for guess in _GUESSED:
        try:
            return check_content(
                head, kind=guess, size=size, declared_type=declared_type, filename=filename
            )
        except UnsupportedMediaType:
            continue
    return check_content(
        head, kind=MediaKind.DOCUMENT, size=size, declared_type=declared_type, filename=filename
    )


async def put_stream(
    media_store: MediaStore,
    chunks: AsyncIterable[bytes],
    *,
    organisation_id: uuid.UUID,
    kind: MediaKind | None,
    declared_type: str | None = None,
    filename: str | None = None,
    contact_id: uuid.UUID | None = None,
) -> Stored:
    """Check the stream's first bytes, then store it all, refusing it past the kind's limit.

    415 before a byte is stored when the content is no type of the kind (or of
    any kind, when none is given); 413 as soon as the size passes the limit.
    """
    stream = aiter(chunks)
    head, taken = await _head_of(stream)
    checked = check(head, kind=kind, declared_type=declared_type, filename=filename)

    async def everything() -> AsyncIterator[bytes]:
        for chunk in taken:
            yield chunk
        async for chunk in stream:
            yield chunk

    media_id = uuid.uuid4()
    key = key_for(organisation_id, media_id, contact_id=contact_id)
    stored = await media_store.put(
        key, everything(), content_type=checked.mime_type, max_bytes=checked.max_bytes
    )
    return Stored(media_id, checked.kind, checked, stored, _clean_name(filename), head)


def recheck(stored: Stored, kind: MediaKind) -> Stored:
    """The stored bytes as ``kind`` (a kind given after the file): 415 or 413 if they are not."""
    if kind is stored.kind:
        return stored
    checked = check(
        stored.head,
        kind=kind,
        size=stored.stored.size,
        declared_type=stored.checked.mime_type,
        filename=stored.filename,
    )
    return Stored(stored.media_id, kind, checked, stored.stored, stored.filename, stored.head)


async def discard(media_store: MediaStore, stored: Stored) -> None:
    """Remove bytes that will not be recorded; a failure here is logged, never raised."""
    try:
        await media_store.delete(stored.stored.key)
    except Exception:
        log.exception("discarding unrecorded media failed", extra={"key": stored.stored.key})


async def record(
    tx: Tx,
    principal: Principal,
    stored: Stored,
    *,
    source: MediaSource,
    account_id: uuid.UUID | None,
    contact_id: uuid.UUID | None = None,
) -> Media:
    """The record of stored bytes, in the caller's organisation (the caller commits).

    ``account_id``, when given, must be an account the caller sees (404 otherwise).
    """
    if account_id is not None:
        await accounts.get(tx, principal, account_id)
    return await store.add(
        tx,
        Media(
            id=stored.media_id,
            organisation_id=principal.org_id,
            account_id=account_id,
            contact_id=contact_id,
            source=source.value,
            kind=stored.kind.value,
            mime_type=stored.checked.mime_type,
            filename=stored.filename,
            size=stored.stored.size,
            sha256=stored.stored.sha256,
            status=MediaStatus.stored.value,
            store_key=stored.stored.key,
        ),
    )


async def get(tx: Tx, principal: Principal, media_id: uuid.UUID) -> Media:
    """The media if the caller may see it, or 404 (also when another tenant owns it).

    An admin sees the organisation's media; an agent the media of the accounts
    assigned to it, and uploads made for no account.
    """
    media = await store.get_in(tx, media_id, principal.org_id)
    if media is None or not await _sees_account(tx, principal, media.account_id):
        raise NotFound(f"media {media_id} was not found")
    return media


async def _sees_account(tx: Tx, principal: Principal, account_id: uuid.UUID | None) -> bool:
    if account_id is None or principal.is_admin:
        return True
    with contextlib.suppress(NotFound):
        await accounts.get(tx, principal, account_id)
        return True
    return False


async def sendable(
    tx: Tx,
    principal: Principal,
    media_id: uuid.UUID,
    *,
    kind: MediaKind,
    account_id: uuid.UUID,
    field: str = "media",
) -> Media:
    """Stored media the caller may send as ``kind`` from ``account_id``: 404, or 422 naming why."""
    media = await get(tx, principal, media_id)
    if media.status != MediaStatus.stored.value:
        raise Unprocessable.for_field(
            f"{field}.mediaId", f"this media is {media.status}, not stored: it cannot be sent"
        )
    if media.account_id is not None and media.account_id != account_id:
        raise Unprocessable.for_field(
            f"{field}.mediaId", "this media was uploaded for another API account"
        )
    rule = RULES[kind]
    fits = media.kind == kind.value or (
        media.mime_type in rule.accepted and (media.size or 0) <= rule.max_bytes
    )
    if not fits:
        raise Unprocessable.for_field(
            f"{field}.type",
            f"this media is {media.kind} ({media.mime_type}); as {kind} WhatsApp takes "
            f"{', '.join(rule.accepted)} up to {rule.max_bytes} bytes",
        )
    return media


async def open_bytes(media_store: MediaStore, media: Media) -> MediaStream:
    """The stored bytes of ``media``: 409 while it is pending or after it failed."""
    if media.status != MediaStatus.stored.value or media.store_key is None:
        raise MediaNotStored(
            f"media {media.id} is {media.status}: its bytes are not here"
            + (f" ({media.failure_reason})" if media.failure_reason else ""),
            extra={"mediaStatus": media.status},
        )
    try:
        return await media_store.open(media.store_key)
    except MediaNotFound:
        raise NotFound(f"media {media.id} was not found") from None


def _clean_name(filename: str | None) -> str | None:
    """A file name as a client may see it again: its last path segment, printable, ≤ 240."""
    if not filename:
        return None
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return name[:240] or None
