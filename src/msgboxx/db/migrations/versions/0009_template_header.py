"""media out: templates with a media header, and the claim's lane of media messages

Revision ID: 0009
Revises: 0008

A template whose header is media takes the media at every send, as a header
parameter; a template without one (every template before this) takes none.
Session messages that carry media are claimed in a lane of their own, read
through a partial index of the media that is due (usually none).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


MEDIA_DUE = (
    "next_attempt_at IS NOT NULL AND kind IN ('image', 'audio', 'video', 'document', 'sticker')"
)


def upgrade() -> None:
    with op.batch_alter_table("templates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("header_type", sa.String(length=10), nullable=True))
    op.create_index(
        "ix_messages_account_media_due",
        "messages",
        ["account_id", "next_attempt_at"],
        unique=False,
        sqlite_where=sa.text(MEDIA_DUE),
        postgresql_where=sa.text(MEDIA_DUE),
    )


def downgrade() -> None:
    op.drop_index("ix_messages_account_media_due", table_name="messages")
    with op.batch_alter_table("templates", schema=None) as batch_op:
        batch_op.drop_column("header_type")
