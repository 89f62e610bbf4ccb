"""The ``msgboxx`` command: serve, worker, migrate, admin, send, messages, webhook, contacts ...

``msgboxx.cli:main`` is the installed entry point; each module adds its commands
to the tree in :mod:`msgboxx.cli._app`.
"""

from __future__ import annotations

from msgboxx.cli import admin, api, contacts, listen, server
from msgboxx.cli._app import app

__all__ = ["admin", "api", "app", "contacts", "listen", "main", "server"]


def main() -> None:
    app()
