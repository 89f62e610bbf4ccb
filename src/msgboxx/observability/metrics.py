"""Prometheus metrics of the process."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

REQUESTS = Counter(
    "msgboxx_http_requests_total", "HTTP requests answered", ["method", "route", "status"]
)
LATENCY = Histogram(
    "msgboxx_http_request_seconds",
    "Time to answer an HTTP request",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
MESSAGES_ACCEPTED = Counter("msgboxx_messages_accepted_total", "Outbound messages accepted")
MESSAGES_SENT = Counter("msgboxx_messages_sent_total", "Messages handed to a channel")
MESSAGES_FAILED = Counter("msgboxx_messages_failed_total", "Messages that ended Failed")
LIVE_VIEWERS = Gauge("msgboxx_live_viewers", "Live streams open in this process")
LIVE_NOTIFICATIONS = Counter(
    "msgboxx_live_notifications_total", "Notifications of live changes sent to other processes"
)
LIVE_CHANGES_SENT = Counter(
    "msgboxx_live_changes_sent_total", "Live changes sent to other processes (NOTIFY)"
)
LIVE_RESETS = Counter("msgboxx_live_resets_total", "Live streams told to fetch afresh", ["reason"])
LOOP_STALLS = Histogram(
    "msgboxx_event_loop_stall_seconds",
    "Turns of the event loop longer than MSGBOXX_STALL_REPORT_MS, as the stall watch saw them",
    buckets=(0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0),
)
