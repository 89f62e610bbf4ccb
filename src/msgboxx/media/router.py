"""``/media``: upload a file to send (streamed in, checked by content) and fetch media back."""

from __future__ import annotations

import mimetypes
import uuid
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

from fastapi import Request
from starlette.responses import Response, StreamingResponse

from msgboxx.core.errors import Unprocessable
from msgboxx.media import service
from msgboxx.media.errors import MediaTooLarge
from msgboxx.media.kinds import RULES, MediaKind
from msgboxx.media.models import MediaSource
from msgboxx.media.schemas import MediaOut, UploadFingerprint
from msgboxx.media.storage import MediaStream
from msgboxx.web import openapi
from msgboxx.web.deps import CurrentUser, MediaStoreOf, UnitOfWork
from msgboxx.web.multipart import StreamingForm
from msgboxx.web.routing import Router
from msgboxx.web.writes import answer, commit_and_answer

router = Router(tags=["Media"])
_STORED_TYPES = sorted({mime for rule in RULES.values() for mime in rule.accepted})
PATH = "/media"
# What a form may carry beside its file: boundaries, headers, the small fields.
FORM_OVERHEAD = 64 * 1024

_UPLOAD_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {
                    "file": {"type": "string", "format": "binary"},
                    "type": {"type": "string", "enum": [kind.value for kind in MediaKind]},
                    "apiAccountId": {"type": "string", "format": "uuid"},
                },
            }
        }
    },
}


def _kind(value: str) -> MediaKind:
    try:
        return MediaKind(value.strip().lower())
    except ValueError:
        kinds = ", ".join(kind.value for kind in MediaKind)
        raise Unprocessable.for_field("type", f"must be one of {kinds}") from None


def _account(value: str | None) -> uuid.UUID | None:
    if not value:
        return None
    try:
        return uuid.UUID(value.strip())
    except ValueError:
        raise Unprocessable.for_field("apiAccountId", "must be a UUID") from None


@router.post(
    PATH,
    status_code=201,
    response_model=MediaOut,
    operation_id="uploadMedia",
    openapi_extra={"requestBody": _UPLOAD_BODY},
    responses={
        201: {"model": MediaOut},
        **openapi.problems(
            {
                400: "The multipart body is malformed",
                404: "apiAccountId is unknown or not visible to this user",
                413: "The file is over WhatsApp's limit for its kind (image 5 MB, audio and"
                " video 16 MB, document 100 MB, sticker 100 KB or 500 KB animated)",
                415: "The body is not multipart/form-data, or the file's content (not its"
                " name) is no type WhatsApp takes for the kind",
                422: "No file, or an invalid type or apiAccountId",
            }
        ),
    },
)
async def upload_media(
    request: Request, tx: UnitOfWork, user: CurrentUser, media_store: MediaStoreOf
) -> Response:
    """Upload a file to send: ``file``, and optionally ``type`` and ``apiAccountId``.

    The file is streamed to the media store as it arrives and checked by its
    content: a kind not given is taken from the content (an MP4 file is a video,
    a WebP image a sticker). Send it with ``POST /message`` and
    ``media: {"type", "mediaId"}``.
    """
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > service.LARGEST + FORM_OVERHEAD:
        raise MediaTooLarge(
            f"{length} bytes is over the largest file WhatsApp takes",
            max_bytes=service.LARGEST,
            size=int(length),
        )
    form = StreamingForm(request)
    kind: MediaKind | None = None
    account: str | None = None
    stored: service.Stored | None = None
    try:
        async for part in form.parts():
            if part.name == "file":
                if stored is not None:
                    raise Unprocessable.for_field("file", "send one file per upload")
                stored = await service.put_stream(
                    media_store,
                    form.data(),
                    organisation_id=user.org_id,
                    kind=kind,
                    declared_type=part.content_type,
                    filename=part.filename,
                )
            elif part.name == "type":
                kind = _kind(await form.text(part, max_bytes=100))
            elif part.name == "apiAccountId":
                account = await form.text(part, max_bytes=100)
        if stored is None:
            raise Unprocessable.for_field("file", "is required: the media, as a file field")
        if kind is not None:
            stored = service.recheck(stored, kind)
        account_id = _account(account)
        uploaded = stored
        fingerprint = UploadFingerprint(
            sha256=uploaded.stored.sha256,
            type=uploaded.kind,
            apiAccountId=account_id,
            filename=uploaded.filename,
        )

        async def produce() -> MediaOut:
            media = await service.record(
                tx, user, uploaded, source=MediaSource.upload, account_id=account_id
            )
            return service.view(media)

        response = await commit_and_answer(request, tx, user, payload=fingerprint, produce=produce)
    except BaseException:
        if stored is not None:
            await service.discard(media_store, stored)
        raise
    if response.headers.get("idempotent-replayed"):
        await service.discard(media_store, stored)  # the first upload's bytes are the ones kept
    return response


# The same route with a trailing slash, as every other route answers (web/routing.py).
router.add_api_route(
    PATH + "/", upload_media, methods=["POST"], status_code=201, include_in_schema=False
)
# The routes whose body RequestContext passes through unread: they stream it.
STREAMED = frozenset({("POST", PATH), ("POST", PATH + "/")})


@router.get(
    PATH + "/{mediaId}",
    operation_id="getMedia",
    response_class=Response,
    responses={
        200: {
            "description": "The bytes, with the stored Content-Type and the file name",
            # Each type media may be stored as (what a generated client reads as bytes).
            "content": {
                mime: {"schema": {"type": "string", "format": "binary"}} for mime in _STORED_TYPES
            },
        },
        **openapi.problems(
            {409: "The media is pending (not fetched from the network yet) or failed"}
        ),
    },
)
async def get_media(
    mediaId: uuid.UUID, tx: UnitOfWork, user: CurrentUser, media_store: MediaStoreOf
) -> Response:
    """The media's bytes, as stored: 404 for another organisation's, 409 while pending or failed."""
    media = await service.get(tx, user, mediaId)
    await tx.close()  # sending 100 MB may take a while: hold no connection meanwhile
    stream = await service.open_bytes(media_store, media)
    name = media.filename or f"{media.id}{_extension(media.mime_type)}"
    return StreamingResponse(
        _chunks(stream),
        media_type=media.mime_type or "application/octet-stream",
        headers={
            "Content-Length": str(stream.size),
            "Content-Disposition": _attachment(name),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, max-age=3600",
        },
    )


@router.get(PATH + "/{mediaId}/info", response_model=MediaOut, operation_id="getMediaInfo")
async def get_media_info(mediaId: uuid.UUID, tx: UnitOfWork, user: CurrentUser) -> Response:
    """The media's record: its type, size, sha256, status and where to fetch it."""
    return answer(service.view(await service.get(tx, user, mediaId)))


async def _chunks(stream: MediaStream) -> AsyncIterator[bytes]:
    async with stream:
        async for chunk in stream:
            yield chunk


def _extension(mime_type: str | None) -> str:
    return (mimetypes.guess_extension(mime_type or "") or "") if mime_type else ""


def _attachment(name: str) -> str:
    """``attachment`` with the name as plain ASCII and, exactly, as RFC 8187 UTF-8."""
    plain = "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else "_" for c in name)
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(name, safe='')}"
