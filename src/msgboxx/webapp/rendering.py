"""Pages from Jinja2 templates, and problems shown as a page rather than as JSON.

Autoescape is on for every template: whatever a customer or an agent wrote is
text, never markup. The Content-Security-Policy lets a page run only this
server's own script files, so even markup that slipped through would run nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.routing import APIRoute
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from msgboxx.core.errors import ProblemError, RateLimited
from msgboxx.core.wire import format_timestamp
from msgboxx.webapp.session import SignInNeeded

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def _iso(value: datetime | None) -> str:
    """The instant as the API writes it; the browser shows it in its own time zone."""
    return format_timestamp(value) if value is not None else ""


environment = Environment(
    loader=PackageLoader("msgboxx.webapp", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
environment.filters["iso"] = _iso


def render(name: str, *, status: int = 200, **context: Any) -> HTMLResponse:
    html = environment.get_template(name).render(**context)
    return HTMLResponse(html, status_code=status, headers=HEADERS)


def see_other(url: str) -> RedirectResponse:
    """After a form's change, back to a page (303: the browser follows with GET)."""
    return RedirectResponse(url, status_code=303, headers={"Cache-Control": "no-store"})


def done(request: Request, back: str, **extra: str) -> Response:
    """A change's answer: ``{"ok": true}`` to the page's script, a redirect to a plain form."""
    if wants_json(request):
        return JSONResponse({"ok": True, **extra})
    return see_other(back)


def wants_json(request: Request) -> bool:
    """The page's own script asks for problem+json; a plain form gets a page."""
    return "json" in request.headers.get("accept", "")


class PageRoute(APIRoute):
    """A route whose problems a person reads: a page with the status, or sign-in first."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except ProblemError as problem:
                if wants_json(request):
                    raise
                if isinstance(problem, SignInNeeded) and request.method == "GET":
                    return see_other(f"/app/login?next={quote(request.url.path)}")
                response = render(
                    "problem.html", status=problem.status, problem=problem, agent=None
                )
                if isinstance(problem, RateLimited):
                    response.headers["Retry-After"] = str(problem.retry_after)
                return response

        return handle
