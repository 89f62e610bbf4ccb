"""What the double reports later: a sent message's statuses and a template's verdict."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from msgboxx.channels.cloud_api import errors
from msgboxx.channels.sandbox.graph import payloads
from msgboxx.channels.sandbox.graph.schemas import Fault
from msgboxx.channels.sandbox.graph.state import GraphConfig, GraphDouble, StoredTemplate
from msgboxx.templates import placeholders

# (seconds after the send, the status Meta reports then)
Steps = list[tuple[float, dict[str, Any]]]


def report_statuses(
    double: GraphDouble, phone_number_id: str, to: str, wamid: str, fault: Fault | None
) -> None:
    """Schedule the statuses of a message just accepted."""
    waba = double.waba_of(phone_number_id)
    steps = status_steps(double.config, to, wamid, fault)
    if fault is None:
        for delay, status in steps:
            double.report_later(delay, waba=waba, phone_number_id=phone_number_id, status=status)
    else:  # a faulted message's reports go alone, so the fault touches only them
        double.later(_report_alone(double, waba, phone_number_id, steps, fault))


def status_steps(config: GraphConfig, to: str, wamid: str, fault: Fault | None) -> Steps:
    """Sent, delivered and read after their delays; or sent then failed when asked.

    Each status is stamped with the time it happens (accepted + its delay, in
    Meta's whole seconds), as the in-process sandbox stamps its reports; one
    stamp for all three made a message Sent, Delivered and Read in one instant.
    Out of order, a status keeps its own time: only its delivery moves.
    """
    recipient = to.lstrip("+")
    steps: Steps = []
    accepted = time.time()
    base = {"id": wamid, "recipient_id": recipient}

    def at(delay: float) -> dict[str, str]:
        return {"timestamp": str(int(accepted + delay))}

    if fault is not None and fault.failCode is not None:
        kind = errors.classify(fault.failCode, http_status=400)
        failed = {
            **base,
            **at(config.delivered_delay),
            "status": "failed",
            "errors": [
                {
                    "code": fault.failCode,
                    "title": kind.meaning,
                    "message": kind.meaning,
                    "error_data": {"details": kind.meaning},
                }
            ],
        }
        sent = {**base, **at(config.sent_delay), "status": "sent"}
        steps = [(config.sent_delay, sent), (config.delivered_delay, failed)]
    else:
        steps = [
            (delay, {**base, **at(delay), "status": status})
            for status, delay in (
                ("sent", config.sent_delay),
                ("delivered", config.delivered_delay),
                ("read", config.read_delay),
            )
        ]
    if fault is not None and fault.outOfOrder:
        steps = [
            (delay, status) for (delay, _), (_, status) in zip(steps, reversed(steps), strict=True)
        ]
    return steps


async def _report_alone(
    double: GraphDouble, waba: str, phone_number_id: str, steps: Steps, fault: Fault
) -> None:
    elapsed = 0.0
    for delay, status in steps:
        await asyncio.sleep(max(0.0, delay - elapsed))
        elapsed = max(elapsed, delay)
        await double.deliver(payloads.statuses(waba, phone_number_id, [status]), fault=fault)


async def review(double: GraphDouble, template: StoredTemplate) -> None:
    """Approve, unless the body breaks a review rule we can check (error 2388299)."""
    await asyncio.sleep(double.config.template_delay)
    if placeholders.at_either_end(template.text):
        template.status, reason = "REJECTED", "INVALID_FORMAT"
    else:
        template.status, reason = "APPROVED", None
    await double.deliver(template.change(template.status, reason))
