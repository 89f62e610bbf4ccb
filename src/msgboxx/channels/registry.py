"""Which channel serves an account."""

from __future__ import annotations

from msgboxx.channels.base import Channel, MediaSource, Reporter
from msgboxx.channels.cloud_api import CHANNEL as CLOUD_API
from msgboxx.channels.cloud_api import CloudApiChannel
from msgboxx.channels.cloud_api.channel import new_client
from msgboxx.channels.cloud_api.media import CloudApiMedia
from msgboxx.channels.sandbox.channel import SandboxChannel
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
            send_latency=settings.sandbox_send_latency,
            hand_off_log=settings.sandbox_hand_off_log,
        )
        self._client = new_client(timeout=settings.graph_timeout)
        self.cloud_api = CloudApiChannel(
            client=self._client,
            base_url=settings.graph_base_url,
            version=settings.graph_api_version,
            report=report,
        )
        self._channels: dict[str, Channel] = {"sandbox": self.sandbox, CLOUD_API: self.cloud_api}
        # Who hands over the media customers send, by channel (the sandbox sends none).
        self._media: dict[str, MediaSource] = {
            CLOUD_API: CloudApiMedia(
                base_url=settings.graph_base_url,
                version=settings.graph_api_version,
                timeout=settings.graph_timeout,
            )
        }

    def get(self, name: str) -> Channel:
        try:
            return self._channels[name]
        except KeyError:
            raise UnknownChannel(name) from None

    def media_source(self, name: str) -> MediaSource | None:
        """What fetches inbound media for accounts on channel ``name``, if it has media."""
        return self._media.get(name)

    async def close(self) -> None:
        for source in self._media.values():
            if isinstance(source, CloudApiMedia):
                await source.close()
        await self.sandbox.close()
        await self.cloud_api.close()
        await self._client.close()
