"""Data access for API keys and their usage records."""

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import Table, bindparam, or_, select, update
from sqlmodel import col

from app.auth.accounts import User
from app.auth.api_keys.models import ApiKey, ApiKeyUsage
from app.core.repository import BaseRepository

_USAGE: Table = ApiKeyUsage.__table__  # type: ignore[attr-defined]  # SQLModel tables expose __table__ at runtime
# Later only: a process whose clock or batch is behind never moves the time back.
_RECORD_USAGE = (
    update(_USAGE)
    .where(
        _USAGE.c.api_key_id == bindparam("key_id"),
        or_(_USAGE.c.last_used_at.is_(None), _USAGE.c.last_used_at < bindparam("used_at")),
    )
    .values(last_used_at=bindparam("used_at"))
)


class ApiKeyRepository(BaseRepository[ApiKey]):
    model = ApiKey

    async def add(self, key: ApiKey) -> ApiKey:
        self.session.add(key)
        await self._flush()
        assert key.id is not None
        self.session.add(ApiKeyUsage(api_key_id=key.id))
        await self._flush()
        return key

    async def find_with_owner(self, prefix: str) -> tuple[ApiKey, bool, bool] | None:
        """The key with this prefix, and whether its owner is active and a superuser: one query."""
        statement = (
            select(ApiKey, col(User.is_active), col(User.is_superuser))
            .join(User, col(User.id) == ApiKey.user_id)
            .where(col(ApiKey.prefix) == prefix)
        )
        row = (await self.session.execute(statement)).one_or_none()
        return (row[0], bool(row[1]), bool(row[2])) if row is not None else None

    async def last_used(self, key_ids: Sequence[int]) -> dict[int, datetime | None]:
        statement = select(col(ApiKeyUsage.api_key_id), col(ApiKeyUsage.last_used_at)).where(
            col(ApiKeyUsage.api_key_id).in_(key_ids)
        )
        return {row[0]: row[1] for row in (await self.session.execute(statement)).all()}

    async def delete_of_user(self, user_id: int) -> int:
        return await self.delete_each(col(ApiKey.user_id) == user_id)

    async def record_usage(self, used: Mapping[int, datetime]) -> None:
        """Usage is bookkeeping, not a change anyone made: a Core UPDATE, unaudited, that
        tells no after-commit hook (callers need not be verified again for it)."""
        if used:
            await self.session.execute(
                _RECORD_USAGE, [{"key_id": key_id, "used_at": used_at} for key_id, used_at in used.items()]
            )
