"""Building the JSON we post to the Graph API (pure functions, no HTTP)."""

from __future__ import annotations

import mimetypes
from collections.abc import AsyncIterable
from typing import Any

import aiohttp

from msgboxx.channels.base import OutboundMedia, OutboundMessage, TemplateSubmission
from msgboxx.channels.cloud_api import wire
from msgboxx.templates import placeholders

# Kinds whose messages take no caption (Meta refuses one).
_NO_CAPTION = ("audio", "sticker")
_EXTENSION = {
    mime: extension
    for mime in ("image/jpeg", "image/png", "image/webp", "application/pdf", "video/mp4")
    if (extension := mimetypes.guess_extension(mime))
}


def send_body(message: OutboundMessage, *, media_id: str | None = None) -> dict[str, Any]:
    """A session text, a template with its body parameters in order, or media by its uploaded id."""
    if message.media is not None and message.template_name is None:
        assert media_id is not None, "media is uploaded before it is sent"
        media = message.media
        body = wire.OutgoingMedia(
            id=media_id,
            caption=media.caption if media.kind not in _NO_CAPTION else None,
            filename=media.filename if media.kind == "document" else None,
        )
        request = wire.SendRequest.model_validate(
            {
                "to": message.to_number,
                "type": media.kind,
                media.kind: body,
                "biz_opaque_callback_data": str(message.message_id),
            }
        )
    elif message.template_name is not None:
        components: list[wire.Component] | None = None
        if message.media is not None:
            assert media_id is not None, "media is uploaded before it is sent"
            header = wire.MediaParameter.model_validate(
                {"type": message.media.kind, message.media.kind: wire.OutgoingMedia(id=media_id)}
            )
            components = [wire.Component(type="header", parameters=[header])]
        if message.template_parameters:
            parameters: list[wire.Parameter | wire.MediaParameter] = [
                wire.Parameter(text=value) for value in message.template_parameters
            ]
            components = [*(components or []), wire.Component(type="body", parameters=parameters)]
        request = wire.SendRequest(
            to=message.to_number,
            type="template",
            template=wire.TemplateBody(
                name=message.template_name,
                language=wire.Language(code=message.template_language or "en"),
                components=components,
            ),
            biz_opaque_callback_data=str(message.message_id),
        )
    else:
        request = wire.SendRequest(
            to=message.to_number,
            type="text",
            text=wire.TextBody(body=message.text),
            biz_opaque_callback_data=str(message.message_id),
        )
    return request.model_dump(exclude_none=True)


def upload_form(media: OutboundMedia, chunks: AsyncIterable[bytes]) -> aiohttp.FormData:
    """``POST /{phone-number-id}/media``: the file streamed from the store, and its type.

    https://developers.facebook.com/docs/whatsapp/cloud-api/reference/media#upload-media
    """
    form = aiohttp.FormData()
    form.add_field("messaging_product", "whatsapp")
    form.add_field("type", media.mime_type)
    form.add_field(
        "file",
        chunks,
        filename=media.filename or f"{media.kind}{_EXTENSION.get(media.mime_type, '')}",
        content_type=media.mime_type,
    )
    return form


def template_body(template: TemplateSubmission) -> dict[str, Any]:
    """A positional-parameter template; Meta requires an example value per placeholder."""
    count = len(placeholders.numbers(template.text))
    body = wire.TemplateComponent(type="BODY", text=template.text)
    if count:
        values = None
        if template.example:
            values = placeholders.extract(template.text, template.example)
        if values is None:
            values = [f"example {n}" for n in range(1, count + 1)]
        body.example = wire.TemplateExample(body_text=[values])
    request = wire.TemplateCreate(
        name=template.name,
        category=template.category,
        language=template.language,
        components=[*_header(template), body],
    )
    return request.model_dump(exclude_none=True)


def _header(template: TemplateSubmission) -> list[wire.TemplateComponent]:
    """A media header's format. Meta also wants an example file's handle (from its
    resumable upload API), which msgboxx does not make yet: create such templates in
    WhatsApp Manager for a real number; the double takes them without one."""
    if template.header_type is None:
        return []
    return [wire.TemplateComponent(type="HEADER", format=template.header_type.upper())]


def template_list_params(*, after: str | None, limit: int = 100) -> dict[str, str]:
    params = {
        "fields": "id,name,language,status,category,parameter_format,components,rejected_reason",
        "limit": str(limit),
    }
    if after:
        params["after"] = after
    return params
