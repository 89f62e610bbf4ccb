"""templates: a media header (image, video or document) that each send fills in

Revision ID: 0009
Revises: 0008

A template whose header is media takes the media at every send, as a header
parameter; a template without one (every template before this) takes none.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("templates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("header_type", sa.String(length=10), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("templates", schema=None) as batch_op:
        batch_op.drop_column("header_type")
