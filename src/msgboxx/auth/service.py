"""Sign-in, token checks, and the creation of organisations and users."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from msgboxx.auth import ratelimit, store, tokens
from msgboxx.auth.models import Organisation, User
from msgboxx.auth.passwords import hash_password, verify_password
from msgboxx.auth.roles import Role
from msgboxx.core.errors import Conflict, NotFound, Unauthorized, Unprocessable
from msgboxx.db import Database, utcnow
from msgboxx.db.tx import Tx
from msgboxx.settings import Settings


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: what every permission check reads."""

    user_id: uuid.UUID
    org_id: uuid.UUID
    role: Role
    email: str

    @property
    def is_admin(self) -> bool:
        return self.role is Role.admin


def principal_of(user: User) -> Principal:
    """A user already in hand as the caller (the demo acting as its admin, say)."""
    return Principal(user.id, user.org_id, Role(user.role), user.email)


async def login(
    db: Database,
    *,
    username: str,
    password: str,
    client_address: str,
    settings: Settings,
) -> tokens.IssuedToken:
    """Exchange credentials for a token; failures are counted per user and address.

    Counted per (username, address) and per address, never per username alone:
    wrong passwords sent from elsewhere must not lock the real user out. The slow
    password check runs with no connection held, so sign-ins never queue other
    requests behind them.
    """
    user = await _authenticate(
        db, username=username, password=password, client_address=client_address, settings=settings
    )
    return tokens.issue(
        user_id=user.id, key=settings.signing_key, ttl_seconds=settings.token_ttl_seconds
    )


async def _authenticate(
    db: Database,
    *,
    username: str,
    password: str,
    client_address: str,
    settings: Settings,
) -> User:
    """The user these credentials name, under the sign-in rate limit; API and web alike."""
    email = username.strip().lower()
    limits = _login_limits(email=email, client_address=client_address, settings=settings)
    async with db.tx(write=False) as tx:
        await ratelimit.check(tx, limits=limits)
        user = await store.user_by_email(tx, email)
    if user is None or not await verify_password(user.password_hash, password):
        if user is None:
            await verify_password(None, password)  # same time as a wrong password
        async with db.tx(write=True) as tx:
            await ratelimit.record_failure(tx, keys=list(limits))
            await tx.commit()
        raise Unauthorized("the username or password is wrong")
    if user.disabled:
        raise Unauthorized("this user is disabled; an administrator can enable it again")
    return user


def _login_limits(*, email: str, client_address: str, settings: Settings) -> dict[str, int]:
    """The failure counters a sign-in attempt is checked against, and their limits."""
    address = client_address[:64]  # keys stay within the column, whatever a proxy forwarded
    per_minute = settings.login_attempts_per_minute
    return {
        f"login:user:{email} from {address}": per_minute,
        f"login:addr:{address}": per_minute * 3,
    }


async def principal_for_token(tx: Tx, *, token: str, key: str) -> Principal:
    """The user behind a token, as it is now: a deleted or disabled user's token stops working."""
    user_id = tokens.user_id_of(token, key=key)
    row = await store.principal_row(tx, user_id)
    if row is None:
        raise Unauthorized("the access token's user no longer exists")
    user_id, org_id, role, email, disabled = row
    if disabled:
        raise Unauthorized("the access token's user is disabled")
    return Principal(user_id, org_id, Role(role), email)


@dataclass(frozen=True, slots=True)
class WebSessionStarted:
    """A browser's new session: the cookie's secret (never stored) and its CSRF token."""

    secret: str
    csrf_token: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class WebSessionOf:
    """Who a session cookie signs in, and the token its state-changing requests must carry."""

    principal: Principal
    csrf_token: str


