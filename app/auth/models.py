"""Sessions (refresh-token families), refresh tokens and revoked access tokens."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from app.core.models import UTCDateTime, utcnow


class AuthSession(SQLModel, table=True):
    """One login: every refresh token rotated from it belongs to this family."""

    __tablename__ = "auth_sessions"

    id: str = Field(primary_key=True, max_length=36)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class RefreshToken(SQLModel, table=True):
    __tablename__ = "refresh_tokens"

    id: int | None = Field(default=None, primary_key=True)
    session_id: str = Field(foreign_key="auth_sessions.id", ondelete="CASCADE", index=True, max_length=36)
    # sha256 of the token: a leaked table does not hand out working tokens.
    token_hash: str = Field(max_length=64, unique=True)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class UserRevokedToken(SQLModel, table=True):
    """An access token's `jti` revoked before its expiry (logout)."""

    __tablename__ = "user_revoked_tokens"

    jti: str = Field(primary_key=True, max_length=36)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE", index=True)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)
