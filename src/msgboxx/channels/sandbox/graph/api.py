"""The Graph API's own routes, as msgboxx's adapter calls them: send, submit and list templates.

Each answers as Meta does, including Meta's error bodies: the adapter under
test must not be able to tell the double from the network. They take the
double from the request they read anyway, with no dependency to solve: a send
is on every benchmark's path.
https://developers.facebook.com/docs/whatsapp/cloud-api/reference/messages
"""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, Response

from msgboxx.channels.sandbox.graph import payloads, reports, uploads
from msgboxx.channels.sandbox.graph.state import StoredTemplate, double_of
from msgboxx.channels.sandbox.graph.tokens import check_token

router = APIRouter()

# Why Meta refuses a template that is known but not approved.
_NOT_SENDABLE = {"PAUSED": 132015, "DISABLED": 132016}


async def _body_of(request: Request) -> dict[str, Any] | None:
    """The JSON object posted, or None (Meta answers anything else with error 100)."""
    try:
        body = json.loads(await request.body())
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


@router.post("/{version}/{phone_number_id}/messages")
async def send(version: str, phone_number_id: str, request: Request) -> Response:
    double = double_of(request)
    refused = check_token(double, request)
    if refused is not None:
        return refused
    body = await _body_of(request)
    if body is None or body.get("messaging_product") != "whatsapp" or not body.get("to"):
        return payloads.error(100, status=400, message="Invalid parameter")
    kind = body.get("type")
    to = str(body["to"])
    if kind == "text":
        text = (body.get("text") or {}).get("body")
        if not isinstance(text, str) or not 1 <= len(text) <= 4096:
            return payloads.error(100, status=400, message="Invalid parameter: text.body")
    elif kind in uploads.KINDS:
        media_refused = uploads.check_send(double, kind, body)
        if media_refused is not None:
            return media_refused
    elif kind == "template":
        template = body.get("template") or {}
        known = double.template(
            name=template.get("name"), language=(template.get("language") or {}).get("code")
        )
        if known is not None and known.status != "APPROVED":
            return payloads.error(_NOT_SENDABLE.get(known.status, 132001), status=400)
        header_refused = uploads.check_header(double, template)
        if header_refused is not None:
            return header_refused
    else:
        return payloads.error(131051, status=400)
    fault = double.fault_for(phone_number_id=phone_number_id, recipient=to)
    if fault is not None and fault.latency:
        await asyncio.sleep(fault.latency)
    if fault is not None and fault.errorCode is not None:
        return payloads.error(fault.errorCode, status=fault.httpStatus)
    wamid = f"wamid.sandbox.{uuid.uuid4().hex}"
    double.sent.append({"phoneNumberId": phone_number_id, "id": wamid, "body": body})
    reports.report_statuses(double, phone_number_id, to, wamid, fault)
    digits = to.lstrip("+")
    return JSONResponse(
        {
            "messaging_product": "whatsapp",
            "contacts": [{"input": to, "wa_id": digits}],
            "messages": [{"id": wamid}],
        }
    )


@router.post("/{version}/{waba_id}/message_templates")
async def create_template(version: str, waba_id: str, request: Request) -> Response:
    double = double_of(request)
    refused = check_token(double, request)
    if refused is not None:
        return refused
    body = await _body_of(request)
    if body is None:
        return payloads.error(100, status=400)
    name, language = body.get("name"), body.get("language")
    components = body.get("components") or []
    text = next(
        (c.get("text") for c in components if str(c.get("type", "")).upper() == "BODY"), None
    )
    if not isinstance(name, str) or not isinstance(language, str) or not isinstance(text, str):
        return payloads.error(100, status=400, message="name, language and a BODY are required")
    if any((t.waba_id, t.name, t.language) == (waba_id, name, language) for t in double.templates):
        return payloads.error(100, status=400, message="Content in this language already exists")
    stored = StoredTemplate(
        id=str(next(double.ids)),
        waba_id=waba_id,
        name=name,
        language=language,
        category=str(body.get("category") or "UTILITY"),
        text=text,
    )
    double.templates.append(stored)
    double.later(reports.review(double, stored))
    return JSONResponse({"id": stored.id, "status": "PENDING", "category": stored.category})


@router.get("/{version}/{waba_id}/message_templates")
async def list_templates(version: str, waba_id: str, request: Request) -> Response:
    double = double_of(request)
    refused = check_token(double, request)
    if refused is not None:
        return refused
    mine = [t for t in double.templates if t.waba_id == waba_id]
    try:
        limit = max(1, min(100, int(request.query_params.get("limit", "25"))))
        start = int(request.query_params.get("after") or 0)
    except ValueError:
        return payloads.error(100, status=400)
    page = mine[start : start + limit]
    data = [
        {
            "id": t.id,
            "name": t.name,
            "language": t.language,
            "status": t.status,
            "category": t.category,
            "parameter_format": "POSITIONAL",
            "components": [{"type": "BODY", "text": t.text}],
        }
        for t in page
    ]
    paging: dict[str, Any] = {"cursors": {"before": str(start), "after": str(start + limit)}}
    if start + limit < len(mine):
        paging["next"] = str(request.url.include_query_params(after=str(start + limit)))
    return JSONResponse({"data": data, "paging": paging})
