"""the agents' inbox and segments: conversations, notes, canned replies, web sessions,
contact tags and attributes

Revision ID: 0011
Revises: 0010

A shared inbox keeps, per conversation, who has it, whether it is resolved, its
last activity and what nobody has read yet (existing threads are filled in here);
agents write private notes in the thread and insert canned replies. Browsers sign in
with server-side sessions.
Campaigns select contacts by tag and fill templates from custom attributes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "conversations",
        sa.Column("contact_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("assignee_id", sa.Uuid(), nullable=True),
        sa.Column("last_activity_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_message_id", sa.Uuid(), nullable=True),
        sa.Column("unread_count", sa.Integer(), nullable=False),
        sa.Column("last_read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["account_id"], ["api_accounts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["assignee_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("contact_id"),
    )
    op.create_index(
        "ix_conversations_account_activity", "conversations", ["account_id", "last_activity_at"]
    )
    op.create_index("ix_conversations_assignee", "conversations", ["assignee_id"])
    # Existing threads: one conversation per contact with messages, at its newest message,
    # nothing unread (what came before the inbox existed is not news to anyone).
    op.execute(
        """
        INSERT INTO conversations (contact_id, account_id, status, assignee_id,
            last_activity_at, last_message_id, unread_count, last_read_at, resolved_at,
            updated_at)
        SELECT newest.contact_id, contacts.account_id, 'open', NULL, newest.created_at,
            newest.id, 0, NULL, NULL, newest.created_at
        FROM (
            SELECT id, contact_id, created_at, ROW_NUMBER() OVER (
                PARTITION BY contact_id ORDER BY created_at DESC, id DESC
            ) AS position
            FROM messages
            WHERE contact_id IS NOT NULL
        ) AS newest
        JOIN contacts ON contacts.id = newest.contact_id
        WHERE newest.position = 1
        """
    )
    op.create_table(
        "conversation_notes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("contact_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("author_id", sa.Uuid(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["account_id"], ["api_accounts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_conversation_notes_contact_created",
        "conversation_notes",
        ["contact_id", "created_at"],
    )
    op.create_table(
        "canned_replies",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("shortcut", sa.String(length=40), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("org_id", "shortcut"),
    )
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_web_sessions_user_id", "web_sessions", ["user_id"])
    op.create_table(
        "contact_tags",
        sa.Column("contact_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("tag", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["account_id"], ["api_accounts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("contact_id", "tag"),
    )
    op.create_index(
        "ix_contact_tags_account_tag", "contact_tags", ["account_id", "tag", "contact_id"]
    )
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attributes", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_column("attributes")
    op.drop_index("ix_contact_tags_account_tag", table_name="contact_tags")
    op.drop_table("contact_tags")
    op.drop_index("ix_web_sessions_user_id", table_name="web_sessions")
    op.drop_table("web_sessions")
    op.drop_table("canned_replies")
    op.drop_index("ix_conversation_notes_contact_created", table_name="conversation_notes")
    op.drop_table("conversation_notes")
    op.drop_index("ix_conversations_assignee", table_name="conversations")
    op.drop_index("ix_conversations_account_activity", table_name="conversations")
    op.drop_table("conversations")
