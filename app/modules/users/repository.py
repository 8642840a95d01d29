from datetime import datetime

from sqlalchemy import func, select
from sqlmodel import col

from app.core.repository import BaseRepository
from app.modules.users.models import User

_ACTIVE_SUPERUSER = (col(User.is_superuser).is_(True), col(User.is_active).is_(True))


class UserRepository(BaseRepository[User]):
    model = User

    async def get_by_email(self, email: str) -> User | None:
        result: User | None = await self.session.scalar(select(User).where(col(User.email) == email.lower()))
        return result

    async def lock_active_superusers(self) -> None:
        """Lock the active superusers' rows until the transaction ends (PostgreSQL; a no-op on SQLite)."""
        statement = select(col(User.id)).where(*_ACTIVE_SUPERUSER).order_by(col(User.id)).with_for_update()
        await self.session.execute(statement)

    async def count_active_superusers(self) -> int:
        return int(await self.session.scalar(select(func.count()).where(*_ACTIVE_SUPERUSER)) or 0)

    async def stats(self, since: datetime) -> tuple[int, int, int]:
        statement = select(
            func.count(),
            func.count().filter(col(User.created_at) >= since),
            func.count().filter(col(User.is_active).is_(True)),
        )
        total, recent, active = (await self.session.execute(statement)).one()
        return int(total), int(recent), int(active)
