"""audit history: a reason on change rows, a history index, ids never reused on SQLite
(a record's history is read by its id).

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

DOMAIN_TABLES = ("users", "customers", "products", "posts", "tasks")


def upgrade() -> None:
    with op.batch_alter_table("audit_changes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        # (entity_type, entity_id, id): a record's history, newest first, is one index range.
        batch_op.drop_index("ix_audit_changes_entity")
        batch_op.create_index("ix_audit_changes_entity", ["entity_type", "entity_id", "id"], unique=False)
    if op.get_bind().dialect.name == "sqlite":
        _recreate_domain_tables(autoincrement=True)
        # Ids the audit trail has seen are taken too: a row deleted before today stays deleted.
        for table in DOMAIN_TABLES:
            op.execute(
                sa.text(
                    "UPDATE sqlite_sequence SET seq = (SELECT max(entity_id) FROM audit_changes "
                    "WHERE entity_type = :table) WHERE name = :table AND seq < (SELECT max(entity_id) "
                    "FROM audit_changes WHERE entity_type = :table)"
                ).bindparams(table=table)
            )
            op.execute(
                sa.text(
                    "INSERT INTO sqlite_sequence (name, seq) SELECT :table, max(entity_id) FROM audit_changes "
                    "WHERE entity_type = :table AND entity_id IS NOT NULL "
                    "AND NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = :table) HAVING count(*) > 0"
                ).bindparams(table=table)
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _recreate_domain_tables(autoincrement=False)
    with op.batch_alter_table("audit_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_changes_entity")
        batch_op.create_index("ix_audit_changes_entity", ["entity_type", "entity_id"], unique=False)
        batch_op.drop_column("reason")


def _recreate_domain_tables(*, autoincrement: bool) -> None:
    """SQLite only: AUTOINCREMENT is part of CREATE TABLE, so each table is copied (batch mode;
    alembic/env.py turns foreign-key enforcement off for the copy, as SQLite's docs advise)."""
    for table in DOMAIN_TABLES:
        with op.batch_alter_table(table, recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}):
            pass
