"""JWT access and refresh tokens (python-jose), only ever in the configured algorithm."""

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, Literal

from jose import JWTError, jwt

from app.core.config import Settings
from app.core.errors import Unauthorized
from app.core.models import utcnow

TokenType = Literal["access", "refresh"]
REQUIRED_CLAIMS = ("sub", "exp", "iat", "jti", "type", "iss", "aud", "sid")


@dataclass(frozen=True, slots=True)
class TokenClaims:
    user_id: int
    session_id: str
    jti: str
    type: TokenType
    expires_at: datetime


def new_id() -> str:
    return str(uuid.uuid4())


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def encode_token(settings: Settings, user_id: int, session_id: str, token_type: TokenType) -> tuple[str, TokenClaims]:
    now = utcnow()
    lifetime = (
        timedelta(minutes=settings.ACCESS_TOKEN_MINUTES)
        if token_type == "access"
        else timedelta(days=settings.REFRESH_TOKEN_DAYS)
    )
    claims = TokenClaims(user_id, session_id, new_id(), token_type, now + lifetime)
    payload: dict[str, Any] = {
        "sub": str(user_id),
        "sid": session_id,
        "jti": claims.jti,
        "type": token_type,
        "iat": int(now.timestamp()),
        "exp": int(claims.expires_at.timestamp()),
        "iss": settings.JWT_ISSUER,
        "aud": settings.JWT_AUDIENCE,
    }
    return jwt.encode(payload, settings.JWT_SECRET, algorithm=settings.JWT_ALGORITHM), claims


def decode_token(settings: Settings, token: str, expected_type: TokenType) -> TokenClaims:
    """Verify signature, algorithm, expiry, issuer, audience and type; 401 on any failure."""
    try:
        payload = jwt.decode(
            token,
            settings.JWT_SECRET,
            algorithms=[settings.JWT_ALGORITHM],  # never trust the token's own `alg` header
            audience=settings.JWT_AUDIENCE,
            issuer=settings.JWT_ISSUER,
            options={"require_" + claim: True for claim in ("exp", "iat", "sub", "jti", "iss", "aud")},
        )
    except JWTError as exc:
        raise Unauthorized("Invalid or expired token") from exc
    if any(claim not in payload for claim in REQUIRED_CLAIMS) or payload["type"] != expected_type:
        raise Unauthorized("Invalid or expired token")
    try:
        user_id = int(payload["sub"])
    except (TypeError, ValueError) as exc:
        raise Unauthorized("Invalid or expired token") from exc
    expires_at = datetime.fromtimestamp(payload["exp"], tz=utcnow().tzinfo)
    return TokenClaims(user_id, str(payload["sid"]), str(payload["jti"]), expected_type, expires_at)


class AccessTokenDecoder:
    """`decode_token` for access tokens, remembering the ones already verified.

    A client sends the same access token on every request until it expires. Checking its
    signature and claims again each time cost about a tenth of an authenticated read, and
    the answer cannot change: the result is kept per token string (a bounded LRU) and only
    the expiry is checked again. Tokens that fail are never kept, so they are verified in
    full, and revocation is not decided here (see `get_principal`).
    """

    def __init__(self, settings: Settings, max_entries: int = 10_000) -> None:
        def verify(token: str) -> TokenClaims:
            return decode_token(settings, token, "access")

        self._verify = lru_cache(maxsize=max_entries)(verify)

    def decode(self, token: str) -> TokenClaims:
        claims = self._verify(token)
        if claims.expires_at <= utcnow():
            raise Unauthorized("Invalid or expired token")
        return claims
