"""user_roles: no ON DELETE actions, so every link change goes through the audited ORM path

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 10:50:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FOREIGN_KEYS = (
    ("fk_user_roles_user_id_users", "users", "user_id"),
    ("fk_user_roles_role_id_roles", "roles", "role_id"),
)


def _recreate_foreign_keys(ondelete: str | None) -> None:
    with op.batch_alter_table("user_roles", schema=None) as batch_op:
        for name, _, _ in FOREIGN_KEYS:
            batch_op.drop_constraint(name, type_="foreignkey")
        for name, referred, column in FOREIGN_KEYS:
            batch_op.create_foreign_key(name, referred, [column], ["id"], ondelete=ondelete)


def upgrade() -> None:
    _recreate_foreign_keys(ondelete=None)


def downgrade() -> None:
    _recreate_foreign_keys(ondelete="CASCADE")
