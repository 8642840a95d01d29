"""JWT access and refresh tokens (python-jose), only ever in the configured algorithm."""

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, Literal

from jose import JWTError, jwt

from app.core.config import Settings
from app.core.errors import Unauthorized
from app.core.models import MAX_ID, utcnow

TokenType = Literal["access", "refresh"]
REQUIRED_CLAIMS = ("sub", "exp", "iat", "jti", "type", "iss", "aud", "sid")
# A token issued further in the future than this is refused (clocks of issuers drift a little).
MAX_CLOCK_SKEW_SECONDS = 60
_ID_LENGTH = 36  # `jti` and `sid` are UUIDs, stored in columns of this size


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
    claims = _well_formed(payload, expected_type)
    if claims is None:
        # Signed by us yet malformed: refused like any other bad token, never a 500 further on.
        raise Unauthorized("Invalid or expired token")
    return claims


def _well_formed(payload: dict[str, Any], token_type: TokenType) -> TokenClaims | None:
    """The claims, when each has the shape we issue: a 32-bit user id, numeric times, short ids."""
    sub, exp, iat, sid, jti = (payload[claim] for claim in ("sub", "exp", "iat", "sid", "jti"))
    if not (isinstance(sub, str) and 0 < len(sub) <= 10 and sub.isascii() and sub.isdigit() and 0 < int(sub) <= MAX_ID):
        return None
    if not all(isinstance(value, int | float) and not isinstance(value, bool) for value in (exp, iat)):
        return None
    if iat > utcnow().timestamp() + MAX_CLOCK_SKEW_SECONDS:
        return None
    if not all(isinstance(value, str) and 0 < len(value) <= _ID_LENGTH for value in (sid, jti)):
        return None
    try:
        expires_at = datetime.fromtimestamp(exp, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return TokenClaims(int(sub), sid, jti, token_type, expires_at)


class AccessTokenDecoder:
    """`decode_token` for access tokens, remembering the ones already verified.

    A client sends the same access token on every request until it expires. Checking its
    signature and claims again each time cost about a tenth of an authenticated read, and
    the answer cannot change: the result is kept per token string (a bounded LRU) and only
    the expiry is checked again. Tokens that fail are never kept, so they are verified in
    full, and revocation is not decided here (see `authenticate`).
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
