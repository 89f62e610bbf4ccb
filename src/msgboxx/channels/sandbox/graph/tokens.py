"""The double's check of the bearer token, for every route Meta guards with one."""

from __future__ import annotations

import hmac

from fastapi import Request
from starlette.responses import Response

from msgboxx.channels.sandbox.graph import payloads
from msgboxx.channels.sandbox.graph.state import GraphDouble


def check_token(double: GraphDouble, request: Request) -> Response | None:
    """Meta's error 190 unless the bearer token is one the double accepts."""
    header = request.headers.get("authorization", "")
    token = header.removeprefix("Bearer ").strip()
    expected = double.config.access_token
    if not token or (expected is not None and not hmac.compare_digest(token, expected)):
        return payloads.error(190, status=401, message="Error validating access token")
    return None
