"""Tuning of the Python runtime for a long-running server process."""

from __future__ import annotations

import gc


def settle_garbage_collector() -> None:
    """Keep the cyclic garbage collector off the objects that live as long as the process.

    A serving process holds a large, permanent heap (the framework, the ORM's
    mappers, compiled queries) and allocates many short-lived objects per
    request. With the default thresholds the collector walked that whole heap
    every few dozen requests: profiles of ``POST /message`` put 18% of the
    process's time in it. Freezing the heap built at start-up takes it out of
    every collection, and a larger first threshold collects the young objects
    less often (most die by reference counting anyway).
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)
