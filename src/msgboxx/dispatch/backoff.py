"""Retry delays: exponential with full jitter, so retries of a burst spread out."""

from __future__ import annotations

import random


def delay(attempt: int, *, base: float, cap: float, floor: float | None = None) -> float:
    """Seconds before retry number ``attempt`` (1-based); never below ``floor``."""
    ceiling = min(cap, base * 2 ** max(0, attempt - 1))
    wait = random.uniform(ceiling / 2, ceiling)
    return max(wait, floor or 0.0)
