"""cloud api: channel health, provider template status, status reports held for ids

Revision ID: 0003
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("api_accounts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("channel_status", sa.String(length=20), server_default="ok", nullable=False)
        )
        batch_op.add_column(
            sa.Column("channel_status_reason", sa.String(length=500), nullable=True)
        )
    with op.batch_alter_table("templates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("provider_status", sa.String(length=30), nullable=True))
    op.create_table(
        "pending_status_reports",
        sa.Column("provider_message_id", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("failure_reason", sa.String(length=500), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "provider_message_id", "status", name=op.f("pk_pending_status_reports")
        ),
    )
    with op.batch_alter_table("pending_status_reports", schema=None) as batch_op:
        batch_op.create_index("ix_pending_status_reports_received", ["received_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("pending_status_reports", schema=None) as batch_op:
        batch_op.drop_index("ix_pending_status_reports_received")
    op.drop_table("pending_status_reports")
    with op.batch_alter_table("templates", schema=None) as batch_op:
        batch_op.drop_column("provider_status")
    with op.batch_alter_table("api_accounts", schema=None) as batch_op:
        batch_op.drop_column("channel_status_reason")
        batch_op.drop_column("channel_status")
