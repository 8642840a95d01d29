"""Against the real RabbitMQ: one persistent message per write, routed by its type, carrying the trace id."""

from app.core.config import Settings
from tests.broker import collecting, count_pending
from tests.servers import serving
from tests.waiting import eventually


async def test_each_write_is_published_with_its_type_as_routing_key(event_settings: Settings) -> None:
    assert event_settings.RABBITMQ_URL
    async with (
        collecting(event_settings.RABBITMQ_URL, event_settings.EVENTS_EXCHANGE) as deliveries,
        serving(event_settings) as (_, http, caller_id),
    ):
        body = {"email": "ann@example.com", "name": "Ann", "password": "secret-123"}
        user = (await http.post("/users", json=body, headers={"X-Request-Id": "trace-1"})).json()
        await http.patch(f"/users/{user['id']}", json={"name": "Anne"}, headers={"X-Request-Id": "trace-2"})
        await http.delete(f"/users/{user['id']}", headers={"X-Request-Id": "trace-3"})
        await deliveries.wait_for(4)  # the three writes and the `user.created` of the caller making them

    everything = deliveries.items
    items = [d for d in everything if d.body["data"]["id"] != caller_id]
    callers = [d for d in everything if d.body["data"]["id"] == caller_id]
    assert [(d.routing_key, d.body["type"]) for d in callers] == [("user.created", "user.created")]
    assert [d.routing_key for d in items] == ["user.created", "user.updated", "user.deleted"]
    assert [d.body["type"] for d in items] == ["user.created", "user.updated", "user.deleted"]
    assert [d.body["trace_id"] for d in items] == ["trace-1", "trace-2", "trace-3"]
    assert [d.headers["trace_id"] for d in items] == ["trace-1", "trace-2", "trace-3"]
    assert [d.body["actor_id"] for d in items] == [caller_id] * 3
    assert all(d.persistent for d in everything)
    assert all(d.message_id == d.body["event_id"] for d in everything)
    assert all(d.body["data"]["id"] == user["id"] for d in items)
    assert not any("hashed_password" in d.body["data"] for d in everything)


async def test_an_event_nobody_subscribes_to_is_still_marked_sent(event_settings: Settings) -> None:
    """Unroutable (no queue bound) is reported by the broker and logged, not retried forever."""
    assert event_settings.RABBITMQ_URL
    async with (
        collecting(event_settings.RABBITMQ_URL, event_settings.EVENTS_EXCHANGE, "product.*") as deliveries,
        serving(event_settings) as (application, http, _),
    ):
        created = await http.post("/users", json={"email": "bob@example.com", "name": "Bob"})
        assert created.status_code == 201, created.text

        async def drained() -> bool:
            return await count_pending(application.state.session_factory) == 0

        await eventually(drained, 10)

    assert deliveries.items == []
