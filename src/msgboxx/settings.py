"""One settings object for the server, the dispatcher and the CLI.

Every value comes from an ``MSGBOXX_`` environment variable so that the same
binary runs the embedded default and a multi-process PostgreSQL deployment.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import secrets
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Process configuration; read once at start-up."""

    model_config = SettingsConfigDict(env_prefix="MSGBOXX_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8000
    data_dir: Path = Path(".msgboxx")
    database_url: str | None = None
    secret_key: str | None = None
    token_ttl_seconds: int = Field(default=3600, ge=60, le=7 * 24 * 3600)

    channel: str = "sandbox"
    demo: bool = True
    dispatch: bool = True

    # Seconds after the hand-off at which the sandbox reports each status: slow
    # enough to watch with curl, quick enough for the walk-through.
    sandbox_sent_delay: float = 0.5
    sandbox_delivered_delay: float = 2.0
    sandbox_read_delay: float = 4.0
    # The sandbox network's round trip per send, and a file where it records every
    # message it accepted (what a network operator would count).
    sandbox_send_latency: float = Field(default=0.0, ge=0, le=60)
    sandbox_hand_off_log: Path | None = None

    # Meta's Graph API; point it at `msgboxx sandbox serve` to rehearse without Meta.
    graph_base_url: str = "https://graph.facebook.com"
    graph_api_version: str = "v21.0"
    graph_timeout: float = Field(default=10.0, gt=0, le=120)
    # How often the dispatcher re-reads each Cloud API account's templates (seconds).
    template_sync_interval: float = 900.0
    # Status reports for ids we never recorded are forgotten after this (Meta retries 7 days).
    held_report_days: float = 8.0

    # Pacing, across all dispatcher processes together. Meta's default tier is
    # 80 messages/s per number (1,000 when upgraded) and 1 message per 6 s to one
    # customer with bursts of up to 45.
    number_throughput: float = Field(default=80.0, gt=0, le=1000)
    number_burst_seconds: float = Field(default=0.25, gt=0, le=10)
    pair_interval_seconds: float = Field(default=6.0, ge=0, le=3600)
    pair_burst: int = Field(default=45, ge=1, le=1000)
    dispatch_batch_size: int = 100
    dispatch_max_in_flight: int = Field(default=400, ge=1)
    dispatch_poll_interval: float = 0.5
    dispatch_lease_seconds: float = 60.0
    dispatch_max_attempts: int = 8
    dispatch_backoff_base: float = 1.0
    dispatch_backoff_max: float = 300.0
    # While the dispatcher of this process leaves due messages behind, an accept
    # waits for its next claim up to this long (core.backpressure); 0: never waits.
    accept_wait_for_sending_seconds: float = Field(default=1.0, ge=0, le=30)

    # Campaigns. WhatsApp's messaging tier of an organisation that has none set (250, 2000,
    # 10000, 100000 or unlimited): unique customers reached outside their window per 24 h.
    # (The values of msgboxx.core.tiers.MessagingTier.)
    messaging_tier_default: Literal["250", "2000", "10000", "100000", "unlimited"] = "250"
    # How many seconds of a number's sends a campaign keeps queued ahead: replies go
    # first anyway, and a pause stops new sends within about this long.
    campaign_ahead_seconds: float = Field(default=1.0, gt=0, le=30)
    # How often the campaign runner looks for due campaigns and room in the tier.
    campaign_poll_interval: float = Field(default=0.5, gt=0, le=60)
    # At most one campaign.progress event per campaign in this many seconds.
    campaign_progress_interval: float = Field(default=5.0, ge=0, le=3600)

    # Outbound webhooks. Receivers on private addresses are refused unless allowed
    # (tests and local development; unless set, the embedded default with its
    # demo allows them, so `msgboxx webhook listen` works after `make run`); a
    # failing receiver is retried with backoff for the whole retry window before
    # its event is given up.
    webhook_allow_private: bool = False
    # Subscriptions per organisation: every event is written once per subscription.
    webhook_max_subscriptions: int = Field(default=100, ge=1)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    webhook_poll_interval: float = 0.5
    webhook_lease_seconds: float = 60.0
    webhook_concurrency: int = Field(default=16, ge=1, le=1000)
    webhook_batch_size: int = Field(default=50, ge=1)
    webhook_backoff_base: float = 5.0
    webhook_backoff_max: float = 3600.0
    webhook_retry_window_seconds: float = 24 * 3600.0

    # Live changes (GET /live, the web inbox): every commit's changes to the viewers of
    # their accounts, from every process (PostgreSQL: LISTEN/NOTIFY). Off, streams stay
    # silent and commits tell no one (for measuring what it costs).
    live: bool = True
    # Changes a viewer may fall behind before its stream is reset (and it fetches afresh).
    live_buffer: int = Field(default=1000, ge=1)

    # Failed sign-ins are counted per (username, client address) and per address,
    # never per username alone: a stranger's wrong passwords must not lock a user out.
    login_attempts_per_minute: int = 10
    # How long a browser stays signed in to the web inbox (/app/) without signing in again.
    web_session_ttl_seconds: int = Field(default=12 * 3600, ge=60, le=30 * 24 * 3600)
    # The reverse proxies in front of the API (addresses or networks, comma-separated):
    # only their X-Forwarded-For names the client. None by default, so a client
    # cannot choose the address its failed sign-ins are counted against.
    trusted_proxies: str = ""
    max_body_bytes: int = 1024 * 1024
    # POST /contact/import: the largest CSV file (413 beyond), and the most rows it may
    # hold (413 beyond: every row is kept in memory while it is checked and written).
    import_max_bytes: int = Field(default=50 * 1024 * 1024, ge=1)
    import_max_rows: int = Field(default=200_000, ge=1)
    log_level: str = "INFO"
    # A turn of the event loop longer than this is logged with what the loop was
    # doing (observability.stalls); 0 turns the watch off.
    stall_report_ms: float = Field(default=100.0, ge=0)
    sqlite_synchronous: str = "NORMAL"

    # Media files (images, voice notes, documents): a folder by default, or object
    # storage that every API host and worker of a scale-out shares.
    media_url: str = Field(
        default="",
        description=(
            "Where media files are kept: empty for the data folder's media/, file:///path"
            " for another folder, s3://bucket/prefix for S3-compatible object storage"
            " (needed when several hosts serve and receive media)."
        ),
    )
    media_s3_endpoint_url: str | None = Field(
        default=None,
        description=(
            "The S3 API's address for a server other than AWS (MinIO, Ceph, Cloudflare R2,"
            " ...), such as http://minio:9000; addressed path-style. Unset for AWS itself."
        ),
    )
    media_s3_region: str | None = Field(
        default=None,
        description="The bucket's region (us-east-1 when unset and the server needs one).",
    )
    media_s3_access_key_id: str | None = Field(
        default=None,
        description=(
            "The S3 access key. Unset: the usual AWS sources (AWS_ACCESS_KEY_ID, a"
            " profile, an instance or pod role)."
        ),
    )
    media_s3_secret_access_key: SecretStr | None = Field(
        default=None,
        description="The secret that goes with the access key; never printed.",
    )

    media_fetch_allow_private: bool | None = Field(
        default=None,
        description=(
            "Whether a media url of POST /message may lead to a loopback, private or"
            " reserved address. Unset, it follows MSGBOXX_WEBHOOK_ALLOW_PRIVATE: both are"
            " requests this server makes on a customer's word, and local development"
            " wants both or neither."
        ),
    )
    media_fetch_timeout_seconds: float = Field(
        default=60.0,
        gt=0,
        le=600,
        description="How long fetching a media url may take, from connecting to the last byte.",
    )

    @property
    def media_urls_may_be_private(self) -> bool:
        if self.media_fetch_allow_private is None:
            return self.webhook_allow_private
        return self.media_fetch_allow_private

    # Customers' media, fetched from the network in the background. Meta's download
    # URLs last minutes: the first attempt goes at once, retries within minutes.
    media_fetch_poll_interval: float = Field(default=1.0, gt=0, le=60)
    media_fetch_concurrency: int = Field(default=8, ge=1, le=100)
    media_fetch_lease_seconds: float = Field(default=300.0, gt=0)
    media_fetch_max_attempts: int = Field(default=8, ge=1, le=100)
    media_fetch_backoff_base: float = Field(default=2.0, gt=0)
    media_fetch_backoff_max: float = Field(default=120.0, gt=0)

    @model_validator(mode="after")
    def _local_webhooks_on_the_embedded_default(self) -> Settings:
        """The embedded default is a developer's own machine (the demo's password is public)."""
        if "webhook_allow_private" not in self.model_fields_set and self.seeds_demo:
            self.webhook_allow_private = True
        return self

    @field_validator("media_url")
    @classmethod
    def _media_url_names_a_store(cls, value: str) -> str:
        """A mistyped store fails at start-up, not at the first upload."""
        value = value.strip()
        if value and not value.startswith(("file:", "s3://")):
            raise ValueError("must be empty, file:///path or s3://bucket/prefix")
        if value.startswith("s3://") and not value[5:].split("/")[0]:
            raise ValueError("s3:// needs a bucket: s3://bucket/prefix")
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_addresses(cls, value: str) -> str:
        for item in (part.strip() for part in value.split(",")):
            if item:
                ipaddress.ip_network(item)  # a ValueError names the bad entry
        return value

    @property
    def trusted_proxy_list(self) -> list[str]:
        return [part.strip() for part in self.trusted_proxies.split(",") if part.strip()]

    def serving_options(self) -> dict[str, Any]:
        """How uvicorn serves the API: ``msgboxx serve`` and a test's server alike.

        X-Forwarded-For is read only from the trusted proxies; uvicorn's own default
        would trust every local peer.
        """
        proxies = self.trusted_proxy_list
        return {
            "proxy_headers": bool(proxies),
            "forwarded_allow_ips": proxies,
            "server_header": False,
            "log_config": None,
        }

    @property
    def resolved_database_url(self) -> str:
        """The configured database, or SQLite inside the data folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'msgboxx.db').resolve()}"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    @property
    def uses_sandbox(self) -> bool:
        return self.channel == "sandbox"

    @property
    def seeds_demo(self) -> bool:
        """The demo organisation exists only on the embedded default (SQLite, sandbox)."""
        return self.demo and self.uses_sandbox and self.is_sqlite

    @cached_property
    def signing_key(self) -> str:
        """The JWT secret: given, or generated once and kept in the data folder.

        Kept on disk rather than regenerated so that tokens survive a restart and
        every process sharing the data folder signs with the same key.
        """
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".secret_key.{os.getpid()}")
        tmp.write_text(secrets.token_urlsafe(48))
        tmp.chmod(0o600)
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)  # atomic: the first process to get here wins
        tmp.unlink()
        return path.read_text().strip()
