"""audit history: a reason on change rows, and an index that serves one record's history

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 11:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_changes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        # (entity_type, entity_id, id): a record's history, newest first, is one index range.
        batch_op.drop_index("ix_audit_changes_entity")
        batch_op.create_index("ix_audit_changes_entity", ["entity_type", "entity_id", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("audit_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_changes_entity")
        batch_op.create_index("ix_audit_changes_entity", ["entity_type", "entity_id"], unique=False)
        batch_op.drop_column("reason")
