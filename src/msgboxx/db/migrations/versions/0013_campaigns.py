"""campaigns, their recipients, the organisation's messaging tier and the number's quality

Revision ID: 0013
Revises: 0012

A campaign sends one approved template, filled in per contact, to an audience
resolved once into recipient rows (the campaign's queue). WhatsApp caps the
unique customers an organisation (a business portfolio) reaches outside their
window per moving 24 hours: its messaging tier, kept on the organisation (None:
the server's default). Meta reports each number's quality by webhook.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ACTIVE = "status IN ('scheduled', 'running', 'waiting')"


def upgrade() -> None:
    op.add_column("organisations", sa.Column("messaging_tier", sa.String(10), nullable=True))
    op.add_column("api_accounts", sa.Column("quality", sa.String(10), nullable=True))
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("template_id", sa.Uuid(), nullable=True),
        sa.Column("audience", sa.JSON(), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("status_reason", sa.String(500), nullable=True),
        sa.Column("send_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("targeted", sa.Integer(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("progress_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["account_id"], ["api_accounts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["template_id"], ["templates.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_campaigns_account_created", "campaigns", ["account_id", "created_at"])
    op.create_index(
        "ix_campaigns_active",
        "campaigns",
        ["status", "send_at"],
        sqlite_where=sa.text(_ACTIVE),
        postgresql_where=sa.text(_ACTIVE),
    )
    op.create_table(
        "campaign_recipients",
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("contact_id", sa.Uuid(), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("message_id", sa.Uuid(), nullable=True),
        sa.Column("reason", sa.String(30), nullable=True),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("campaign_id", "contact_id"),
    )
    op.create_index(
        "ix_campaign_recipients_state",
        "campaign_recipients",
        ["campaign_id", "state", "contact_id"],
    )
    op.create_index(
        "ix_campaign_recipients_message",
        "campaign_recipients",
        ["message_id"],
        sqlite_where=sa.text("message_id IS NOT NULL"),
        postgresql_where=sa.text("message_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_campaign_recipients_message", table_name="campaign_recipients")
    op.drop_index("ix_campaign_recipients_state", table_name="campaign_recipients")
    op.drop_table("campaign_recipients")
    op.drop_index("ix_campaigns_active", table_name="campaigns")
    op.drop_index("ix_campaigns_account_created", table_name="campaigns")
    op.drop_table("campaigns")
    with op.batch_alter_table("api_accounts") as batch:
        batch.drop_column("quality")
    with op.batch_alter_table("organisations") as batch:
        batch.drop_column("messaging_tier")
