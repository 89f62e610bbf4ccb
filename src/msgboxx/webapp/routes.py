"""The web inbox as the app mounts it: its pages, its changes, its own static files."""

from __future__ import annotations

from starlette.staticfiles import StaticFiles

from msgboxx.web import routing
from msgboxx.webapp import actions, campaigns, pages, signin

STATIC_PATH = "/app/static"

router = routing.Router()
routing.include(router, signin.router, pages.router, actions.router, campaigns.router)


def static_files() -> StaticFiles:
    """The inbox's script and style sheet, shipped inside the package (no CDN, no build)."""
    return StaticFiles(packages=[("msgboxx.webapp", "static")])
