"""The double's controls (``/control/...``): what a test or a person makes the network do.

Faults, settings, a customer writing in, WhatsApp Manager changing a template,
and what was sent. Meta has none of these; they stand in for the world.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from starlette.responses import JSONResponse, Response

from msgboxx.channels.sandbox.graph import inbound as inbound_kinds
from msgboxx.channels.sandbox.graph import payloads
from msgboxx.channels.sandbox.graph.schemas import (
    CapabilityEvent,
    ConfigUpdate,
    Fault,
    InboundRequest,
    QualityEvent,
    TemplateEvent,
)
from msgboxx.channels.sandbox.graph.state import Double

router = APIRouter(prefix="/control")


@router.post("/faults", status_code=204)
async def add_fault(fault: Fault, double: Double) -> Response:
    double.faults.insert(0, fault)
    return Response(status_code=204)


@router.delete("/faults", status_code=204)
async def clear_faults(double: Double) -> Response:
    double.faults.clear()
    return Response(status_code=204)


@router.put("/config", status_code=204)
async def configure(update: ConfigUpdate, double: Double) -> Response:
    if update.webhookUrl is not None:
        double.config.webhook_url = update.webhookUrl
    for name in ("sentDelay", "deliveredDelay", "readDelay"):
        value = getattr(update, name)
        if value is not None:
            setattr(double.config, name.replace("Delay", "_delay").lower(), value)
    return Response(status_code=204)


@router.post("/inbound")
async def inbound(body: InboundRequest, double: Double) -> Response:
    """A customer writes to a number: a signed ``messages`` webhook, delivered now.

    Any kind (``type``: text, media, location, contacts, interactive, button,
    reaction, order, ...), in Meta's exact shape (:mod:`.inbound`).
    """
    wamid = f"wamid.sandbox.in.{uuid.uuid4().hex}"
    message = inbound_kinds.message(body, wamid=wamid)
    value = {
        "messaging_product": "whatsapp",
        "metadata": payloads.metadata(body.phoneNumberId, body.displayPhoneNumber),
        "contacts": [{"profile": {"name": body.name or ""}, "wa_id": message["from"]}],
        "messages": [message],
    }
    waba = double.waba_of(body.phoneNumberId)
    fault = double.fault_for(phone_number_id=body.phoneNumberId, recipient=None)
    status = await double.deliver(payloads.envelope(waba, "messages", value), fault=fault)
    return JSONResponse({"id": wamid, "webhookStatus": status}, status_code=202)


@router.post("/templates/{template_id}/event")
async def template_event(template_id: str, event: TemplateEvent, double: Double) -> Response:
    """WhatsApp Manager changes a template (paused, disabled, reinstated...)."""
    found = next((t for t in double.templates if t.id == template_id), None)
    if found is None:
        return JSONResponse({"detail": "no such template"}, status_code=404)
    found.status = {"REINSTATED": "APPROVED"}.get(event.event, event.event)
    status = await double.deliver(found.change(event.event, event.reason))
    return JSONResponse({"webhookStatus": status}, status_code=202)


@router.post("/quality")
async def quality(event: QualityEvent, double: Double) -> Response:
    """Meta rates a number, or moves its portfolio's limit: a signed quality webhook."""
    value: dict[str, object] = {
        "display_phone_number": event.displayPhoneNumber.lstrip("+"),
        "event": event.event,
    }
    if event.maxDailyConversationsPerBusiness is not None:
        value["current_limit"] = event.maxDailyConversationsPerBusiness
        value["max_daily_conversations_per_business"] = event.maxDailyConversationsPerBusiness
    waba = double.waba_of(event.phoneNumberId)
    status = await double.deliver(payloads.envelope(waba, "phone_number_quality_update", value))
    return JSONResponse({"webhookStatus": status}, status_code=202)


@router.post("/capability")
async def capability(event: CapabilityEvent, double: Double) -> Response:
    """Meta changes a business portfolio's messaging limit: a signed capability webhook."""
    value = {
        "max_daily_conversation_per_phone": event.maxDailyConversationsPerBusiness,
        "max_daily_conversations_per_business": event.maxDailyConversationsPerBusiness,
        "max_phone_numbers_per_business": 2,
    }
    payload = payloads.envelope(event.wabaId, "business_capability_update", value)
    status = await double.deliver(payload)
    return JSONResponse({"webhookStatus": status}, status_code=202)


@router.get("/sent")
async def sent(double: Double) -> Response:
    return JSONResponse(list(double.sent))
