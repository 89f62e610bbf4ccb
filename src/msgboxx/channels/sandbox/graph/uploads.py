"""Media as the double takes it from a business: uploads, and the sends that use them.

``POST /{version}/{phone-number-id}/media`` takes a multipart form
(``messaging_product=whatsapp``, ``type``, ``file``) and answers ``{"id"}``, as
Meta does; a missing file is error 100 and content that is not the type it
claims, or over WhatsApp's limit for it, is 131053 ("Media upload error"),
checked by content with msgboxx's own rules (``media/kinds.py``, Meta's
limits). A media send must name an id uploaded here (error 100 otherwise).
https://developers.facebook.com/docs/whatsapp/cloud-api/reference/media
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from starlette.datastructures import UploadFile
from starlette.responses import JSONResponse, Response

from msgboxx.channels.sandbox.graph import payloads
from msgboxx.channels.sandbox.graph.state import GraphDouble, double_of
from msgboxx.channels.sandbox.graph.tokens import check_token
from msgboxx.media.errors import MediaTooLarge, UnsupportedMediaType
from msgboxx.media.kinds import RULES, SNIFF_BYTES, MediaKind, check_content

router = APIRouter()
KINDS = tuple(kind.value for kind in MediaKind)
_NO_CAPTION = ("audio", "sticker")
_READ_BYTES = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Uploaded:
    """What the double kept of an upload: enough to check sends and for tests to compare."""

    id: str
    phone_number_id: str
    mime_type: str
    kind: MediaKind
    size: int
    sha256: str
    filename: str | None


def _kind_of(mime_type: str) -> MediaKind | None:
    """The kind a MIME type is sent as (the first that takes it: a WebP is a sticker)."""
    return next((kind for kind, rule in RULES.items() if mime_type in rule.accepted), None)


@router.post("/{version}/{phone_number_id}/media")
async def upload(version: str, phone_number_id: str, request: Request) -> Response:
    double = double_of(request)
    denied = check_token(double, request)
    if denied is not None:
        return denied
    try:
        form = await request.form()
    except Exception:
        return payloads.error(100, status=400, message="Invalid parameter: a multipart form")
    try:
        file = form.get("file")
        if form.get("messaging_product") != "whatsapp":
            return payloads.error(100, status=400, message="messaging_product must be whatsapp")
        if not isinstance(file, UploadFile):
            return payloads.error(100, status=400, message="The parameter file is required.")
        declared = str(form.get("type") or file.content_type or "")
        kind = _kind_of(declared)
        if kind is None:
            return payloads.error(131053, status=400, message=f"Unsupported file type {declared}")
        head = await file.read(SNIFF_BYTES)
        digest, size = hashlib.sha256(head), len(head)
        while chunk := await file.read(_READ_BYTES):
            digest.update(chunk)
            size += len(chunk)
        try:
            checked = check_content(head, kind=kind, size=size, filename=file.filename)
        except (UnsupportedMediaType, MediaTooLarge) as exc:
            return payloads.error(131053, status=400, message=str(exc))
        if checked.mime_type != declared and kind is not MediaKind.DOCUMENT:
            return payloads.error(
                131053, status=400, message=f"the file is {checked.mime_type}, not {declared}"
            )
    finally:
        await form.close()
    media_id = str(next(double.ids))
    double.uploads[media_id] = Uploaded(
        id=media_id,
        phone_number_id=phone_number_id,
        mime_type=checked.mime_type,
        kind=kind,
        size=size,
        sha256=digest.hexdigest(),
        filename=file.filename,
    )
    return JSONResponse({"id": media_id})


def check_send(double: GraphDouble, kind: str, body: dict[str, Any]) -> Response | None:
    """Meta's error for a media message the double would refuse, or None to send it."""
    media = body.get(kind)
    if not isinstance(media, dict):
        return payloads.error(100, status=400, message=f"Invalid parameter: {kind}")
    caption = media.get("caption")
    if caption is not None and (
        kind in _NO_CAPTION or not isinstance(caption, str) or len(caption) > 1024
    ):
        return payloads.error(100, status=400, message=f"Invalid parameter: {kind}.caption")
    if "link" in media and "id" not in media:
        return None  # Meta fetches a link itself; the double takes it as given
    uploaded = double.uploads.get(str(media.get("id")))
    if uploaded is None:
        return payloads.error(
            100,
            status=400,
            message=f"Param {kind}['id'] is not a valid whatsapp business account"
            " media attachment ID",
        )
    if uploaded.kind.value != kind and uploaded.mime_type not in RULES[MediaKind(kind)].accepted:
        return payloads.error(131053, status=400, message=f"the media is not a {kind}")
    return None


def check_header(double: GraphDouble, template: dict[str, Any]) -> Response | None:
    """Meta's error for a template send whose header media names no uploaded id."""
    for component in template.get("components") or []:
        if not isinstance(component, dict) or component.get("type") != "header":
            continue
        for parameter in component.get("parameters") or []:
            kind = parameter.get("type") if isinstance(parameter, dict) else None
            if kind in ("image", "video", "document"):
                refused = check_send(double, kind, parameter)
                if refused is not None:
                    return refused
    return None
