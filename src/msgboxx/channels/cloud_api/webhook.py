"""Webhook intake for the Cloud API: verify, parse everything, then write the batch.

The signature is checked over the raw bytes with each connected app's secret
(constant-time); only the numbers and business accounts of the accounts whose
secret signed the body are accepted, so one tenant's secret cannot speak for another.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Iterable

from sqlalchemy.exc import IntegrityError

from msgboxx import intake
from msgboxx.accounts import service as accounts
from msgboxx.channels.cloud_api import incoming
from msgboxx.channels.cloud_api.credentials import CHANNEL
from msgboxx.core.errors import BadRequest, Forbidden, Unauthorized
from msgboxx.db import Database
from msgboxx.db.tx import Tx

log = logging.getLogger(__name__)
SIGNATURE_PREFIX = "sha256="


def sign(raw: bytes, *, app_secret: str) -> str:
    """The ``X-Hub-Signature-256`` value Meta sends for ``raw``."""
    digest = hmac.new(app_secret.encode(), raw, hashlib.sha256).hexdigest()
    return SIGNATURE_PREFIX + digest


def signed_by(raw: bytes, signature: str, *, app_secret: str) -> bool:
    return hmac.compare_digest(sign(raw, app_secret=app_secret), signature.strip().lower())


async def verify_subscription(
    tx: Tx, *, mode: str | None, token: str | None, challenge: str | None
) -> str:
    """Meta's GET when the callback URL is saved: echo the challenge for our token only."""
    if mode != "subscribe" or not token or challenge is None:
        raise Forbidden("not a WhatsApp webhook verification request")
    for account in await accounts.on_channel(tx, channel=CHANNEL):
        expected = str(account.channel_settings.get("verify_token", ""))
        if expected and hmac.compare_digest(expected.encode(), token.encode()):
            return challenge
    raise Forbidden("the verify token matches no WhatsApp account")


async def receive(db: Database, *, raw: bytes, signature: str | None) -> intake.IntakeResult:
    """Apply one signed webhook body in one transaction; a repeat changes nothing."""
    for attempt in (1, 2):
        async with db.tx(write=True) as tx:
            try:
                result = await _receive(tx, raw=raw, signature=signature)
                await tx.commit()
                return result
            except IntegrityError:
                # A concurrent delivery of the same report committed first (PostgreSQL);
                # the second pass finds it and changes nothing.
                await tx.rollback()
                if attempt == 2:
                    raise
    raise AssertionError("unreachable")  # pragma: no cover


async def _receive(tx: Tx, *, raw: bytes, signature: str | None) -> intake.IntakeResult:
    if not signature or not signature.startswith(SIGNATURE_PREFIX):
        raise Unauthorized("missing X-Hub-Signature-256")
    signers = _signers(await accounts.on_channel(tx, channel=CHANNEL), raw, signature)
    if not signers:
        raise Unauthorized("X-Hub-Signature-256 does not match any connected app")
    try:
        body = incoming.parse_body(raw)
    except incoming.MalformedWebhook as exc:
        raise BadRequest(str(exc), slug="malformed-webhook") from None
    parsed = incoming.parse(
        body,
        numbers={str(a.channel_settings["phone_number_id"]): a.phone_number for a in signers},
        wabas=frozenset(str(a.channel_settings.get("waba_id")) for a in signers),
    )
    if parsed.skipped:
        log.info("webhook items skipped", extra={"skipped": parsed.skipped[:20]})
    # Whatever the body names, it may only touch the accounts whose secret signed it.
    return await intake.apply(
        tx, parsed.events, within={account.id: account.phone_number for account in signers}
    )


def _signers(
    candidates: Iterable[accounts.ChannelAccount], raw: bytes, signature: str
) -> list[accounts.ChannelAccount]:
    """The accounts whose app secret produced this signature (one HMAC per distinct secret)."""
    by_secret: dict[str, list[accounts.ChannelAccount]] = {}
    for account in candidates:
        secret = account.channel_settings.get("app_secret")
        if secret and "phone_number_id" in account.channel_settings:
            by_secret.setdefault(str(secret), []).append(account)
    found: list[accounts.ChannelAccount] = []
    for secret, group in by_secret.items():
        if signed_by(raw, signature, app_secret=secret):
            found.extend(group)
    return found
