"""A running msgboxx under test: its data, its processes, and a fixture to load it with."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from benchmarks import fixtures, procs
from msgboxx.settings import Settings

# Steady state: an upgraded number (Meta's 1,000 messages/s tier) and enough
# customers that WhatsApp's pacing per customer (one message every 6 s after a
# burst of 45) never holds a message back, so everything accepted is also sent.
# With the default 80/s and a few hundred customers, any rate above 80/s builds
# a backlog that grows for the whole run, and the figures measure that backlog.
STEADY_CUSTOMERS = 10_000
STEADY_ENV = {"MSGBOXX_NUMBER_THROUGHPUT": "1000"}


@dataclass
class Stack:
    base: str
    fixture: fixtures.Fixture
    settings: Settings
    workdir: Path
    processes: dict[str, procs.Process] = field(default_factory=dict)

    @property
    def server(self) -> procs.Process:
        return self.processes["serve"]


def recreate_postgres_database(url: str) -> None:
    """Drop and create the benchmark's own database (never a shared one)."""
    parts = urlsplit(url.replace("+asyncpg", ""))
    name = parts.path.lstrip("/")
    if not name or name in {"postgres", "template0", "template1", "test"}:
        raise SystemExit(f"refusing to recreate database {name!r}: use a dedicated one")
    base = ["psql", "-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432)]
    base += ["-U", parts.username or "postgres", "-d", "postgres", "-q", "-c"]
    subprocess.run([*base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'], check=True)
    subprocess.run([*base, f'CREATE DATABASE "{name}"'], check=True)


@contextmanager
def running(
    workdir: Path,
    *,
    database_url: str | None = None,
    separate_worker: bool = False,
    graph_double: bool = False,
    contacts: int = 200,
    env: dict[str, str] | None = None,
    dispatch: bool = True,
) -> Iterator[Stack]:
    """Start msgboxx (embedded, or API + worker on PostgreSQL), optionally with the Graph double.

    ``dispatch=False`` runs the API alone: nothing is sent, so a figure taken
    that way is the accept path's own cost.
    """
    data_dir = workdir / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    extra = dict(env or {})
    if database_url:
        recreate_postgres_database(database_url)
        extra["MSGBOXX_DATABASE_URL"] = database_url
    port, graph_port = procs.free_port(), procs.free_port()
    extra["MSGBOXX_PORT"] = str(port)
    if graph_double:
        extra["MSGBOXX_GRAPH_BASE_URL"] = f"http://127.0.0.1:{graph_port}"
    environment = procs.environment(data_dir, **extra)
    settings = Settings(
        data_dir=data_dir, secret_key=procs.SECRET, database_url=database_url, demo=False
    )
    fixture = asyncio.run(fixtures.create(settings, contacts=contacts))
    base = f"http://127.0.0.1:{port}"
    stack = Stack(base, fixture, settings, workdir)
    logs = workdir / "logs"
    try:
        if graph_double:
            double = procs.start(
                "graph",
                ["sandbox", "serve", "--port", str(graph_port)],
                {
                    **environment,
                    "MSGBOXX_SANDBOX_WEBHOOK_URL": f"{base}/channels/whatsapp/webhook",
                    "MSGBOXX_SANDBOX_APP_SECRET": fixtures.APP_SECRET,
                },
                logs,
            )
            stack.processes["graph"] = double
            procs.wait_until_up(double, f"http://127.0.0.1:{graph_port}/docs")
        serve_args = ["serve", "--no-dispatch"] if separate_worker or not dispatch else ["serve"]
        stack.processes["serve"] = procs.start("serve", serve_args, environment, logs)
        procs.wait_until_up(stack.server, f"{base}/readyz")
        if separate_worker and dispatch:
            stack.processes["worker"] = procs.start("worker", ["worker"], environment, logs)
        yield stack
    finally:
        for process in reversed(list(stack.processes.values())):
            process.stop()
