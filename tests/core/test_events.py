import pytest

from app.auth.accounts import User
from app.core.events import event_data, topic_matches


@pytest.mark.parametrize(
    ("pattern", "routing_key", "expected"),
    [
        ("user.*", "user.created", True),
        ("user.*", "user.created.late", False),
        ("user.*", "product.created", False),
        ("*.deleted", "task.deleted", True),
        ("#", "user.created", True),
        ("user.#", "user", True),
        ("user.#", "user.a.b", True),
        ("#.created", "user.created", True),
        ("#.created", "user.updated", False),
    ],
)
def test_topic_matches_like_the_broker(pattern: str, routing_key: str, expected: bool) -> None:
    assert topic_matches(pattern, routing_key) is expected


def test_event_data_leaves_secrets_out() -> None:
    user = User(id=7, email="ann@example.com", name="Ann", hashed_password="$argon2id$secret")

    data = event_data(user)

    assert data["id"] == 7
    assert data["email"] == "ann@example.com"
    assert "hashed_password" not in data
    assert not any("password" in key for key in data)
