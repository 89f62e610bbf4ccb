"""Claiming due work with a lease, so that a dead process's claims expire.

A claim sets ``lease_until`` and ``lease_owner`` on due rows. On PostgreSQL the
select uses ``FOR UPDATE SKIP LOCKED`` so that concurrent dispatchers take
disjoint rows without waiting on each other, and each number's pacing row is
locked for the length of the claim so that its rate is shared by all of them;
SQLite has one writer at a time, which gives the same exclusivity.

What a claim takes, in order: per number, no more than its throughput allows;
per contact, only the oldest message still queued (so messages leave in the
order they were accepted) and only within the pair rate; replies before
broadcasts.
"""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from msgboxx.db.tx import Tx
from msgboxx.dispatch import store
from msgboxx.messages import service as messages


@dataclass(frozen=True, slots=True)
class Pacing:
    """The limits a claim respects, from settings."""

    number_rate: float
    number_burst: timedelta
    pair_interval: timedelta
    pair_burst: int

    @property
    def pair_tolerance(self) -> timedelta:
        return self.pair_interval * (self.pair_burst - 1)


@dataclass(frozen=True, slots=True)
class Claim:
    message_ids: list[uuid.UUID]
    # When a number with due messages is at its rate: seconds until it may send again.
    retry_in: float | None = None
    # When the claim left room: the time the next message not yet due becomes due
    # (a scheduled one, or a retry), so the dispatcher wakes for it on time.
    next_due_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class NumberSlots:
    """What a number's pacing clock allows at one moment.

    The clock is a GCRA "theoretical arrival time" (``tat``): a number at rest
    may send ``number_burst`` seconds' worth of its rate at once, and every
    message sent moves the clock on by one interval of the rate.
    """

    # The number's clock, never behind now (a number at rest has saved no more than its burst).
    tat: datetime
    # How many messages the number may send now.
    capacity: int
    # When it may send none: seconds until its next slot.
    retry_in: float | None = None


def number_slots(tat: datetime, *, now: datetime, pacing: Pacing) -> NumberSlots:
    """How many messages a number whose clock reads ``tat`` may send at ``now``."""
    tat = max(tat, now)
    # A burst holds at least one message, or a rate slower than one per burst
    # (2/s with the default 0.25 s) would never send at all; rounded up to whole
    # microseconds, as timedelta keeps them, so that one interval is one message.
    one = timedelta(microseconds=math.ceil(1_000_000 / pacing.number_rate))
    burst = max(pacing.number_burst, one)
    capacity = int((now + burst - tat).total_seconds() * pacing.number_rate)
    if capacity > 0:
        return NumberSlots(tat, capacity)
    wait = (tat - burst - now).total_seconds() + 1 / pacing.number_rate
    return NumberSlots(tat, capacity, retry_in=wait)


def tat_after(tat: datetime, taken: int, *, pacing: Pacing) -> datetime:
    """The number's clock once it has sent ``taken`` more messages: one interval each."""
    return tat + timedelta(seconds=taken / pacing.number_rate)


# Replies to customers (text, then media) go before template broadcasts on the same number.
LANES = ("text", messages.MEDIA_LANE, "template")


async def claim_messages(
    tx: Tx,
    *,
    owner: str,
    now: datetime,
    lease: timedelta,
    limit: int,
    pacing: Pacing,
) -> Claim:
    """Lease due messages, number by number, within each number's and customer's rate."""
    accounts = await messages.numbers_with_due(tx, now=now)
    random.shuffle(accounts)  # no number waits behind another's backlog
    claimed: list[uuid.UUID] = []
    retry_in: float | None = None
    for account_id in accounts:
        if len(claimed) >= limit:
            break
        tat = await store.locked_number_tat(tx, number=account_id, now=now)
        slots = number_slots(tat, now=now, pacing=pacing)
        capacity = slots.capacity
        if slots.retry_in is not None:
            retry_in = slots.retry_in if retry_in is None else min(retry_in, slots.retry_in)
            continue
        rows: list[messages.Due] = []
        for lane in LANES:  # replies take the number's slots before broadcasts do
            wanted = min(capacity, limit - len(claimed)) - len(rows)
            if wanted <= 0:
                break
            rows += await messages.first_due(
                tx,
                account_id=account_id,
                lane=lane,
                now=now,
                pair_deadline=now + pacing.pair_tolerance,
                limit=wanted,
            )
        if not rows:
            continue
        ids = [message_id for message_id, _contact_id, _tat in rows]
        await messages.lease(tx, ids=ids, until=now + lease, owner=owner)
        await store.move_number_tat(
            tx, number=account_id, to=tat_after(slots.tat, len(ids), pacing=pacing)
        )
        await _advance_recipients(tx, rows, now=now, interval=pacing.pair_interval)
        claimed.extend(ids)
    # A full claim sends the dispatcher into its next round at once: no need to look.
    next_due = None if len(claimed) >= limit else await messages.next_due_at(tx, now=now)
    return Claim(claimed, retry_in, next_due)


async def _advance_recipients(
    tx: Tx, rows: Sequence[messages.Due], *, now: datetime, interval: timedelta
) -> None:
    """Move each claimed contact's pair-rate clock on by one interval, in one statement."""
    if not interval:
        return
    await store.set_recipient_tats(
        tx,
        {
            contact_id: max(tat or now, now) + interval
            for _message_id, contact_id, tat in rows
            if contact_id is not None
        },
    )


async def take_back(tx: Tx, *, owner: str) -> int:
    """Free the claims an earlier holder of ``owner`` left behind, so they are due at once.

    Only for an owner name this process holds exclusively (``dispatch.identity``),
    before its first claim: every lease under the name is then a dead process's.
    """
    return await messages.free_leases(tx, owner=owner)
