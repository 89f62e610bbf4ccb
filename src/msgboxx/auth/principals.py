"""Who a token's caller is, remembered while nobody's access has been taken away.

Every authenticated request asked the database who its caller is, although
the answer changes only when an administrator disables a user: that lookup
(a unit of work, a statement, its rows) was most of ``GET /whoami``'s time.
A process now keeps each user's :class:`~msgboxx.auth.service.Principal`
until the host's revocation count moves (:mod:`msgboxx.db.revocations`),
which it reads on every request, so a disabled user is refused at once in
every process. The token itself is still checked every time: its signature
(remembered per process by :mod:`msgboxx.auth.tokens`) and its expiry.

Where the database gives no such signal (PostgreSQL), nothing is kept.
"""

from __future__ import annotations

import uuid

from msgboxx.auth import service, tokens
from msgboxx.auth.service import Principal
from msgboxx.db import Database
from msgboxx.db.revocations import Revocations

# Callers kept per process; past it the oldest is forgotten (a lookup brings it back).
CAPACITY = 10_000


class Principals:
    def __init__(self, revocations: Revocations | None) -> None:
        self._revocations = revocations
        self._known: dict[uuid.UUID, Principal] = {}
        self._count = -1  # the revocation count ``_known`` was filled under

    async def of_token(self, db: Database, *, token: str, key: str) -> Principal:
        """The caller of a valid token; a 401 for a bad or expired token or a disabled user.

        A caller already known costs no unit of work at all; one not known is
        looked up in a short read of its own.
        """
        if self._revocations is None:
            return await self._looked_up(db, token=token, key=key)
        user_id = tokens.user_id_of(token, key=key)
        count = self._revocations.count()
        if count != self._count:
            self._known.clear()
            self._count = count
        known = self._known.get(user_id)
        if known is not None:
            return known
        principal = await self._looked_up(db, token=token, key=key)
        # Kept only if no revocation was seen while the lookup awaited the database:
        # its answer may be older than that revocation.
        if self._count == count:
            if len(self._known) >= CAPACITY:
                del self._known[next(iter(self._known))]
            self._known[user_id] = principal
        return principal

    @staticmethod
    async def _looked_up(db: Database, *, token: str, key: str) -> Principal:
        async with db.tx(write=False) as tx:
            return await service.principal_for_token(tx, token=token, key=key)
