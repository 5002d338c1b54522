"""dispatch bookkeeping: when a queued project's id was published to the broker

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dispatched_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("redispatch_count", sa.Integer(), server_default="0", nullable=False))
        batch_op.create_index("ix_projects_dispatch", ["status", "dispatched_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_index("ix_projects_dispatch")
        batch_op.drop_column("redispatch_count")
        batch_op.drop_column("dispatched_at")
