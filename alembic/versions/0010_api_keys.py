"""api keys: the keys, their usage records, and the key an audit or access row was written under

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 11:01:20.186219
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes

import app.core.models
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AUTOINCREMENT = {"sqlite_autoincrement": True}


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("prefix", sqlmodel.sql.sqltypes.AutoString(length=15), nullable=False),
        sa.Column("key_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("permissions", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("expires_at", app.core.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", app.core.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_api_keys_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("prefix", name=op.f("uq_api_keys_prefix")),
    )
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_keys_user_id"), ["user_id"], unique=False)

    op.create_table(
        "api_key_usage",
        sa.Column("api_key_id", sa.Integer(), nullable=False),
        sa.Column("last_used_at", app.core.models.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["api_key_id"], ["api_keys.id"], name=op.f("fk_api_key_usage_api_key_id_api_keys"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("api_key_id", name=op.f("pk_api_key_usage")),
    )
    with op.batch_alter_table("audit_access", schema=None) as batch_op:
        batch_op.add_column(sa.Column("api_key_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_audit_access_api_key_id"), ["api_key_id"], unique=False)

    with op.batch_alter_table("audit_changes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("api_key_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_audit_changes_api_key_id"), ["api_key_id"], unique=False)


def downgrade() -> None:
    # Dropping a column rebuilds the table on SQLite: keep AUTOINCREMENT (see app/audit/models.py).
    with op.batch_alter_table("audit_changes", schema=None, table_kwargs=AUTOINCREMENT) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_changes_api_key_id"))
        batch_op.drop_column("api_key_id")

    with op.batch_alter_table("audit_access", schema=None, table_kwargs=AUTOINCREMENT) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_access_api_key_id"))
        batch_op.drop_column("api_key_id")

    op.drop_table("api_key_usage")
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_keys_user_id"))

    op.drop_table("api_keys")
