"""A Cloud API double: the subset of Meta's Graph API msgboxx uses, over real HTTP.

It accepts sends and template submissions exactly as Meta would, answers with
Meta's shapes (and Meta's error bodies when a fault asks for one), and reports
back through signed webhooks (``X-Hub-Signature-256``, HMAC-SHA256 with the app
secret) to the configured webhook URL: sent, delivered and read after delays,
template verdicts, inbound customer messages on request. Faults are set per
phone-number id or per recipient through ``/control/faults``: latency, error
codes, failed statuses, dropped, duplicated and out-of-order webhooks.

Run it with ``msgboxx sandbox serve`` and point ``MSGBOXX_GRAPH_BASE_URL`` at it.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import itertools
import json
import logging
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import JSONResponse, Response

from msgboxx.channels.cloud_api import errors
from msgboxx.core import background
from msgboxx.templates import placeholders

log = logging.getLogger(__name__)
_KEPT = 100_000
_STATUSES_PER_WEBHOOK = 1000


@dataclass(slots=True)
class GraphConfig:
    """How the double behaves; mutable at run time through ``/control/config``."""

    webhook_url: str | None = None
    app_secret: str = "sandbox-app-secret"
    # None accepts any bearer token; otherwise others get Meta's error 190.
    access_token: str | None = None
    sent_delay: float = 0.2
    delivered_delay: float = 0.5
    read_delay: float = 1.0
    template_delay: float = 0.3
    # Meta puts status updates that fall due together into one webhook (up to
    # 1000 per POST); the double gathers those due within this window. 0 still
    # gathers those due at the same instant.
    status_batch_seconds: float = 0.05


class Fault(BaseModel):
    """What to do wrong for one phone-number id or one recipient."""

    model_config = ConfigDict(extra="forbid")

    phoneNumberId: str | None = None
    recipient: str | None = None
    latency: float = Field(default=0.0, ge=0, le=60)
    errorCode: int | None = None  # answer the send with Meta's error body
    httpStatus: int = Field(default=400, ge=400, le=599)
    failCode: int | None = None  # accept, then report a failed status with this code
    dropWebhooks: bool = False
    duplicate: bool = False
    outOfOrder: bool = False
    times: int | None = Field(default=None, ge=1)  # then the fault clears itself


class InboundRequest(BaseModel):
    phoneNumberId: str
    from_: str = Field(alias="from")
    text: str | None = None
    type: str = "text"
    name: str | None = None
    displayPhoneNumber: str | None = None


class TemplateEvent(BaseModel):
    event: str
    reason: str | None = None


class ConfigUpdate(BaseModel):
    webhookUrl: str | None = None
    sentDelay: float | None = None
    deliveredDelay: float | None = None
    readDelay: float | None = None


@dataclass(slots=True)
class StoredTemplate:
    id: str
    waba_id: str
    name: str
    language: str
    category: str
    text: str
    status: str = "PENDING"


@dataclass(slots=True)
class GraphDouble:
    config: GraphConfig
    faults: list[Fault] = field(default_factory=list)
    templates: list[StoredTemplate] = field(default_factory=list)
    # The last sends and webhook deliveries, for tests and /control/sent; bounded
    # so that a long benchmark does not grow the double without end.
    sent: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=_KEPT))
    deliveries: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=_KEPT))
    gathering: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    waba_of_number: dict[str, str] = field(default_factory=dict)
    client: httpx.AsyncClient | None = None
    tasks: set[asyncio.Task[None]] = field(default_factory=set)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1_000_000_001))

    def fault_for(self, *, phone_number_id: str, recipient: str | None) -> Fault | None:
        digits = (recipient or "").lstrip("+")
        for fault in self.faults:
            if fault.phoneNumberId not in (None, phone_number_id):
                continue
            if fault.recipient is not None and fault.recipient.lstrip("+") != digits:
                continue
            if fault.times is not None:
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.remove(fault)
            return fault
        return None

    def later(self, work: Any) -> None:
        background.start(self.tasks, work, failure="sandbox webhook delivery failed")

    def report_later(
        self, delay: float, *, waba: str, phone_number_id: str, status: dict[str, Any]
    ) -> None:
        """Report ``status`` after ``delay``, in one webhook with others that fall due with it."""
        asyncio.get_running_loop().call_later(delay, self._gather, waba, phone_number_id, status)

    def _gather(self, waba: str, phone_number_id: str, status: dict[str, Any]) -> None:
        key = (waba, phone_number_id)
        batch = self.gathering.setdefault(key, [])
        batch.append(status)
        if len(batch) >= _STATUSES_PER_WEBHOOK:
            self._flush(key)
        elif len(batch) == 1:
            asyncio.get_running_loop().call_later(
                self.config.status_batch_seconds, self._flush, key
            )

    def _flush(self, key: tuple[str, str]) -> None:
        batch = self.gathering.pop(key, None)
        if batch:
            waba, phone_number_id = key
            self.later(self.deliver(_statuses(waba, phone_number_id, batch)))

    async def deliver(self, payload: dict[str, Any], *, fault: Fault | None = None) -> int | None:
        """POST a signed webhook as Meta does; retry a few times on anything but 200."""
        if fault is not None and fault.dropWebhooks:
            return None
        url = self.config.webhook_url
        if not url or self.client is None:
            log.warning("sandbox has no webhook URL; event not delivered")
            return None
        raw = json.dumps(payload, separators=(",", ":")).encode()
        signature = (
            "sha256=" + hmac.new(self.config.app_secret.encode(), raw, hashlib.sha256).hexdigest()
        )
        headers = {"Content-Type": "application/json", "X-Hub-Signature-256": signature}
        copies = 2 if fault is not None and fault.duplicate else 1
        status: int | None = None
        for _copy in range(copies):
            for wait in (0.0, 0.2, 1.0):
                await asyncio.sleep(wait)
                try:
                    response = await self.client.post(url, content=raw, headers=headers)
                    status = response.status_code
                except httpx.HTTPError:
                    status = None
                self.deliveries.append({"payload": payload, "status": status})
                if status == 200:
                    break
        return status


def _envelope(waba_id: str, field_name: str, value: dict[str, Any]) -> dict[str, Any]:
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": waba_id, "changes": [{"field": field_name, "value": value}]}],
    }


def _statuses(waba_id: str, phone_number_id: str, statuses: list[dict[str, Any]]) -> dict[str, Any]:
    value = {
        "messaging_product": "whatsapp",
        "metadata": _metadata(phone_number_id),
        "statuses": statuses,
    }
    return _envelope(waba_id, "messages", value)


def _metadata(phone_number_id: str, display: str | None = None) -> dict[str, str]:
    return {"display_phone_number": display or "15550000000", "phone_number_id": phone_number_id}


def _error(code: int, *, status: int, message: str | None = None) -> Response:
    kind = errors.classify(code, http_status=status)
    body = {
        "error": {
            "message": f"(#{code}) {message or kind.meaning}",
            "type": "OAuthException",
            "code": code,
            "error_data": {"messaging_product": "whatsapp", "details": message or kind.meaning},
            "fbtrace_id": uuid.uuid4().hex[:20],
        }
    }
    return JSONResponse(body, status_code=status)


def create_graph_app(config: GraphConfig | None = None) -> FastAPI:
    """The double as an ASGI app (served by ``msgboxx sandbox serve`` or in tests)."""
    double = GraphDouble(config or GraphConfig())

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        double.client = httpx.AsyncClient(timeout=10)
        try:
            yield
        finally:
            for task in list(double.tasks):
                task.cancel()
            await asyncio.gather(*double.tasks, return_exceptions=True)
            await double.client.aclose()

    app = FastAPI(title="msgboxx WhatsApp Cloud API sandbox", lifespan=lifespan)
    app.state.double = double

    def authorised(request: Request) -> Response | None:
        header = request.headers.get("authorization", "")
        token = header.removeprefix("Bearer ").strip()
        expected = double.config.access_token
        if not token or (expected is not None and not hmac.compare_digest(token, expected)):
            return _error(190, status=401, message="Error validating access token")
        return None

    async def body_of(request: Request) -> dict[str, Any] | None:
        try:
            body = json.loads(await request.body())
        except ValueError:
            return None
        return body if isinstance(body, dict) else None

    @app.post("/{version}/{phone_number_id}/messages")
    async def send(version: str, phone_number_id: str, request: Request) -> Response:
        refused = authorised(request)
        if refused is not None:
            return refused
        body = await body_of(request)
        if body is None or body.get("messaging_product") != "whatsapp" or not body.get("to"):
            return _error(100, status=400, message="Invalid parameter")
        kind = body.get("type")
        to = str(body["to"])
        if kind == "text":
            text = (body.get("text") or {}).get("body")
            if not isinstance(text, str) or not 1 <= len(text) <= 4096:
                return _error(100, status=400, message="Invalid parameter: text.body")
        elif kind == "template":
            template = body.get("template") or {}
            known = [
                t
                for t in double.templates
                if t.name == template.get("name")
                and t.language == (template.get("language") or {}).get("code")
            ]
            if known and known[0].status != "APPROVED":
                code = {"PAUSED": 132015, "DISABLED": 132016}.get(known[0].status, 132001)
                return _error(code, status=400)
        else:
            return _error(131051, status=400)
        fault = double.fault_for(phone_number_id=phone_number_id, recipient=to)
        if fault is not None and fault.latency:
            await asyncio.sleep(fault.latency)
        if fault is not None and fault.errorCode is not None:
            return _error(fault.errorCode, status=fault.httpStatus)
        wamid = f"wamid.sandbox.{uuid.uuid4().hex}"
        double.sent.append({"phoneNumberId": phone_number_id, "id": wamid, "body": body})
        _report_statuses(double, phone_number_id, to, wamid, fault)
        digits = to.lstrip("+")
        return JSONResponse(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": to, "wa_id": digits}],
                "messages": [{"id": wamid}],
            }
        )

    @app.post("/{version}/{waba_id}/message_templates")
    async def create_template(version: str, waba_id: str, request: Request) -> Response:
        refused = authorised(request)
        if refused is not None:
            return refused
        body = await body_of(request)
        if body is None:
            return _error(100, status=400)
        name, language = body.get("name"), body.get("language")
        components = body.get("components") or []
        text = next(
            (c.get("text") for c in components if str(c.get("type", "")).upper() == "BODY"), None
        )
        if not isinstance(name, str) or not isinstance(language, str) or not isinstance(text, str):
            return _error(100, status=400, message="name, language and a BODY are required")
        if any(
            (t.waba_id, t.name, t.language) == (waba_id, name, language) for t in double.templates
        ):
            return _error(100, status=400, message="Content in this language already exists")
        stored = StoredTemplate(
            id=str(next(double.ids)),
            waba_id=waba_id,
            name=name,
            language=language,
            category=str(body.get("category") or "UTILITY"),
            text=text,
        )
        double.templates.append(stored)
        double.later(_review(double, stored))
        return JSONResponse({"id": stored.id, "status": "PENDING", "category": stored.category})

    @app.get("/{version}/{waba_id}/message_templates")
    async def list_templates(version: str, waba_id: str, request: Request) -> Response:
        refused = authorised(request)
        if refused is not None:
            return refused
        mine = [t for t in double.templates if t.waba_id == waba_id]
        try:
            limit = max(1, min(100, int(request.query_params.get("limit", "25"))))
            start = int(request.query_params.get("after") or 0)
        except ValueError:
            return _error(100, status=400)
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

    @app.post("/control/faults", status_code=204)
    async def add_fault(fault: Fault) -> Response:
        double.faults.insert(0, fault)
        return Response(status_code=204)

    @app.delete("/control/faults", status_code=204)
    async def clear_faults() -> Response:
        double.faults.clear()
        return Response(status_code=204)

    @app.put("/control/config", status_code=204)
    async def configure(update: ConfigUpdate) -> Response:
        if update.webhookUrl is not None:
            double.config.webhook_url = update.webhookUrl
        for name in ("sentDelay", "deliveredDelay", "readDelay"):
            value = getattr(update, name)
            if value is not None:
                setattr(double.config, name.replace("Delay", "_delay").lower(), value)
        return Response(status_code=204)

    @app.post("/control/inbound")
    async def inbound(body: InboundRequest) -> Response:
        """A customer writes to a number: a signed ``messages`` webhook, delivered now."""
        wamid = f"wamid.sandbox.in.{uuid.uuid4().hex}"
        message: dict[str, Any] = {
            "from": body.from_.lstrip("+"),
            "id": wamid,
            "timestamp": str(int(time.time())),
            "type": body.type,
        }
        if body.type == "text":
            message["text"] = {"body": body.text or ""}
        elif body.type in {"image", "video", "audio", "document", "sticker"}:
            message[body.type] = {"id": uuid.uuid4().hex, "mime_type": "application/octet-stream"}
            if body.text:
                message[body.type]["caption"] = body.text
        value = {
            "messaging_product": "whatsapp",
            "metadata": _metadata(body.phoneNumberId, body.displayPhoneNumber),
            "contacts": [{"profile": {"name": body.name or ""}, "wa_id": message["from"]}],
            "messages": [message],
        }
        waba = double.waba_of_number.get(body.phoneNumberId, body.phoneNumberId)
        fault = double.fault_for(phone_number_id=body.phoneNumberId, recipient=None)
        status = await double.deliver(_envelope(waba, "messages", value), fault=fault)
        return JSONResponse({"id": wamid, "webhookStatus": status}, status_code=202)

    @app.post("/control/templates/{template_id}/event")
    async def template_event(template_id: str, event: TemplateEvent) -> Response:
        """WhatsApp Manager changes a template (paused, disabled, reinstated...)."""
        found = next((t for t in double.templates if t.id == template_id), None)
        if found is None:
            return JSONResponse({"detail": "no such template"}, status_code=404)
        found.status = {"REINSTATED": "APPROVED"}.get(event.event, event.event)
        status = await double.deliver(_template_change(found, event.event, event.reason))
        return JSONResponse({"webhookStatus": status}, status_code=202)

    @app.get("/control/sent")
    async def sent() -> Response:
        return JSONResponse(list(double.sent))

    return app


def _template_change(template: StoredTemplate, event: str, reason: str | None) -> dict[str, Any]:
    value = {
        "event": event,
        "message_template_id": int(template.id),
        "message_template_name": template.name,
        "message_template_language": template.language,
        "reason": reason or "NONE",
    }
    return _envelope(template.waba_id, "message_template_status_update", value)


async def _review(double: GraphDouble, template: StoredTemplate) -> None:
    """Approve, unless the body breaks a review rule we can check (error 2388299)."""
    await asyncio.sleep(double.config.template_delay)
    if placeholders.at_either_end(template.text):
        template.status, reason = "REJECTED", "INVALID_FORMAT"
    else:
        template.status, reason = "APPROVED", None
    await double.deliver(_template_change(template, template.status, reason))


def _status_steps(
    config: GraphConfig, to: str, wamid: str, fault: Fault | None
) -> list[tuple[float, dict[str, Any]]]:
    """Sent, delivered and read after their delays; or sent then failed when asked.

    Each status is stamped with the time it happens (accepted + its delay, in
    Meta's whole seconds), as the in-process sandbox stamps its reports; one
    stamp for all three made a message Sent, Delivered and Read in one instant.
    Out of order, a status keeps its own time: only its delivery moves.
    """
    recipient = to.lstrip("+")
    steps: list[tuple[float, dict[str, Any]]] = []
    accepted = time.time()
    base = {"id": wamid, "recipient_id": recipient}

    def at(delay: float) -> dict[str, str]:
        return {"timestamp": str(int(accepted + delay))}

    if fault is not None and fault.failCode is not None:
        kind = errors.classify(fault.failCode, http_status=400)
        failed = {
            **base,
            **at(config.delivered_delay),
            "status": "failed",
            "errors": [
                {
                    "code": fault.failCode,
                    "title": kind.meaning,
                    "message": kind.meaning,
                    "error_data": {"details": kind.meaning},
                }
            ],
        }
        sent = {**base, **at(config.sent_delay), "status": "sent"}
        steps = [(config.sent_delay, sent), (config.delivered_delay, failed)]
    else:
        steps = [
            (delay, {**base, **at(delay), "status": status})
            for status, delay in (
                ("sent", config.sent_delay),
                ("delivered", config.delivered_delay),
                ("read", config.read_delay),
            )
        ]
    if fault is not None and fault.outOfOrder:
        steps = [
            (delay, status) for (delay, _), (_, status) in zip(steps, reversed(steps), strict=True)
        ]
    return steps


def _report_statuses(
    double: GraphDouble, phone_number_id: str, to: str, wamid: str, fault: Fault | None
) -> None:
    waba = double.waba_of_number.get(phone_number_id, phone_number_id)
    steps = _status_steps(double.config, to, wamid, fault)
    if fault is None:
        for delay, status in steps:
            double.report_later(delay, waba=waba, phone_number_id=phone_number_id, status=status)
    else:  # a faulted message's reports go alone, so the fault touches only them
        double.later(_report_alone(double, waba, phone_number_id, steps, fault))


async def _report_alone(
    double: GraphDouble,
    waba: str,
    phone_number_id: str,
    steps: list[tuple[float, dict[str, Any]]],
    fault: Fault,
) -> None:
    elapsed = 0.0
    for delay, status in steps:
        await asyncio.sleep(max(0.0, delay - elapsed))
        elapsed = max(elapsed, delay)
        await double.deliver(_statuses(waba, phone_number_id, [status]), fault=fault)
