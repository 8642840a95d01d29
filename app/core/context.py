"""Per-request context shared by logs, audit rows and events without passing it around."""

from contextvars import ContextVar

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
actor_id_var: ContextVar[int | None] = ContextVar("actor_id", default=None)
# The API key the actor presented, if it presented one.
api_key_id_var: ContextVar[int | None] = ContextVar("api_key_id", default=None)


def current_request_id() -> str | None:
    return request_id_var.get()


def current_actor_id() -> int | None:
    return actor_id_var.get()


def current_api_key_id() -> int | None:
    return api_key_id_var.get()
