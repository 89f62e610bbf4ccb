"""Meta's WhatsApp Cloud API (the Graph API): sends, templates and webhooks."""

from msgboxx.channels.cloud_api.channel import CloudApiChannel
from msgboxx.channels.cloud_api.credentials import CHANNEL, CloudApiCredentials

__all__ = ["CHANNEL", "CloudApiChannel", "CloudApiCredentials"]
