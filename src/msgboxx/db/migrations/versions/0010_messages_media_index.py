"""an index on messages.media_id, for the foreign key's ON DELETE SET NULL

Revision ID: 0010
Revises: 0009

Deleting a media record (erasure, or a repeated delivery that raced its check)
makes the database find the messages that name it; without an index that is a
scan of the whole messages table, on SQLite and PostgreSQL alike. Partial: few
messages carry media.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_messages_media",
        "messages",
        ["media_id"],
        sqlite_where=sa.text("media_id IS NOT NULL"),
        postgresql_where=sa.text("media_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_messages_media", table_name="messages")
