"""Which channel serves an account."""

from __future__ import annotations

from msgboxx.channels.base import Channel
from msgboxx.channels.sandbox.channel import Reporter, SandboxChannel
from msgboxx.settings import Settings


class UnknownChannel(Exception):
    """An account names a channel this process does not have."""


class ChannelRegistry:
    def __init__(self, settings: Settings, *, report: Reporter) -> None:
        self.sandbox = SandboxChannel(
            report=report,
            sent_delay=settings.sandbox_sent_delay,
            delivered_delay=settings.sandbox_delivered_delay,
            read_delay=settings.sandbox_read_delay,
        )
        self._channels: dict[str, Channel] = {"sandbox": self.sandbox}

    def get(self, name: str) -> Channel:
        try:
            return self._channels[name]
        except KeyError:
            raise UnknownChannel(name) from None

    async def close(self) -> None:
        await self.sandbox.close()
