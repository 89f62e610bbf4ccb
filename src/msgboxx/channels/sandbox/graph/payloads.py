"""The bodies the double writes in Meta's own shapes: webhooks and error answers.

Kept apart from the routes and the state so that every shape msgboxx's Cloud
API adapter must read is in one file, next to the docs it follows:
https://developers.facebook.com/docs/whatsapp/cloud-api/webhooks/components
"""

from __future__ import annotations

import uuid
from typing import Any

from starlette.responses import JSONResponse, Response

from msgboxx.channels.cloud_api import errors


def envelope(waba_id: str, field_name: str, value: dict[str, Any]) -> dict[str, Any]:
    """One webhook body carrying one change of one business account."""
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": waba_id, "changes": [{"field": field_name, "value": value}]}],
    }


def statuses(waba_id: str, phone_number_id: str, found: list[dict[str, Any]]) -> dict[str, Any]:
    """A ``messages`` webhook of status updates, as Meta batches them (up to 1000)."""
    value = {
        "messaging_product": "whatsapp",
        "metadata": metadata(phone_number_id),
        "statuses": found,
    }
    return envelope(waba_id, "messages", value)


def metadata(phone_number_id: str, display: str | None = None) -> dict[str, str]:
    return {"display_phone_number": display or "15550000000", "phone_number_id": phone_number_id}


def error(code: int, *, status: int, message: str | None = None) -> Response:
    """Meta's error body for ``code``, so the adapter reads it exactly as it reads Meta's."""
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