def _session_id(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def start_session(
    db: Database,
    *,
    username: str,
    password: str,
    client_address: str,
    settings: Settings,
) -> WebSessionStarted:
    """Sign a browser in: the same credentials and rate limit as ``POST /oauth/token``.

    Only the secret's SHA-256 is stored, so a copy of the table signs nobody in.
    """
    user = await _authenticate(
        db, username=username, password=password, client_address=client_address, settings=settings
    )
    secret = secrets.token_urlsafe(32)
    now = utcnow()
    started = WebSessionStarted(
        secret=secret,
        csrf_token=secrets.token_urlsafe(32),
        expires_at=now + timedelta(seconds=settings.web_session_ttl_seconds),
    )
    async with db.tx(write=True) as tx:
        await store.delete_web_sessions_expired(tx, user_id=user.id, now=now)
        await store.add_web_session(
            tx,
            session_id=_session_id(secret),
            user_id=user.id,
            csrf_token=started.csrf_token,
            expires_at=started.expires_at,
        )
        await tx.commit()
    return started


async def principal_for_session(tx: Tx, *, secret: str) -> WebSessionOf:
    """The user behind a session cookie, as it is now: a disabled or deleted user is out."""
    row = await store.web_session_row(tx, _session_id(secret))
    if row is None:
        raise Unauthorized("sign in again: this session has ended")
    user_id, org_id, role, email, disabled, csrf_token, expires_at = row
    if disabled:
        raise Unauthorized("this user is disabled; an administrator can enable it again")
    if expires_at <= utcnow():
        raise Unauthorized("sign in again: this session has expired")
    return WebSessionOf(Principal(user_id, org_id, Role(role), email), csrf_token)


async def end_session(tx: Tx, *, secret: str) -> None:
    """Sign a browser out: its cookie stops working at once, in every process."""
    await store.delete_web_session(tx, _session_id(secret))


async def create_organisation(tx: Tx, *, name: str) -> Organisation:
    name = name.strip()
    if not name or len(name) > 200:
        raise Unprocessable.for_field("name", "must be 1 to 200 characters")
    return await store.add_organisation(tx, name=name)


async def create_user(tx: Tx, *, org_id: uuid.UUID, email: str, password: str, role: str) -> User:
    email = email.strip().lower()
    if "@" not in email or len(email) > 320:
        raise Unprocessable.for_field("email", "must be an email address")
    _check_password(password)
    try:
        role = Role(role)
    except ValueError as exc:
        raise Unprocessable.for_field("role", "must be admin or agent") from exc
    if not await store.organisation_exists(tx, org_id):
        raise NotFound(f"organisation {org_id} does not exist")
    user = await store.add_user(
        tx, org_id=org_id, email=email, password_hash=hash_password(password), role=role
    )
    if user is None:
        raise Conflict(f"a user with email {email} already exists")
    return user


def _check_password(password: str) -> None:
    if len(password) < 8:
        raise Unprocessable.for_field("password", "must be at least 8 characters")


async def _user_by_email_or_404(tx: Tx, email: str) -> User:
    user = await get_user_by_email(tx, email=email)
    if user is None:
        raise NotFound(f"no user with email {email.strip().lower()}")
    return user


async def set_password(tx: Tx, *, email: str, password: str) -> User:
    """Give a user a new password; tokens already issued keep working until they expire."""
    _check_password(password)
    user = await _user_by_email_or_404(tx, email)
    await store.set_password_hash(tx, user, hash_password(password))
    return user


async def set_disabled(tx: Tx, *, email: str, disabled: bool) -> User:
    """Disable (or enable again) a user: sign-in and every token of it stop at once."""
    user = await _user_by_email_or_404(tx, email)
    await store.set_disabled(tx, user, disabled)
    tx.revokes_access()  # every process's cache of callers forgets (auth.principals)
    return user


async def list_organisations(tx: Tx) -> list[Organisation]:
    return await store.organisations(tx)


async def list_users(tx: Tx, *, org_id: uuid.UUID | None = None) -> list[User]:
    return await store.users(tx, org_id=org_id)


async def lock_organisation(tx: Tx, *, org_id: uuid.UUID) -> None:
    """Hold the organisation's row until commit, so that counting what it has and
    adding to it cannot interleave (PostgreSQL; SQLite writes one at a time anyway).
    """
    await store.lock_organisation(tx, org_id)


async def get_user_by_email(tx: Tx, *, email: str) -> User | None:
    return await store.user_by_email(tx, email.strip().lower())


async def get_user(tx: Tx, *, user_id: uuid.UUID) -> User | None:
    """A user by id, in any organisation: the caller checks it belongs where it should."""
    return await store.user_by_id(tx, user_id)


async def organisation_exists(tx: Tx, *, org_id: uuid.UUID) -> bool:
    return await store.organisation_exists(tx, org_id)


async def messaging_tier(tx: Tx, *, org_id: uuid.UUID) -> str | None:
    """The organisation's WhatsApp messaging tier as set (None: the server's default), or 404."""
    exists, tier = await store.messaging_tier(tx, org_id)
    if not exists:
        raise NotFound(f"organisation {org_id} does not exist")
    return tier


async def set_messaging_tier(tx: Tx, *, org_id: uuid.UUID, tier: str | None) -> None:
    """Set the tier (an admin, or Meta's webhook); None goes back to the server's default."""
    await messaging_tier(tx, org_id=org_id)
    await store.set_messaging_tier(tx, org_id, tier)
