"""API keys: creation, listing and revocation, and verifying a presented key.

A key acts as its owner, limited to its own permissions and never beyond what the owner
holds now: both are read on every verification (which the principal cache keeps until
anything auth-related changes, as it does for tokens).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.auth.accounts import User, UserRepository
from app.auth.api_keys.keys import hash_key, matches, new_key, prefix_of
from app.auth.api_keys.models import ApiKey
from app.auth.api_keys.repository import ApiKeyRepository
from app.auth.api_keys.schemas import ApiKeyCreated, ApiKeyRead
from app.auth.principal_cache import VerifiedCaller
from app.auth.rbac.ceiling import ensure_may_manage_user, ensure_within_ceiling, grant_permissions
from app.auth.rbac.repository import RoleRepository
from app.auth.rbac.service import normalize_grants
from app.core.database import transaction
from app.core.errors import NotFound, Unauthorized
from app.core.models import utcnow
from app.core.ownership import Holder, holds, scoped
from app.core.pagination import Page, Pagination, SortField

INVALID_KEY = "Invalid or expired API key"


@dataclass(frozen=True, slots=True)
class Owner:
    """A key's owner as the delegation ceiling sees a caller: what it holds now."""

    id: int
    is_superuser: bool
    permissions: frozenset[str]


def effective_permissions(
    grants: dict[str, list[str]] | None, owner_is_superuser: bool, owner_permissions: frozenset[str]
) -> tuple[bool, frozenset[str]]:
    """(acts as a superuser, permissions) of a key: its grants ∩ what its owner holds now.

    A superuser's key with grants of its own is no superuser: it holds those grants only.
    An unscoped grant whose owner now holds only its `:own` is narrowed to that.
    """
    if grants is None:
        return owner_is_superuser, owner_permissions
    granted = grant_permissions(grants)
    if owner_is_superuser:
        return False, frozenset(granted)
    kept = {wanted for wanted in granted if holds(owner_permissions, wanted)}
    narrowed = {scoped(wanted) for wanted in granted - kept if scoped(wanted) in owner_permissions}
    return False, frozenset(kept | narrowed)


async def verify_api_key(session: AsyncSession, key: str) -> VerifiedCaller:
    """The caller a presented key stands for; unknown, expired or an inactive owner's: 401."""
    prefix = prefix_of(key)
    found = await ApiKeyRepository(session).find_with_owner(prefix) if prefix is not None else None
    if found is None:
        raise Unauthorized(INVALID_KEY)
    api_key, owner_active, owner_is_superuser = found
    if not matches(api_key.key_hash, key) or not owner_active or _expired(api_key.expires_at):
        raise Unauthorized(INVALID_KEY)
    owner_permissions = (
        frozenset() if owner_is_superuser else frozenset(await RoleRepository(session).permissions_of(api_key.user_id))
    )
    is_superuser, permissions = effective_permissions(api_key.permissions, owner_is_superuser, owner_permissions)
    assert api_key.id is not None
    return VerifiedCaller(api_key.user_id, is_superuser, permissions, api_key.id, api_key.expires_at)


def _expired(expires_at: datetime | None) -> bool:
    return expires_at is not None and expires_at <= utcnow()


class ApiKeyService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.keys = ApiKeyRepository(session)
        self.users = UserRepository(session)

    async def create(self, owner_id: int, values: dict[str, Any]) -> ApiKeyCreated:
        """A new key for `owner_id`, whose secret is returned this once and stored only hashed."""
        grants = values.get("permissions")
        grants = normalize_grants(grants) if grants is not None else None
        async with transaction(self.session):
            owner = await self._user(owner_id)
            await self._ensure_owner_holds(owner, grants)
            prefix, key = new_key()
            api_key = await self.keys.add(
                ApiKey(
                    user_id=owner_id,
                    name=values["name"],
                    prefix=prefix,
                    key_hash=hash_key(key),
                    permissions=grants,
                    expires_at=values.get("expires_at"),
                )
            )
        return ApiKeyCreated.model_validate({**api_key.model_dump(), "key": key})

    async def list_of(self, user_id: int, pagination: Pagination, sort: Sequence[SortField]) -> Page[ApiKeyRead]:
        page = await self.keys.page(
            filters=[col(ApiKey.user_id) == user_id], sort=sort, skip=pagination.skip, limit=pagination.limit
        )
        return Page(await self._reads(page.items), page.total)

    async def get_of(self, user_id: int, key_id: int) -> ApiKeyRead:
        return (await self._reads([await self._key_of(user_id, key_id)]))[0]

    async def revoke(self, user_id: int, key_id: int) -> None:
        """Delete the key: every process refuses it from the next request (the after-commit hook)."""
        async with transaction(self.session):
            await self.keys.delete(await self._key_of(user_id, key_id))

    async def owner_for_admin(self, caller: Holder, user_id: int) -> User:
        """The user whose keys an admin lists or revokes: 404 if none, 403 above the caller's ceiling."""
        user = await self._user(user_id)
        await ensure_may_manage_user(self.session, caller, user)
        return user

    async def _user(self, user_id: int) -> User:
        user = await self.users.get(user_id)
        if user is None:
            raise NotFound(f"User {user_id} not found")
        return user

    async def _key_of(self, user_id: int, key_id: int) -> ApiKey:
        api_key = await self.keys.get(key_id)
        if api_key is None or api_key.user_id != user_id:
            raise NotFound(f"API key {key_id} not found")
        return api_key

    async def _ensure_owner_holds(self, owner: User, grants: dict[str, list[str]] | None) -> None:
        # A key never holds more than its owner; asking for more is refused rather than silently cut.
        if grants is None or owner.is_superuser:
            return
        assert owner.id is not None
        held = frozenset(await RoleRepository(self.session).permissions_of(owner.id))
        ensure_within_ceiling(Owner(owner.id, owner.is_superuser, held), grant_permissions(grants))

    async def _reads(self, keys: Sequence[ApiKey]) -> list[ApiKeyRead]:
        used = await self.keys.last_used([key.id for key in keys if key.id is not None])
        return [ApiKeyRead.model_validate({**key.model_dump(), "last_used_at": used.get(key.id or 0)}) for key in keys]
