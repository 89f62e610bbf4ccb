"""A webhook receiver for benchmarks: answers 204 to every POST and counts, nothing else.

    python -m benchmarks.receiver --port PORT

A bare ASGI callable on uvicorn (httptools, uvloop), so that what it costs is
the least any receiver costs and the figures measure the sender. It checks no
signature. Per path (one per subscription) it counts deliveries; it keeps how
many arrived in each wall-clock second, and a histogram of the lag from the
event's own ``timestamp`` (when the change happened, in the body) to arrival,
in whole milliseconds. ``GET /stats`` answers all of it with its own CPU seconds.
"""

from __future__ import annotations

import argparse
import resource
import time
from collections import Counter
from datetime import datetime
from typing import Any

import orjson
import uvicorn

_STAMP = b'"timestamp":"'


class Counts:
    def __init__(self) -> None:
        self.by_path: Counter[str] = Counter()
        self.by_second: Counter[int] = Counter()
        self.lag_ms: Counter[int] = Counter()
        self.unstamped = 0

    def add(self, path: str, body: bytes) -> None:
        now = time.time()
        self.by_path[path] += 1
        self.by_second[int(now)] += 1
        at = body.find(_STAMP)
        if at < 0:
            self.unstamped += 1
            return
        start = at + len(_STAMP)
        stamp = datetime.fromisoformat(body[start : body.index(b'"', start)].decode())
        self.lag_ms[max(0, int((now - stamp.timestamp()) * 1000))] += 1

    def stats(self) -> bytes:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return orjson.dumps(
            {
                "count": sum(self.by_path.values()),
                "byPath": dict(self.by_path),
                "bySecond": {str(k): v for k, v in self.by_second.items()},
                "lagMs": {str(k): v for k, v in self.lag_ms.items()},
                "unstamped": self.unstamped,
                "cpuSeconds": usage.ru_utime + usage.ru_stime,
            }
        )


COUNTS = Counts()


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    if scope["method"] == "GET":
        body = COUNTS.stats()
        headers = [(b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        return
    COUNTS.add(scope["path"], b"".join(chunks))
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=args.port,
        loop="uvloop",
        http="httptools",
        lifespan="off",
        access_log=False,
        log_level="warning",
    )


if __name__ == "__main__":
    main()
