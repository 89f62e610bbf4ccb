"""Who listens to an account: the subscription match, as SQL other queries embed.

Apart from the outbox so that the hot queries of other domains (the recipient
of an accepted message, the messages a report batch names) can ask "does
anyone listen?" in the statement they run anyway, without importing what the
outbox itself depends on.
"""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, and_, exists, or_
from sqlalchemy.orm import InstrumentedAttribute, aliased

from msgboxx.accounts.models import ApiAccount
from msgboxx.webhooks.models import WebhookSubscription


def covers(account: type[ApiAccount]) -> ColumnElement[bool]:
    """A subscription covers its organisation's accounts, or the one it names."""
    return and_(
        WebhookSubscription.org_id == account.org_id,
        or_(
            WebhookSubscription.account_id.is_(None),
            WebhookSubscription.account_id == account.id,
        ),
    )


def subscribed(account_id: InstrumentedAttribute[uuid.UUID]) -> ColumnElement[bool]:
    """Whether any subscription may want the account's events, as a column.

    For the queries of the hot paths, which load the account's rows anyway (the
    recipient of an accepted message, the messages a status report names, a
    batch of sends): what they read of it goes to ``Tx.unheard``.
    """
    account = aliased(ApiAccount)
    return exists().where(account.id == account_id, covers(account))
