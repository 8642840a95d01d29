from datetime import datetime

from sqlalchemy import func, select
from sqlmodel import col

from app.core.repository import BaseRepository
from app.modules.users.models import User


class UserRepository(BaseRepository[User]):
    model = User

    async def get_by_email(self, email: str) -> User | None:
        result: User | None = await self.session.scalar(select(User).where(col(User.email) == email.lower()))
        return result

    async def stats(self, since: datetime) -> tuple[int, int, int]:
        statement = select(
            func.count(),
            func.count().filter(col(User.created_at) >= since),
            func.count().filter(col(User.is_active).is_(True)),
        )
        total, recent, active = (await self.session.execute(statement)).one()
        return int(total), int(recent), int(active)
