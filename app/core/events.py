"""What an event is, how a resource becomes its data, and the handlers that receive events."""

from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from typing import Any

import structlog
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

from app.core.secrets import is_secret_field

logger = structlog.get_logger("app.events")


class EventEnvelope(BaseModel):
    """The message format (docs/EVENTS.md): the same on the wire and for in-process handlers."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    event_id: str = Field(min_length=1, max_length=64)
    type: str = Field(min_length=1, max_length=100)
    occurred_at: datetime
    trace_id: str | None = None
    actor_id: int | None = None
    data: dict[str, Any]
    # The W3C trace context the event continues (the writing request's span, then the publish
    # span's). Not in the body (`exclude`): on the wire it is the `traceparent` header.
    traceparent: str | None = Field(default=None, max_length=55, exclude=True)

    @property
    def resource(self) -> str:
        return self.type.split(".", 1)[0]


def event_data(instance: SQLModel) -> dict[str, Any]:
    """The resource as JSON, without secret fields."""
    dumped = instance.model_dump(mode="json")
    return {name: dumped[name] for name in type(instance).model_fields if name in dumped and not is_secret_field(name)}


def topic_matches(pattern: str, routing_key: str) -> bool:
    """AMQP topic matching: `*` is exactly one word, `#` zero or more words."""
    return _words_match(pattern.split("."), routing_key.split("."))


def _words_match(pattern: list[str], words: list[str]) -> bool:
    if not pattern:
        return not words
    head, rest = pattern[0], pattern[1:]
    if head == "#":
        return any(_words_match(rest, words[skip:]) for skip in range(len(words) + 1))
    return bool(words) and head in ("*", words[0]) and _words_match(rest, words[1:])


Handler = Callable[[EventEnvelope, AsyncSession], Awaitable[None]]


class EventHandlers:
    """Handlers by routing-key pattern; the session is the one the event's receipt is recorded in."""

    def __init__(self) -> None:
        self._routes: list[tuple[str, Handler]] = []

    def register(self, patterns: Iterable[str], handler: Handler) -> None:
        self._routes.extend((pattern, handler) for pattern in patterns)

    async def dispatch(self, event: EventEnvelope, session: AsyncSession) -> None:
        for pattern, handler in self._routes:
            if topic_matches(pattern, event.type):
                await handler(event, session)


async def log_received_event(event: EventEnvelope, _session: AsyncSession) -> None:
    logger.info(
        f"Received event {event.type} with {event.resource}_id={event.data.get('id')}",
        event_id=event.event_id,
        event_type=event.type,
        trace_id=event.trace_id,
        actor_id=event.actor_id,
    )


def default_handlers(bindings: Iterable[str]) -> EventHandlers:
    handlers = EventHandlers()
    handlers.register(bindings, log_received_event)
    return handlers
