"""Retry delays: exponential with equal jitter (between half the ceiling and all of it),
so retries of a burst spread out while each still waits at least half its step.
"""

from __future__ import annotations

import random


def delay(attempt: int, *, base: float, cap: float, floor: float | None = None) -> float:
    """Seconds before retry number ``attempt`` (1-based); never below ``floor``."""
    ceiling = min(cap, base * 2 ** max(0, attempt - 1))
    wait = random.uniform(ceiling / 2, ceiling)
    return max(wait, floor or 0.0)
