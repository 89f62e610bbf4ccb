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
    if message.media is not None:
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
        components = None
        if message.template_parameters:
            parameters = [wire.Parameter(text=value) for value in message.template_parameters]
            components = [wire.Component(type="body", parameters=parameters)]
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
        components=[body],
    )
    return request.model_dump(exclude_none=True)


def template_list_params(*, after: str | None, limit: int = 100) -> dict[str, str]:
    params = {
        "fields": "id,name,language,status,category,parameter_format,components,rejected_reason",
        "limit": str(limit),
    }
    if after:
        params["after"] = after
    return params
