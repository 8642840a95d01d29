"""Per-request context shared by logs, audit rows and events without passing it around."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
actor_id_var: ContextVar[int | None] = ContextVar("actor_id", default=None)
change_reason_var: ContextVar[str | None] = ContextVar("change_reason", default=None)
# The API key the actor presented, if it presented one.
api_key_id_var: ContextVar[int | None] = ContextVar("api_key_id", default=None)


def current_request_id() -> str | None:
    return request_id_var.get()


def current_actor_id() -> int | None:
    return actor_id_var.get()


def current_change_reason() -> str | None:
    return change_reason_var.get()


@contextmanager
def change_reason(reason: str) -> Iterator[None]:
    """Label the audit rows of the writes made inside the block (e.g. "revert:3")."""
    token = change_reason_var.set(reason)
    try:
        yield
    finally:
        change_reason_var.reset(token)


def current_api_key_id() -> int | None:
    return api_key_id_var.get()
