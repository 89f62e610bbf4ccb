"""media: a record per piece of media, and messages that carry media or structured content

Revision ID: 0008
Revises: 0007

A message may now be an image, a location, a Flow reply... The bytes of media
live in the media store and are recorded in ``media``; the other kinds keep
their fields in ``messages.content`` (JSON) beside a readable ``text``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "media",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.Column("contact_id", sa.Uuid(), nullable=True),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("mime_type", sa.String(length=120), nullable=True),
        sa.Column("filename", sa.String(length=240), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("store_key", sa.String(length=512), nullable=True),
        sa.Column("provider_media_id", sa.String(length=200), nullable=True),
        sa.Column("provider_sha256", sa.String(length=100), nullable=True),
        sa.Column("failure_reason", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["account_id"], ["api_accounts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_media_organisation_created", "media", ["organisation_id", "created_at"])
    op.create_index("ix_media_contact", "media", ["contact_id"])
    op.create_index(
        "ix_media_due",
        "media",
        ["next_attempt_at"],
        sqlite_where=sa.text("next_attempt_at IS NOT NULL"),
        postgresql_where=sa.text("next_attempt_at IS NOT NULL"),
    )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("content", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("media_id", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(
            "fk_messages_media_id_media", "media", ["media_id"], ["id"], ondelete="SET NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_constraint("fk_messages_media_id_media", type_="foreignkey")
        batch_op.drop_column("media_id")
        batch_op.drop_column("content")
    op.drop_index("ix_media_due", table_name="media")
    op.drop_index("ix_media_contact", table_name="media")
    op.drop_index("ix_media_organisation_created", table_name="media")
    op.drop_table("media")
