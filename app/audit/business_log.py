"""The business-event log line, e.g. `[AUDIT] CREATE_USER | User 1 created`.

Built from the audit rows a transaction committed. During a request the lines wait in a
per-request buffer and are written after the response has been sent (the client never
waits on them); outside a request (CLI, seeds) they are written at commit.
"""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

import structlog

logger = structlog.get_logger("app.audit")

_VERBS = {"INSERT": ("CREATE", "created"), "UPDATE": ("UPDATE", "updated"), "DELETE": ("DELETE", "deleted")}
_WORD_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")

_request_buffer: ContextVar[list["BusinessEvent"] | None] = ContextVar("audit_business_events", default=None)


@dataclass(frozen=True, slots=True)
class BusinessEvent:
    action: str
    entity_name: str
    entity_id: int | None
    changed_fields: list[str]

    def line(self) -> str:
        verb, past = _VERBS[self.action]
        code = f"{verb}_{_WORD_BOUNDARY.sub('_', self.entity_name).upper()}"
        subject = f"{self.entity_name} {self.entity_id}" if self.entity_id is not None else self.entity_name
        fields = f" ({', '.join(self.changed_fields)})" if self.action == "UPDATE" and self.changed_fields else ""
        return f"[AUDIT] {code} | {subject} {past}{fields}"


def publish_business_events(events: list[BusinessEvent]) -> None:
    buffer = _request_buffer.get()
    if buffer is None:
        log_business_events(events)
    else:
        buffer.extend(events)


def log_business_events(events: list[BusinessEvent]) -> None:
    for item in events:
        logger.info(item.line(), action=item.action, entity=item.entity_name, entity_id=item.entity_id)


@contextmanager
def deferred_business_events() -> Iterator[list[BusinessEvent]]:
    """Hold the events committed inside the block; the caller logs them when it chooses."""
    buffer: list[BusinessEvent] = []
    token = _request_buffer.set(buffer)
    try:
        yield buffer
    finally:
        _request_buffer.reset(token)
