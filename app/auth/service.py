"""Login, refresh rotation with reuse detection, logout and password changes."""

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.accounts import User, UserRepository
from app.auth.models import AuthSession
from app.auth.passwords import hash_password, verify_password
from app.auth.repository import AuthRepository
from app.auth.schemas import TokenPair
from app.auth.throttle import LoginThrottle
from app.auth.tokens import TokenClaims, decode_token, encode_token, hash_token, new_id
from app.core.config import Settings
from app.core.database import transaction
from app.core.errors import BadRequest, Unauthorized
from app.core.models import utcnow

INVALID_CREDENTIALS = "Incorrect email or password"
INVALID_REFRESH = "Invalid or expired refresh token"


class AuthService:
    def __init__(self, session: AsyncSession, settings: Settings) -> None:
        self.session = session
        self.settings = settings
        self.tokens = AuthRepository(session)
        self.users = UserRepository(session)

    async def login(self, email: str, password: str, client: str, throttle: LoginThrottle) -> TokenPair:
        await throttle.reserve(client, email)  # before the check: parallel guesses each need a slot
        user = await self.users.get_by_email(email)
        # Unknown emails are checked against a dummy hash: same answer, about the same time.
        valid, upgraded_hash = await verify_password(password, user.hashed_password if user else None)
        if user is None or not valid or not user.is_active:
            raise Unauthorized(INVALID_CREDENTIALS)
        await throttle.succeeded(client, email)
        assert user.id is not None
        async with transaction(self.session):
            if upgraded_hash is not None:  # old scheme or cost: store the stronger hash now
                await self.users.update(user, {"hashed_password": upgraded_hash})
            auth_session = AuthSession(
                id=new_id(),
                user_id=user.id,
                expires_at=utcnow() + timedelta(days=self.settings.REFRESH_TOKEN_DAYS),
            )
            await self.tokens.add_session(auth_session)
            return await self._issue_pair(user, auth_session.id)

    async def refresh(self, refresh_token: str) -> TokenPair:
        claims = decode_token(self.settings, refresh_token, "refresh")
        async with transaction(self.session):
            found = await self.tokens.find_refresh_token(hash_token(refresh_token))
            if found is None:
                raise Unauthorized(INVALID_REFRESH)
            stored, auth_session = found
            if auth_session.revoked_at is not None or auth_session.expires_at <= utcnow():
                raise Unauthorized(INVALID_REFRESH)
            if stored.used_at is not None:
                if not self._within_reuse_leeway(stored.used_at):
                    # A used token presented again means it leaked: end the whole family.
                    await self.tokens.revoke_sessions(claims.user_id, session_ids=[auth_session.id])
            elif await self.tokens.mark_used(stored):
                user = await self.users.get(claims.user_id)
                if user is not None and user.is_active:
                    return await self._issue_pair(user, auth_session.id)
            # else a concurrent request with the same token won the race: its pair stands.
        raise Unauthorized(INVALID_REFRESH)

    def _within_reuse_leeway(self, used_at: datetime) -> bool:
        """A double submit or concurrent tabs, rather than a stolen token presented later."""
        return utcnow() - used_at <= timedelta(seconds=self.settings.REFRESH_REUSE_LEEWAY_SECONDS)

    async def logout(self, claims: TokenClaims, refresh_token: str | None) -> None:
        async with transaction(self.session):
            await self.tokens.revoke_access_token(claims)
            session_ids = [claims.session_id]
            if refresh_token:
                found = await self.tokens.find_refresh_token(hash_token(refresh_token))
                if found is not None:
                    session_ids.append(found[1].id)
            await self.tokens.revoke_sessions(claims.user_id, session_ids=session_ids)

    async def logout_all(self, claims: TokenClaims) -> None:
        async with transaction(self.session):
            await self.tokens.revoke_access_token(claims)
            await self.tokens.revoke_sessions(claims.user_id)

    async def change_password(self, claims: TokenClaims, current: str, new: str) -> None:
        user = await self.users.get(claims.user_id)
        if user is None:
            raise Unauthorized("Invalid or expired token")
        valid, _ = await verify_password(current, user.hashed_password)
        if not valid:
            raise BadRequest("Current password is incorrect")
        new_hash = await hash_password(new)
        async with transaction(self.session):
            await self.users.update(user, {"hashed_password": new_hash})
            await self.tokens.revoke_sessions(claims.user_id, keep=claims.session_id)

    async def prune_expired(self) -> tuple[int, int]:
        async with transaction(self.session):
            return await self.tokens.prune_expired(utcnow())

    async def _issue_pair(self, user: User, session_id: str) -> TokenPair:
        assert user.id is not None
        access, _ = encode_token(self.settings, user.id, session_id, "access")
        refresh, _ = encode_token(self.settings, user.id, session_id, "refresh")
        await self.tokens.add_refresh_token(session_id, hash_token(refresh))
        return TokenPair(access_token=access, refresh_token=refresh, expires_in=self.settings.ACCESS_TOKEN_MINUTES * 60)
