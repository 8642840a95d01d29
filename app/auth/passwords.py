"""Password hashing: argon2id by default, bcrypt still verified and upgraded on login.

Hashing is CPU-bound for tens of milliseconds, so it always runs in a worker thread:
in the event loop it would stall every other request.
"""

import os

from anyio import CapacityLimiter, to_thread
from passlib.context import CryptContext

# m=32 MiB, t=2, p=1: about 50 ms per verify on a 2-core host (docs/AUTHENTICATION_GUIDE.md).
password_context = CryptContext(
    schemes=["argon2", "bcrypt"],
    deprecated="auto",
    argon2__type="ID",
    argon2__memory_cost=32768,
    argon2__time_cost=2,
    argon2__parallelism=1,
)

# Each argon2 call holds 32 MiB: more calls at once than cores only queue for the CPU and
# multiply the memory (thread arenas keep it), so they run at most one per core.
_hashing_slots = CapacityLimiter(os.cpu_count() or 1)

# Verified when the email is unknown, so that a miss costs as much as a wrong password.
_DUMMY_HASH = password_context.hash("dummy-password-for-timing")


async def hash_password(password: str) -> str:
    return await to_thread.run_sync(password_context.hash, password, limiter=_hashing_slots)


async def verify_password(password: str, hashed: str | None) -> tuple[bool, str | None]:
    """Check a password; also return a new hash when the stored one uses outdated parameters."""
    if hashed is None:
        await to_thread.run_sync(password_context.verify, password, _DUMMY_HASH, limiter=_hashing_slots)
        return False, None
    return await to_thread.run_sync(_verify_and_update, password, hashed, limiter=_hashing_slots)


def _verify_and_update(password: str, hashed: str) -> tuple[bool, str | None]:
    try:
        valid, new_hash = password_context.verify_and_update(password, hashed)
    except ValueError:  # an unrecognised or corrupt hash must not become a 500
        return False, None
    return bool(valid), new_hash
