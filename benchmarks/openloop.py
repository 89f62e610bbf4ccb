"""An open-loop load generator: requests leave on a fixed schedule, whatever the answers do.

wrk2 (constant throughput) is not packaged by Debian, so this stands in for it.
Latency is measured from the moment a request was *due*, not from when a
connection was free to send it, so a slow server cannot hide its queue
(no coordinated omission). It runs in its own process on uvloop with raw
HTTP/1.1 keep-alive connections, costing little CPU at the rates measured.

    python -m benchmarks.openloop --url http://127.0.0.1:8000 --rate 200 --seconds 30 \
        --token T --bodies bodies.jsonl
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import time
from pathlib import Path
from urllib.parse import urlsplit

import uvloop


def _request(host: str, token: str, body: bytes) -> bytes:
    head = (
        f"POST /message HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    await reader.readexactly(length)
    return status


def _percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    index = min(len(values) - 1, max(0, round(fraction * len(values)) - 1))
    return values[index]


async def run(
    *, url: str, rate: float, seconds: float, token: str, bodies: list[bytes], connections: int
) -> dict[str, float | int]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    requests = [_request(f"{host}:{port}", token, b) for b in bodies]
    due: asyncio.Queue[float | None] = asyncio.Queue()
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors = 0
    # One sequence for all connections: each body (each contact) in turn, as a
    # business messaging many customers would, not the first few on every connection.
    sequence = itertools.count()

    async def connection() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection(host, port)
        while (scheduled := await due.get()) is not None:
            try:
                writer.write(requests[next(sequence) % len(requests)])
                status = await _read_response(reader)
            except (OSError, asyncio.IncompleteReadError, ValueError):
                errors += 1
                writer.close()
                try:
                    reader, writer = await asyncio.open_connection(host, port)
                except OSError:
                    await asyncio.sleep(0.1)  # the next due request finds out again
                continue
            latencies.append(time.perf_counter() - scheduled)
            statuses[status] = statuses.get(status, 0) + 1
        writer.close()

    workers = [asyncio.create_task(connection()) for _ in range(connections)]
    await asyncio.sleep(0.2)  # let the connections open before the clock starts
    total = int(rate * seconds)
    start = time.perf_counter()
    for k in range(total):
        at = start + k / rate
        delay = at - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        due.put_nowait(at)
    sending_done = time.perf_counter()
    for _ in workers:
        due.put_nowait(None)
    await asyncio.gather(*workers)
    finished = time.perf_counter()
    latencies.sort()
    ok = sum(n for s, n in statuses.items() if 200 <= s < 300)
    return {
        "offeredRps": rate,
        "requests": total,
        "ok": ok,
        "non2xx": sum(statuses.values()) - ok,
        "socketErrors": errors,
        "achievedRps": round(len(latencies) / (finished - start), 2),
        "scheduleLagS": round(sending_done - (start + total / rate), 3),
        "p50Ms": round(_percentile(latencies, 0.50) * 1000, 2),
        "p99Ms": round(_percentile(latencies, 0.99) * 1000, 2),
        "p999Ms": round(_percentile(latencies, 0.999) * 1000, 2),
        "maxMs": round(latencies[-1] * 1000, 2) if latencies else float("nan"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--rate", type=float, required=True)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--bodies", type=Path, required=True)
    parser.add_argument("--connections", type=int, default=64)
    args = parser.parse_args()
    bodies = [line.encode() for line in args.bodies.read_text().splitlines() if line]
    result = uvloop.run(
        run(
            url=args.url,
            rate=args.rate,
            seconds=args.seconds,
            token=args.token,
            bodies=bodies,
            connections=args.connections,
        )
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
