"""An in-process network that accepts sends and reports back like WhatsApp.

After a send it reports Sent, Delivered and Read after configurable delays;
a submitted template is approved, unless it breaks one of WhatsApp's own review
rules that we can check locally (a body that starts or ends with a placeholder).
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
import uuid
from collections.abc import Awaitable
from pathlib import Path

from msgboxx.channels.base import (
    ChannelEvent,
    OutboundMessage,
    Reporter,
    StatusReport,
    TemplateSubmission,
    TemplateVerdict,
)
from msgboxx.db import utcnow
from msgboxx.messages.status import MessageStatus
from msgboxx.templates import placeholders
from msgboxx.templates.models import TemplateStatus

log = logging.getLogger(__name__)

__all__ = ["Reporter", "SandboxChannel"]


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
        self._tasks: set[asyncio.Task[None]] = set()

    async def send(self, message: OutboundMessage) -> str:
        if self._send_latency:
            await asyncio.sleep(self._send_latency)  # the network's round trip
        provider_id = f"wamid.sandbox.{uuid.uuid4().hex}"
        if self._hand_off_log is not None:
            # The network's own record of what it accepted, kept by every process
            # that sends; one short O_APPEND write per line keeps lines whole.
            line = f"{message.message_id} {provider_id} {os.getpid()} {time.time():.6f}\n"
            fd = os.open(self._hand_off_log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, line.encode())
            finally:
                os.close(fd)
        self._later(self._report_statuses(provider_id))
        return provider_id

    async def submit_template(self, template: TemplateSubmission) -> str:
        verdict = TemplateVerdict(template.template_id, TemplateStatus.approved)
        if placeholders.at_either_end(template.text):
            verdict = TemplateVerdict(
                template.template_id,
                TemplateStatus.rejected,
                "INVALID_FORMAT: the body may not start or end with a placeholder",
            )
        self._later(self._deliver([verdict], delay=self._delays[0][1]))
        return f"sandbox-template-{template.template_id.hex[:12]}"

    async def _report_statuses(self, provider_id: str) -> None:
        elapsed = 0.0
        for status, delay in self._delays:
            await asyncio.sleep(max(0.0, delay - elapsed))
            elapsed = max(elapsed, delay)
            await self._report([StatusReport(provider_id, status, utcnow())])

    async def _deliver(self, events: list[ChannelEvent], *, delay: float) -> None:
        await asyncio.sleep(delay)
        await self._report(events)

    def _later(self, work: Awaitable[None]) -> None:
        async def guarded() -> None:
            try:
                await work
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("sandbox report failed")

        task = asyncio.get_running_loop().create_task(guarded())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
