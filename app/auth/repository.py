"""Data access for sessions, refresh tokens, revocations and the per-request principal."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, delete, select, update
from sqlmodel import col

from app.auth.accounts import User
from app.auth.models import AuthSession, RefreshToken, UserRevokedToken
from app.auth.tokens import TokenClaims
from app.core.database import mark_written
from app.core.models import utcnow
from app.core.repository import SessionBound


class AuthRepository(SessionBound):
    async def load_principal_row(self, claims: TokenClaims) -> tuple[User, datetime | None, bool, bool] | None:
        """The user, whether its session is live and whether the token was revoked: one query."""
        statement = (
            select(User)
            .add_columns(
                col(AuthSession.revoked_at),
                col(AuthSession.id).is_not(None),
                col(UserRevokedToken.jti).is_not(None),
            )
            .outerjoin(AuthSession, and_(col(AuthSession.id) == claims.session_id, col(AuthSession.user_id) == User.id))
            .outerjoin(UserRevokedToken, col(UserRevokedToken.jti) == claims.jti)
            .where(col(User.id) == claims.user_id)
        )
        row = (await self.session.execute(statement)).one_or_none()
        if row is None:
            return None
        user, revoked_at, session_exists, token_revoked = row
        return user, revoked_at, bool(session_exists), bool(token_revoked)

    async def add_session(self, auth_session: AuthSession) -> None:
        self.session.add(auth_session)
        await self.session.flush()

    async def add_refresh_token(self, session_id: str, token_hash: str) -> None:
        self.session.add(RefreshToken(session_id=session_id, token_hash=token_hash))
        await self.session.flush()

    async def find_refresh_token(self, token_hash: str) -> tuple[RefreshToken, AuthSession] | None:
        statement = (
            select(RefreshToken, AuthSession)
            .join(AuthSession, col(AuthSession.id) == RefreshToken.session_id)
            .where(col(RefreshToken.token_hash) == token_hash)
            .with_for_update(of=RefreshToken)
        )
        row = (await self.session.execute(statement)).one_or_none()
        return (row[0], row[1]) if row is not None else None

    async def mark_used(self, token: RefreshToken) -> bool:
        """Mark a refresh token used; False when a concurrent request used it first."""
        result = await self.session.execute(
            update(RefreshToken)
            .where(col(RefreshToken.id) == token.id, col(RefreshToken.used_at).is_(None))
            .values(used_at=utcnow())
        )
        mark_written(self.session, RefreshToken.__tablename__)
        return bool(result.rowcount)  # type: ignore[attr-defined]  # CursorResult of an UPDATE has rowcount

    async def revoke_sessions(self, user_id: int, *, session_ids: Sequence[str] = (), keep: str | None = None) -> None:
        statement = update(AuthSession).where(
            col(AuthSession.user_id) == user_id, col(AuthSession.revoked_at).is_(None)
        )
        if session_ids:
            statement = statement.where(col(AuthSession.id).in_(session_ids))
        if keep is not None:
            statement = statement.where(col(AuthSession.id) != keep)
        await self.session.execute(statement.values(revoked_at=utcnow()))
        mark_written(self.session, AuthSession.__tablename__)  # a Core UPDATE: tell the after-commit hooks

    async def revoke_access_token(self, claims: TokenClaims) -> None:
        if await self.session.get(UserRevokedToken, claims.jti) is None:
            self.session.add(UserRevokedToken(jti=claims.jti, user_id=claims.user_id, expires_at=claims.expires_at))
            await self.session.flush()

    async def prune_expired(self, now: datetime) -> tuple[int, int]:
        tokens = await self.session.execute(delete(UserRevokedToken).where(col(UserRevokedToken.expires_at) < now))
        sessions = await self.session.execute(delete(AuthSession).where(col(AuthSession.expires_at) < now))
        return tokens.rowcount, sessions.rowcount  # type: ignore[attr-defined]  # CursorResult of a DELETE has rowcount
