"""Building the JSON we post to the Graph API (pure functions, no HTTP)."""

from __future__ import annotations

from typing import Any

from msgboxx.channels.base import OutboundMessage, TemplateSubmission
from msgboxx.channels.cloud_api import wire
from msgboxx.templates import placeholders


def send_body(message: OutboundMessage) -> dict[str, Any]:
    """A session text, or a template with its body parameters in order."""
    if message.template_name is not None:
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
