"""The key itself: `ak_` + a public prefix + `_` + a secret of 256 random bits."""

import hashlib
import hmac
import secrets

KEY_MARK = "ak_"
_PREFIX_LENGTH = len(KEY_MARK) + 12
_SECRET_BYTES = 32  # 256 bits: no one guesses it, so a fast hash is the right one to store


def new_key() -> tuple[str, str]:
    """(prefix, key): the prefix is shown in lists; the key only once, to its creator."""
    prefix = KEY_MARK + secrets.token_hex(6)
    return prefix, f"{prefix}_{secrets.token_urlsafe(_SECRET_BYTES)}"


def is_api_key(credential: str) -> bool:
    return credential.startswith(KEY_MARK)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def prefix_of(key: str) -> str | None:
    """The prefix of a well-formed key, else None."""
    if len(key) <= _PREFIX_LENGTH + 1 or key[_PREFIX_LENGTH] != "_" or not key.isascii():
        return None
    return key[:_PREFIX_LENGTH]


def matches(stored_hash: str, key: str) -> bool:
    # Constant time: how long the comparison takes says nothing of how much of the hash matched.
    return hmac.compare_digest(stored_hash, hash_key(key))
