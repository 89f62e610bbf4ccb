"""Live changes: what they cost ``POST /message`` on PostgreSQL, and how soon a viewer sees one.

    python -m benchmarks.live cost [seconds] [repetitions]
    python -m benchmarks.live latency [messages]

``cost``: the API alone (``serve --no-dispatch``) on PostgreSQL, saturated by wrk
with ``POST /message`` (32 connections), once per variant in turn, repeated,
medians published: live changes off (``MSGBOXX_LIVE=false``); on, as built (the
notification after the commit, on the feed's own connection), with no viewer and
with one viewer reading every change; and on with the notification sent in the
committing transaction instead (the alternative, measured on a copy of the
source patched here, ``_in_transaction_variant``). Each figure is requests/s and
the server's CPU per request.

``latency``: a customer's message through the sandbox's inbound route, one every
20 ms, and the time until an SSE client of ``GET /live`` holds its
``message.inbound`` event: on SQLite (``msgboxx serve``, one process) and on
PostgreSQL with the message accepted by one API process and the stream open on
another. The time counts from sending the request (the accept's own time is
printed beside it).

PostgreSQL: ``BENCH_POSTGRES_URL`` (default ``.../msgboxx_bench``), dropped and
recreated. Nothing else should run meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from benchmarks import fixtures, loadgen, procs
from benchmarks.stack import recreate_postgres_database
from msgboxx.settings import Settings

POSTGRES = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/msgboxx_bench"
)
SOURCE = Path(__file__).resolve().parent.parent / "src"
SANDBOX_NUMBER = "+447700100001"  # fixtures.create's sandbox account


def _in_transaction_variant(root: Path) -> Path:
    """A copy of the source whose commits NOTIFY inside the transaction, not after it."""
    copy = root / "variant-src"
    shutil.copytree(SOURCE, copy)
    tx = copy / "msgboxx" / "db" / "tx.py"
    text = tx.read_text()
    anchor = "        await self.session.commit()\n        self._held = None\n"
    assert anchor in text, "db/tx.py changed: update the variant"
    notify = (
        "        if self._said and self.dialect == 'postgresql':\n"
        "            from sqlalchemy import text as _sql\n"
        "            from msgboxx.live.changes import Change as _C, encode as _encode\n"
        "            for _p in _encode('in-tx', [_C.of(s) for s in self._said]):\n"
        "                await self.session.execute(\n"
        "                    _sql(\"SELECT pg_notify('msgboxx_live', :p)\"), {'p': _p}\n"
        "                )\n"
    )
    tx.write_text(text.replace(anchor, notify + anchor))
    feed = copy / "msgboxx" / "live" / "feed.py"
    text = feed.read_text()
    after_commit = "        if self._task is not None:\n            if len(self._pending)"
    assert after_commit in text, "live/feed.py changed: update the variant"
    feed.write_text(text.replace(after_commit, after_commit.replace("self._task", "None"), 1))
    return copy


def _viewer(base: str, token: str, log: Path) -> subprocess.Popen[bytes]:
    """A viewer reading every change, as a browser tab does (curl, off this process's CPU)."""
    out = log.open("wb")
    return subprocess.Popen(
        ["curl", "-sN", "-H", f"Authorization: Bearer {token}", f"{base}/live"],
        stdout=out,
        stderr=subprocess.STDOUT,
    )


def _sent(base: str) -> tuple[float, float]:
    """Notifications and changes the server has sent to other processes (its metrics)."""
    found = {"msgboxx_live_notifications_total": 0.0, "msgboxx_live_changes_sent_total": 0.0}
    for line in httpx.get(f"{base}/metrics", timeout=10).text.splitlines():
        name, _, value = line.partition(" ")
        if name in found:
            found[name] = float(value)
    return found["msgboxx_live_notifications_total"], found["msgboxx_live_changes_sent_total"]


async def _notify_cpu(calls: int = 3000) -> float:
    """The client's CPU for one ``SELECT pg_notify`` round trip (asyncpg), in ms."""
    connection = await asyncpg.connect(POSTGRES.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        payload = "x" * 150
        for _ in range(200):  # warm up
            await connection.execute("SELECT pg_notify($1, $2)", "msgboxx_bench", payload)
        started = time.process_time()
        for _ in range(calls):
            await connection.execute("SELECT pg_notify($1, $2)", "msgboxx_bench", payload)
        return 1000 * (time.process_time() - started) / calls
    finally:
        await connection.close()


def _publish_cpu(count: int = 100_000) -> float:
    """The committing request's own CPU for telling the feed one change, in µs."""
    from datetime import UTC, datetime

    from msgboxx.core.events import EventType
    from msgboxx.live.feed import Feed
    from msgboxx.messages.schemas import MessageOut

    view = MessageOut.model_construct(
        apiAccountId=uuid.uuid4(), contactId=uuid.uuid4(), messageId=uuid.uuid4()
    )
    said = [(uuid.uuid4(), EventType.message_created, view, datetime.now(UTC))]

    async def measure() -> float:
        feed = Feed(POSTGRES)
        feed._task = asyncio.current_task()  # as if connected: each change is queued to send
        started = time.process_time()
        for _ in range(count):
            feed.publish(said)  # type: ignore[arg-type]
            if len(feed._pending) > 5000:
                feed._pending.clear()
        return 1_000_000 * (time.process_time() - started) / count

    return asyncio.run(measure())


def cost(seconds: float, repetitions: int) -> dict[str, Any]:
    variants: dict[str, dict[str, str]] = {
        "off": {"MSGBOXX_LIVE": "false"},
        "on (after commit)": {"MSGBOXX_LIVE": "true"},
        "on, one viewer": {"MSGBOXX_LIVE": "true"},
        "on (in the transaction)": {"MSGBOXX_LIVE": "true"},
    }
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in variants}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        data_dir = workdir / "data"
        recreate_postgres_database(POSTGRES)
        settings = Settings(
            data_dir=data_dir, secret_key=procs.SECRET, database_url=POSTGRES, demo=False
        )
        fixture = asyncio.run(fixtures.create(settings, contacts=2000))
        bodies = fixtures.write_message_bodies(
            workdir / "bodies.jsonl",
            account=fixture.sandbox_account,
            contacts=fixture.sandbox_contacts,
        )
        variant_src = _in_transaction_variant(workdir)
        names = list(variants)
        for repetition in range(repetitions):
            # Each repetition starts with another variant: a drift of the host's speed
            # within a repetition falls on every variant alike.
            shift = repetition % len(names)
            for name in names[shift:] + names[:shift]:
                extra = variants[name]
                port = procs.free_port()
                env = procs.environment(
                    data_dir,
                    MSGBOXX_DATABASE_URL=POSTGRES,
                    MSGBOXX_PORT=str(port),
                    MSGBOXX_LOG_LEVEL="WARNING",
                    **extra,
                )
                if "in the transaction" in name:
                    env["PYTHONPATH"] = str(variant_src)
                base = f"http://127.0.0.1:{port}"
                server = procs.start("serve", ["serve", "--no-dispatch"], env, workdir / "logs")
                viewer = None
                try:
                    procs.wait_until_up(server, f"{base}/readyz")
                    if "viewer" in name:
                        viewer = _viewer(base, fixture.token, workdir / "logs" / "viewer.log")
                        time.sleep(0.5)
                    sent_before = _sent(base)
                    before = server.cpu_seconds()
                    run = loadgen.wrk(
                        base,
                        "post_message.lua",
                        seconds=seconds,
                        connections=32,
                        env={"BENCH_TOKEN": fixture.token, "BENCH_BODIES": str(bodies)},
                    )
                    cpu_ms = 1000 * (server.cpu_seconds() - before) / max(1, run["requests"])
                    sent_after = _sent(base)
                finally:
                    if viewer is not None:
                        viewer.terminate()
                        viewer.wait()
                    server.stop()
                results[name].append((run["rps"], cpu_ms))
                notifications = sent_after[0] - sent_before[0]
                changes = sent_after[1] - sent_before[1]
                print(
                    f"#{repetition + 1} {name:26} {run['rps']:7.0f} req/s "
                    f"{cpu_ms:.3f} ms CPU/request; "
                    f"{changes:.0f} changes in {notifications:.0f} notifications",
                    flush=True,
                )
    summary: dict[str, Any] = {
        name: {
            "rps": statistics.median(r for r, _ in runs),
            "cpuMsPerRequest": statistics.median(c for _, c in runs),
            "runs": runs,
        }
        for name, runs in results.items()
    }
    summary["notifyRoundTripClientCpuMs"] = asyncio.run(_notify_cpu())
    summary["publishCpuMicroseconds"] = _publish_cpu()
    return summary


async def _latencies(
    stream_base: str, accept_base: str, token: str, count: int
) -> dict[str, float]:
    headers = {"Authorization": f"Bearer {token}"}
    arrived: dict[str, float] = {}
    opened = asyncio.Event()
    progress = asyncio.Event()

    async def read(client: httpx.AsyncClient) -> None:
        async with client.stream("GET", "/live", timeout=httpx.Timeout(30, read=None)) as reply:
            kind = ""
            async for line in reply.aiter_lines():
                if line.startswith(": subscribed"):
                    opened.set()
                elif line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: ") and kind == "message.inbound":
                    arrived[json.loads(line[6:])["resourceId"]] = time.perf_counter()
                    progress.set()

    sent: dict[str, float] = {}
    accepted: dict[str, float] = {}
    async with (
        httpx.AsyncClient(base_url=stream_base, headers=headers) as viewer,
        httpx.AsyncClient(base_url=accept_base, headers=headers) as api,
    ):
        reading = asyncio.create_task(read(viewer))
        await asyncio.wait_for(opened.wait(), 10)
        for n in range(count + 20):  # the first 20 warm up and are not counted
            body = {"from": fixtures.contact_number(1, n), "to": SANDBOX_NUMBER, "text": "Hi"}
            started = time.perf_counter()
            reply = await api.post("/sandbox/inbound", json=body)
            done = time.perf_counter()
            reply.raise_for_status()
            if n >= 20:
                message_id = reply.json()["messageId"]
                sent[message_id], accepted[message_id] = started, done
            await asyncio.sleep(0.02)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(10):
                while not set(sent) <= set(arrived):
                    progress.clear()
                    await progress.wait()
        reading.cancel()
        await asyncio.gather(reading, return_exceptions=True)
    delays = sorted(1000 * (arrived[m] - sent[m]) for m in sent if m in arrived)
    accepts = sorted(1000 * (accepted[m] - sent[m]) for m in sent)
    return {
        "messages": len(sent),
        "received": len(delays),
        "medianMs": statistics.median(delays),
        "p99Ms": delays[min(len(delays) - 1, round(0.99 * len(delays)))],
        "maxMs": delays[-1],
        "acceptMedianMs": statistics.median(accepts),
    }


def latency(count: int) -> dict[str, Any]:
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for store in ("sqlite", "postgresql"):
            data_dir = workdir / store
            database_url = POSTGRES if store == "postgresql" else None
            if database_url:
                recreate_postgres_database(database_url)
            settings = Settings(
                data_dir=data_dir, secret_key=procs.SECRET, database_url=database_url, demo=False
            )
            fixture = asyncio.run(fixtures.create(settings, contacts=count + 20))
            extra = {"MSGBOXX_LOG_LEVEL": "WARNING"}
            if database_url:
                extra["MSGBOXX_DATABASE_URL"] = database_url
            servers = []
            bases = []
            try:
                # SQLite: one process. PostgreSQL: the stream on one API process, the
                # accept on another (each --no-dispatch: nothing is sent here).
                for n, args in enumerate(
                    [["serve"]] if store == "sqlite" else [["serve", "--no-dispatch"]] * 2
                ):
                    port = procs.free_port()
                    env = procs.environment(data_dir, MSGBOXX_PORT=str(port), **extra)
                    server = procs.start(f"serve-{n}", args, env, workdir / "logs" / store)
                    servers.append(server)
                    bases.append(f"http://127.0.0.1:{port}")
                    procs.wait_until_up(server, f"{bases[-1]}/readyz")
                results[store] = asyncio.run(_latencies(bases[0], bases[-1], fixture.token, count))
            finally:
                for server in servers:
                    server.stop()
            print(store, json.dumps(results[store]), flush=True)
    return results


def main() -> None:
    what = sys.argv[1] if len(sys.argv) > 1 else "latency"
    if what == "cost":
        seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 8
        repetitions = int(sys.argv[3]) if len(sys.argv) > 3 else 3
        print(json.dumps(cost(seconds, repetitions), indent=2))
    elif what == "latency":
        count = int(sys.argv[2]) if len(sys.argv) > 2 else 200
        print(json.dumps(latency(count), indent=2))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
