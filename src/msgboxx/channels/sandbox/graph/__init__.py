"""A Cloud API double: the subset of Meta's Graph API msgboxx uses, over real HTTP.

It accepts sends and template submissions exactly as Meta would, answers with
Meta's shapes (and Meta's error bodies when a fault asks for one), and reports
back through signed webhooks (``X-Hub-Signature-256``, HMAC-SHA256 with the app
secret) to the configured webhook URL: sent, delivered and read after delays,
template verdicts, inbound customer messages on request. Faults are set per
phone-number id or per recipient through ``/control/faults``: latency, error
codes, failed statuses, dropped, duplicated and out-of-order webhooks.

Run it with ``msgboxx sandbox serve`` and point ``MSGBOXX_GRAPH_BASE_URL`` at it.

The parts: :mod:`.state` (what the double knows), :mod:`.api` (Meta's routes),
:mod:`.control` (the controls), :mod:`.reports` (what it reports later),
:mod:`.payloads` (Meta's bodies) and :mod:`.app` (all of it as one app).
"""

from msgboxx.channels.sandbox.graph.app import create_graph_app
from msgboxx.channels.sandbox.graph.schemas import Fault
from msgboxx.channels.sandbox.graph.state import GraphConfig, GraphDouble, StoredTemplate

__all__ = ["Fault", "GraphConfig", "GraphDouble", "StoredTemplate", "create_graph_app"]
