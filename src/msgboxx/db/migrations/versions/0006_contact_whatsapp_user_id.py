"""contacts known by WhatsApp user id, and held reports kept with their account

Revision ID: 0006
Revises: 0005

A customer with a WhatsApp username may be known by their business-scoped user
id alone, so a contact's number becomes optional. A status report held until
its message is recorded remembers the account it was reported to, so it can only
ever change that account's message.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("whatsapp_user_id", sa.String(length=140), nullable=True))
        batch_op.alter_column("mobile_number", existing_type=sa.String(length=20), nullable=True)
        batch_op.create_index(
            "uq_contacts_account_whatsapp_user_id",
            ["account_id", "whatsapp_user_id"],
            unique=True,
        )
    with op.batch_alter_table("pending_status_reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("account_id", sa.Uuid(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("pending_status_reports", schema=None) as batch_op:
        batch_op.drop_column("account_id")
    # Contacts without a number cannot exist before this revision.
    op.execute("DELETE FROM contacts WHERE mobile_number IS NULL")
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_index("uq_contacts_account_whatsapp_user_id")
        batch_op.alter_column("mobile_number", existing_type=sa.String(length=20), nullable=False)
        batch_op.drop_column("whatsapp_user_id")
