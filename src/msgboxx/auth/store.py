"""Every statement on organisations, users, web sessions and the sign-in failure counters."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.exc import IntegrityError

from msgboxx.auth.models import Organisation, RateLimitHit, User, WebSession
from msgboxx.db import dialect
from msgboxx.db.prepared import Prepared
from msgboxx.db.tx import Tx

# Prepared once: every authenticated request runs it (on SQLite SQLAlchemy's
# execution path cost more than the lookup).
_PRINCIPAL_OF_USER = Prepared(
    select(User.id, User.org_id, User.role, User.email, User.disabled).where(
        User.id == bindparam("user_id")
    )
)


async def principal_row(tx: Tx, user_id: uuid.UUID) -> tuple[Any, ...] | None:
    """A user's id, organisation, role, email and whether it is disabled; None if gone."""
    return await _PRINCIPAL_OF_USER.first(tx, {"user_id": user_id})


async def organisation_exists(tx: Tx, org_id: uuid.UUID) -> bool:
    return await tx.session.get(Organisation, org_id) is not None


async def add_organisation(tx: Tx, *, name: str) -> Organisation:
    organisation = Organisation(name=name)
    tx.session.add(organisation)
    await tx.session.flush()
    return organisation


async def add_user(
    tx: Tx, *, org_id: uuid.UUID, email: str, password_hash: str, role: str
) -> User | None:
    """The new user, or None when the email is taken (the transaction is then spent)."""
    user = User(org_id=org_id, email=email, password_hash=password_hash, role=role)
    tx.session.add(user)
    try:
        await tx.session.flush()
    except IntegrityError:
        return None
    return user


async def user_by_id(tx: Tx, user_id: uuid.UUID) -> User | None:
    return await tx.session.get(User, user_id)


async def user_by_email(tx: Tx, email: str) -> User | None:
    return await tx.session.scalar(select(User).where(User.email == email))


async def set_password_hash(tx: Tx, user: User, password_hash: str) -> None:
    user.password_hash = password_hash
    await tx.session.flush()


async def set_disabled(tx: Tx, user: User, disabled: bool) -> None:
    user.disabled = disabled
    await tx.session.flush()


async def organisations(tx: Tx) -> list[Organisation]:
    return list(await tx.session.scalars(select(Organisation).order_by(Organisation.created_at)))


async def users(tx: Tx, *, org_id: uuid.UUID | None) -> list[User]:
    query = select(User).order_by(User.created_at)
    if org_id is not None:
        query = query.where(User.org_id == org_id)
    return list(await tx.session.scalars(query))


async def lock_organisation(tx: Tx, org_id: uuid.UUID) -> None:
    await tx.session.execute(
        select(Organisation.id).where(Organisation.id == org_id).with_for_update()
    )


async def failures(tx: Tx, *, keys: list[str], window: int) -> list[tuple[str, int]]:
    """Each key's failures counted in the window that starts at ``window``."""
    rows = await tx.session.execute(
        select(RateLimitHit.key, RateLimitHit.hits).where(
            RateLimitHit.key.in_(keys), RateLimitHit.window_start == window
        )
    )
    return [(key, hits) for key, hits in rows]


async def count_failure(tx: Tx, *, keys: list[str], window: int) -> None:
    """One more failure for each key in the window (concurrent counts add up)."""
    for key in keys:
        stmt = dialect.insert(tx, RateLimitHit).values(key=key, window_start=window, hits=1)
        stmt = stmt.on_conflict_do_update(
            index_elements=[RateLimitHit.key, RateLimitHit.window_start],
            set_={"hits": RateLimitHit.hits + 1},
        )
        await tx.session.execute(stmt)


async def forget_failures_before(tx: Tx, window: int) -> None:
    await tx.session.execute(delete(RateLimitHit).where(RateLimitHit.window_start < window))


async def add_web_session(
    tx: Tx, *, session_id: str, user_id: uuid.UUID, csrf_token: str, expires_at: datetime
) -> None:
    tx.session.add(
        WebSession(id=session_id, user_id=user_id, csrf_token=csrf_token, expires_at=expires_at)
    )
    await tx.session.flush()


async def web_session_row(tx: Tx, session_id: str) -> tuple[Any, ...] | None:
    """The session's user (id, organisation, role, email, disabled), CSRF token and expiry."""
    row = (
        await tx.session.execute(
            select(
                User.id,
                User.org_id,
                User.role,
                User.email,
                User.disabled,
                WebSession.csrf_token,
                WebSession.expires_at,
            )
            .join(User, User.id == WebSession.user_id)
            .where(WebSession.id == session_id)
        )
    ).first()
    return tuple(row) if row is not None else None


async def delete_web_session(tx: Tx, session_id: str) -> None:
    await tx.session.execute(delete(WebSession).where(WebSession.id == session_id))


async def delete_web_sessions_expired(tx: Tx, *, user_id: uuid.UUID, now: datetime) -> None:
    """A user's sessions past their expiry: cleared when the user signs in again."""
    await tx.session.execute(
        delete(WebSession).where(WebSession.user_id == user_id, WebSession.expires_at < now)
    )


async def messaging_tier(tx: Tx, org_id: uuid.UUID) -> tuple[bool, str | None]:
    """Whether the organisation exists, and its tier (None: the server's default)."""
    found = (
        await tx.session.execute(
            select(Organisation.messaging_tier).where(Organisation.id == org_id)
        )
    ).first()
    return (found is not None, found[0] if found is not None else None)


async def set_messaging_tier(tx: Tx, org_id: uuid.UUID, tier: str | None) -> None:
    await tx.session.execute(
        update(Organisation).where(Organisation.id == org_id).values(messaging_tier=tier)
    )
