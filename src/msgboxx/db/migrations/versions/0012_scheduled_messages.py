"""scheduled messages: messages.send_at, and the per-contact queue index by its line

Revision ID: 0012
Revises: 0011

A message accepted with ``sendAt`` is queued with its first attempt at that
time. Its place in its contact's line is its ``send_at`` (an unscheduled
message's is its ``created_at``), so a message scheduled for tomorrow does not
hold back today's replies to the same contact. The per-contact queue index is
rebuilt on that expression, the claim's own, so the claim's "first in line"
check stays one index range on both databases.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_QUEUED = sa.text("next_attempt_at IS NOT NULL")


def upgrade() -> None:
    op.add_column("messages", sa.Column("send_at", sa.DateTime(timezone=True), nullable=True))
    op.drop_index("ix_messages_contact_queue", table_name="messages")
    op.create_index(
        "ix_messages_contact_queue",
        "messages",
        ["contact_id", sa.text("coalesce(send_at, created_at)")],
        sqlite_where=_QUEUED,
        postgresql_where=_QUEUED,
    )


def downgrade() -> None:
    op.drop_index("ix_messages_contact_queue", table_name="messages")
    op.create_index(
        "ix_messages_contact_queue",
        "messages",
        ["contact_id", "created_at"],
        sqlite_where=_QUEUED,
        postgresql_where=_QUEUED,
    )
    # Natively (SQLite 3.35+): a batch copy of the table would drop what it cannot
    # reflect. The index naming the column is gone already.
    op.drop_column("messages", "send_at")
