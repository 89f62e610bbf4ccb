"""The event loop's stalls during a run, as the server itself saw them.

``msgboxx serve`` watches its loop (``msgboxx.observability.stalls``): every
turn longer than ``MSGBOXX_STALL_REPORT_MS`` goes to a histogram on
``/metrics``, and at most one log line per ten seconds says where the loop was
held. A latency figure is kept with the stalls behind its tail.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx

from benchmarks.stack import Stack

_METRIC = "msgboxx_event_loop_stall_seconds"


@dataclass(frozen=True)
class Mark:
    stalls: float
    stalled_seconds: float
    log_offset: int


def mark(stack: Stack) -> Mark:
    count, total = _histogram(stack)
    return Mark(count, total, stack.server.log.stat().st_size)


def since(stack: Stack, start: Mark) -> dict[str, Any]:
    """Stalls since ``start``: how many, their total, and the log lines that say where."""
    count, total = _histogram(stack)
    lines = []
    with stack.server.log.open("rb") as log:
        log.seek(start.log_offset)
        for raw in log:
            if b"event loop stalled" not in raw and b"garbage collection paused" not in raw:
                continue
            try:
                line = json.loads(raw)
            except ValueError:
                continue
            lines.append(
                {
                    "message": line.get("message"),
                    "ms": line.get("stalled_ms", line.get("paused_ms")),
                    "garbageCollecting": line.get("garbage_collecting"),
                    "where": _innermost(line.get("where", "")),
                }
            )
    return {
        "stalls": int(count - start.stalls),
        "stalledSeconds": round(total - start.stalled_seconds, 3),
        "lines": lines,
    }


def _histogram(stack: Stack) -> tuple[float, float]:
    text = httpx.get(f"{stack.base}/metrics", timeout=10).text
    count = total = 0.0
    for row in text.splitlines():
        if row.startswith(f"{_METRIC}_count"):
            count = float(row.split()[-1])
        elif row.startswith(f"{_METRIC}_sum"):
            total = float(row.split()[-1])
    return count, total


def _innermost(where: str) -> str:
    """The deepest frame of msgboxx's own code in a stack, and the deepest frame of all."""
    frames = [row.strip() for row in where.splitlines() if row.strip().startswith("File ")]
    ours = [frame for frame in frames if "/msgboxx/" in frame]
    chosen = [(ours or [""])[-1], (frames or [""])[-1]]
    return " ... ".join(
        frame.split("/site-packages/", 1)[-1].split("/src/", 1)[-1][:160] for frame in chosen
    )
