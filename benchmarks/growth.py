"""Growth: list and lookup times with 10k, 1M (and, by flag, 10M) messages in the store.

The store is seeded the way history grows: a constant 10,000 messages a day
and about 100 messages per contact, so a fixed query (one contact's history,
one day) matches about as many rows at every size. What must not grow is the
cost of finding them: time at the largest size over time at the smallest.
"""

from __future__ import annotations

import asyncio
import sqlite3
import statistics
import time
import uuid
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from benchmarks import fixtures, procs
from benchmarks.config import Config
from msgboxx.messages.service import conversation_id
from msgboxx.settings import Settings

PER_DAY = 10_000
PER_CONTACT = 100
STAMP = "%Y-%m-%d %H:%M:%S.%f"


def seed(db_path: Path, *, account_id: str, inbox_id: str, messages: int) -> dict[str, Any]:
    """Bulk-insert ``messages`` (and their contacts) with plain executemany, in one go."""
    started = time.perf_counter()
    connection = sqlite3.connect(db_path)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=OFF")
    account, inbox = uuid.UUID(account_id), uuid.UUID(inbox_id)
    contacts = max(1, messages // PER_CONTACT)
    now = datetime.now(UTC).replace(tzinfo=None)
    span = timedelta(days=messages / PER_DAY)
    contact_ids = [uuid.uuid4() for _ in range(contacts)]
    conversations = [conversation_id(inbox, c).hex for c in contact_ids]
    created = (now - span).strftime(STAMP)
    connection.executemany(
        "INSERT INTO contacts (id, account_id, mobile_number, name, status, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, 'Subscribed', ?, ?)",
        (
            (c.hex, account.hex, f"+4478{i:08d}", f"Customer {i}", created, created)
            for i, c in enumerate(contact_ids)
        ),
    )
    step = span / messages
    origin = now - span
    chunk = 200_000
    for first in range(0, messages, chunk):
        rows = []
        for i in range(first, min(messages, first + chunk)):
            j = i % contacts
            at = (origin + step * i).strftime(STAMP)
            rows.append(
                (uuid.uuid4().hex, account.hex, inbox.hex, contact_ids[j].hex, conversations[j], at)
            )
        connection.executemany(
            "INSERT INTO messages (id, account_id, inbox_id, contact_id, conversation_id,"
            " direction, kind, text, status, created_at, attempts)"
            " VALUES (?, ?, ?, ?, ?, 'Outbound', 'text', 'Seeded message', 'Read', ?, 1)",
            rows,
        )
        connection.commit()
    connection.execute("ANALYZE")
    connection.commit()
    connection.close()
    middle = contacts // 2
    return {
        "seedSeconds": round(time.perf_counter() - started, 1),
        "contactId": str(contact_ids[middle]),
        "conversationId": str(uuid.UUID(conversations[middle])),
        "mobileNumber": f"4478{middle:08d}",
        "day": (now - span / 2).date().isoformat(),
    }


def _query(client: httpx.Client, path: str) -> tuple[float, int]:
    began = time.perf_counter()
    reply = client.get(path)
    took = time.perf_counter() - began
    reply.raise_for_status()
    return took, int(reply.json()["paging"]["recordCount"])


def _summary(times: list[float], record_count: int) -> dict[str, Any]:
    times = sorted(times)
    return {
        "medianMs": round(statistics.median(times) * 1000, 2),
        "p90Ms": round(times[int(0.9 * (len(times) - 1))] * 1000, 2),
        "recordCount": record_count,
    }


@dataclass
class _Store:
    """One seeded store and its server, idle whenever another store is asked."""

    messages: int
    seeded: dict[str, Any]
    client: httpx.Client

    def queries(self) -> dict[str, str]:
        seeded, old = self.seeded, "2000-01-01"
        return {
            "byContact": f"/message?contactId={seeded['contactId']}&fromDate={old}",
            "byConversation": f"/message?conversationId={seeded['conversationId']}&fromDate={old}",
            "byDateRange": f"/message?fromDate={seeded['day']}&toDate={seeded['day']}",
            "contactByMobileNumber": f"/contact?mobileNumber={seeded['mobileNumber']}",
        }


def _open_store(workdir: Path, messages: int, stack: ExitStack) -> _Store:
    data_dir = workdir / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    settings = Settings(data_dir=data_dir, secret_key=procs.SECRET, demo=False)
    fixture = asyncio.run(fixtures.create(settings, contacts=1))
    inbox = _inbox_of(data_dir / "msgboxx.db", fixture.sandbox_account)
    seeded = seed(
        data_dir / "msgboxx.db",
        account_id=fixture.sandbox_account,
        inbox_id=inbox,
        messages=messages,
    )
    print(f"  growth {messages:,}: seeded in {seeded['seedSeconds']:.0f} s", flush=True)
    port = procs.free_port()
    env = procs.environment(data_dir, MSGBOXX_PORT=str(port), MSGBOXX_DISPATCH="false")
    server = procs.start("serve", ["serve"], env, workdir / "logs")
    stack.callback(server.stop)
    base = f"http://127.0.0.1:{port}"
    procs.wait_until_up(server, f"{base}/readyz")
    headers = {"Authorization": f"Bearer {fixture.token}"}
    client = stack.enter_context(httpx.Client(base_url=base, headers=headers, timeout=60))
    return _Store(messages, seeded, client)


def _measure_interleaved(stores: list[_Store], samples: int) -> dict[int, dict[str, Any]]:
    """Each query asked of every store in turn, sample after sample.

    The host's speed drifts within minutes, and the sizes are seeded minutes
    apart (10M takes ten or more): timed one size after another, a drift would
    pass for growth. Asked in turn, every size meets it alike.
    """
    timings: dict[int, dict[str, Any]] = {store.messages: {} for store in stores}
    for name in stores[0].queries():
        times: dict[int, list[float]] = {store.messages: [] for store in stores}
        counts: dict[int, int] = {}
        for store in stores:  # warm-ups
            for _ in range(3):
                _query(store.client, store.queries()[name])
        for _ in range(samples):
            for store in stores:
                took, counts[store.messages] = _query(store.client, store.queries()[name])
                times[store.messages].append(took)
        for store in stores:
            timings[store.messages][name] = _summary(times[store.messages], counts[store.messages])
    return timings


def _inbox_of(db_path: Path, account_id: str) -> str:
    with sqlite3.connect(db_path) as connection:
        row = connection.execute(
            "SELECT id FROM inboxes WHERE account_id = ?", (uuid.UUID(account_id).hex,)
        ).fetchone()
    return str(uuid.UUID(row[0]))


def measure(config: Config, workdir: Path) -> dict[str, Any]:
    sizes = sorted(config.growth_sizes)
    with ExitStack() as stack:
        stores = [_open_store(workdir / str(n), n, stack) for n in sizes]
        timings = _measure_interleaved(stores, config.growth_samples)
    results = []
    for store in stores:
        queries = timings[store.messages]
        medians = {name: item["medianMs"] for name, item in queries.items()}
        print(f"  growth {store.messages:,}: {medians}", flush=True)
        results.append(
            {
                "messages": store.messages,
                "seedSeconds": store.seeded["seedSeconds"],
                "queries": queries,
            }
        )
    smallest, largest = results[0], results[-1]
    ratios = {
        name: round(largest["queries"][name]["medianMs"] / smallest["queries"][name]["medianMs"], 2)
        for name in smallest["queries"]
    }
    return {
        "sizes": results,
        "ratioLargestToSmallest": ratios,
        "largest": largest["messages"],
        "interleaved": True,
    }
