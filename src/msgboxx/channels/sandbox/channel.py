"""An in-process network that accepts sends and reports back like WhatsApp.

After a send it reports Sent, Delivered and Read after configurable delays;
a submitted template is approved, unless it breaks one of WhatsApp's own review
rules that we can check locally (a body that starts or ends with a placeholder).

Its timers live in the process, but the network it stands for does not stop
when we do: a process that starts again is handed the messages still owed a
report (:meth:`SandboxChannel.resume`) and reports them as Meta would after an
outage, each stamped with the time it happened.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path

from msgboxx.channels.base import (
    ChannelEvent,
    OutboundMedia,
    OutboundMessage,
    Reporter,
    StatusReport,
    TemplateSubmission,
    TemplateVerdict,
)
from msgboxx.db import utcnow
from msgboxx.messages.status import RANK, MessageStatus
from msgboxx.templates import placeholders
from msgboxx.templates.status import TemplateStatus

log = logging.getLogger(__name__)
REPORT_BATCH_WINDOW = 0.02  # seconds of reports gathered into one delivery
# Reports in one delivery at most (Meta's 1,000 statuses per webhook): after an
# outage every resumed report is due at once.
REPORT_BATCH_LIMIT = 1000
# The prefix of the ids this network gives the messages it accepts.
PROVIDER_PREFIX = "wamid.sandbox."

__all__ = ["Reporter", "SandboxChannel"]


def _status_now(provider_id: str, status: MessageStatus) -> ChannelEvent:
    return StatusReport(provider_id, status, utcnow())


async def _take(media: OutboundMedia) -> None:
    """Media is taken as the network would: only if its bytes are there to upload."""
    stream = await media.open_to_send()
    await stream.aclose()


class SandboxChannel:
    def __init__(
        self,
        *,
        report: Reporter,
        sent_delay: float,
        delivered_delay: float,
        read_delay: float,
        send_latency: float = 0.0,
        hand_off_log: Path | None = None,
    ) -> None:
        self._report = report
        self._send_latency = send_latency
        self._hand_off_log = hand_off_log
        self._delays = (
            (MessageStatus.sent, sent_delay),
            (MessageStatus.delivered, delivered_delay),
            (MessageStatus.read, read_delay),
        )
        self._outbox: list[ChannelEvent] = []
        self._flusher: asyncio.Task[None] | None = None
        self._closed = False

    async def send(self, message: OutboundMessage) -> str:
        if self._send_latency:
            await asyncio.sleep(self._send_latency)  # the network's round trip
        if message.media is not None:
            await _take(message.media)
        provider_id = f"{PROVIDER_PREFIX}{uuid.uuid4().hex}"
        if self._hand_off_log is not None:
            # The network's own record of what it accepted, kept by every process
            # that sends; one short O_APPEND write per line keeps lines whole.
            line = f"{message.message_id} {provider_id} {os.getpid()} {time.time():.6f}\n"
            fd = os.open(self._hand_off_log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, line.encode())
            finally:
                os.close(fd)
        for status, delay in self._delays:
            self._later(delay, partial(_status_now, provider_id, status))
        return provider_id

    def resume(self, provider_id: str, *, status: MessageStatus, handed_off_at: datetime) -> None:
        """Report what is still due for a message handed off before this process started.

        Each report comes at hand-off time plus its delay (at once if that has
        passed) and says it happened then. A report another process also makes
        changes nothing the second time (statuses only move forward).
        """
        now = utcnow()
        for step, delay in self._delays:
            if RANK[step] <= RANK.get(status, 0):
                continue
            at = handed_off_at + timedelta(seconds=delay)
            wait = max(0.0, (at - now).total_seconds())
            self._later(wait, partial(StatusReport, provider_id, step, at))

    async def submit_template(self, template: TemplateSubmission) -> str:
        verdict = TemplateVerdict(template.template_id, TemplateStatus.approved)
        if placeholders.at_either_end(template.text):
            verdict = TemplateVerdict(
                template.template_id,
                TemplateStatus.rejected,
                "INVALID_FORMAT: the body may not start or end with a placeholder",
            )
        self._later(self._delays[0][1], lambda: verdict)
        return f"sandbox-template-{template.template_id.hex[:12]}"

    def _later(self, delay: float, make: Callable[[], ChannelEvent]) -> None:
        """Report an event after ``delay`` seconds, stamped with the time it happens."""
        asyncio.get_running_loop().call_later(delay, self._queue, make)

    def _queue(self, make: Callable[[], ChannelEvent]) -> None:
        if self._closed:
            return
        self._outbox.append(make())
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.get_running_loop().create_task(self._flush())

    async def _flush(self) -> None:
        """Deliver what arrived in the last few milliseconds as one batch, as Meta does."""
        while self._outbox and not self._closed:
            await asyncio.sleep(REPORT_BATCH_WINDOW)
            events = self._outbox[:REPORT_BATCH_LIMIT]
            self._outbox = self._outbox[REPORT_BATCH_LIMIT:]
            try:
                await self._report(events)
            except Exception:
                log.exception("sandbox report failed", extra={"events": len(events)})

    async def close(self) -> None:
        self._closed = True
        if self._flusher is not None:
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher
