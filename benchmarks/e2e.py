"""End to end: messages per second that reach Read through the Cloud API double.

Each message is accepted by ``POST /message``, sent by the dispatcher to the
Graph API double (``msgboxx sandbox serve``, a separate process) and reported
back by three signed status webhooks (sent, delivered, read). Phase one
saturates the accept path with wrk and counts what reaches Read per second
after a warm-up; phase two offers half that rate open-loop and reports the
lag from accept to Sent, which at saturation would only measure the queue.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from benchmarks import fixtures, loadgen
from benchmarks.config import Config
from benchmarks.stack import Stack, running
from msgboxx.db import Database, utcnow
from msgboxx.messages.models import Message


async def _counts(stack: Stack, start: datetime, end: datetime) -> dict[str, Any]:
    db = Database(stack.settings)
    try:
        async with db.session(write=False) as session:
            read = await session.scalar(
                select(func.count()).where(Message.read_at >= start, Message.read_at < end)
            )
            accepted = await session.scalar(
                select(func.count()).where(Message.created_at >= start, Message.created_at < end)
            )
            pending = await session.scalar(select(func.count()).where(Message.status == "Pending"))
            lags = [
                (sent - created).total_seconds()
                for created, sent in await session.execute(
                    select(Message.created_at, Message.sent_at).where(
                        Message.created_at >= start,
                        Message.created_at < end,
                        Message.sent_at.is_not(None),
                    )
                )
            ]
    finally:
        await db.dispose()
    lags.sort()
    return {"read": read or 0, "accepted": accepted or 0, "pending": pending or 0, "lags": lags}


def _lag(lags: list[float], fraction: float) -> float | None:
    if not lags:
        return None
    return round(lags[min(len(lags) - 1, int(fraction * len(lags)))] * 1000, 1)


def _drain(stack: Stack, *, timeout: float) -> None:
    """Wait for the backlog of phase one to leave, so phase two starts from an empty queue."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = utcnow()
        if asyncio.run(_counts(stack, now, now))["pending"] == 0:
            break
        time.sleep(1)
    time.sleep(3)


def _one(config: Config, workdir: Path, *, postgres: bool) -> dict[str, Any]:
    with running(
        workdir,
        database_url=config.postgres_url if postgres else None,
        separate_worker=postgres,
        graph_double=True,
    ) as stack:
        fixture = stack.fixture
        bodies = fixtures.write_message_bodies(
            workdir / "bodies.jsonl", account=fixture.cloud_account, contacts=fixture.cloud_contacts
        )
        env = {"BENCH_TOKEN": fixture.token, "BENCH_BODIES": str(bodies)}
        warmup = min(10.0, config.e2e_seconds / 4)
        began = utcnow()
        wrk = loadgen.wrk(
            stack.base,
            "post_message.lua",
            seconds=config.e2e_seconds,
            connections=config.connections,
            env=env,
        )
        ended = utcnow()
        window_start = began + timedelta(seconds=warmup)
        saturated = asyncio.run(_counts(stack, window_start, ended))
        seconds = (ended - window_start).total_seconds()
        read_rate = saturated["read"] / seconds
        print(f"  e2e {'postgres' if postgres else 'sqlite'}: {read_rate:.0f} read/s", flush=True)
        _drain(stack, timeout=60)
        # Phase two: half the rate that reached Read, open loop, for the accept-to-Sent lag.
        rate = max(5.0, round(read_rate / 2, 1))
        half_start = utcnow()
        offered = loadgen.open_loop(
            url=stack.base,
            rate=rate,
            seconds=max(10.0, config.e2e_seconds / 2),
            token=fixture.token,
            bodies=bodies,
        )
        time.sleep(3)
        steady = asyncio.run(_counts(stack, half_start, utcnow()))
        cpu = {name: round(p.cpu_seconds(), 1) for name, p in stack.processes.items()}
    return {
        "readPerSecond": round(read_rate, 1),
        "acceptedPerSecond": round(saturated["accepted"] / seconds, 1),
        "pendingAtEnd": saturated["pending"],
        "windowSeconds": round(seconds, 1),
        "wrk": wrk,
        "saturatedLagMs": {
            "p50": _lag(saturated["lags"], 0.5),
            "p99": _lag(saturated["lags"], 0.99),
        },
        "halfRate": {
            "offeredRps": rate,
            "client": offered,
            "lagToSentMs": {"p50": _lag(steady["lags"], 0.5), "p99": _lag(steady["lags"], 0.99)},
        },
        "cpuSecondsByProcess": cpu,
    }


def measure(config: Config, workdir: Path) -> dict[str, Any]:
    results: dict[str, Any] = {"sqlite": _one(config, workdir / "sqlite", postgres=False)}
    if config.postgres_url:
        try:
            results["postgres"] = _one(config, workdir / "postgres", postgres=True)
        except Exception as exc:  # no PostgreSQL here: say so, keep the other figures
            results["postgres"] = {"error": f"{type(exc).__name__}: {exc}"[:500]}
    return results
