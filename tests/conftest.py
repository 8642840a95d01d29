"""The suite's fixtures live in tests/fixtures.py, registered here in the processes that run tests.

Under xdist the controller only hands tests to its workers: it never imports the app (a second
and a half before any worker can start), only the workers do.
"""

import os

import pytest

# Conftests below this one import it as a module, before it is registered as a plugin.
pytest.register_assert_rewrite("tests.fixtures")


@pytest.hookimpl(trylast=True)  # after xdist's own, which registers its controller as "dsession"
def pytest_configure(config: pytest.Config) -> None:
    if not config.pluginmanager.has_plugin("dsession"):
        config.pluginmanager.import_plugin("tests.fixtures")


def pytest_sessionstart(session: pytest.Session) -> None:  # noqa: ARG001 - pytest's hook signature
    """A service the run names but cannot reach fails the run at once, before any worker starts."""
    urls = [os.environ.get(name) or None for name in ("TEST_DATABASE_URL", "TEST_REDIS_URL", "TEST_RABBITMQ_URL")]
    if any(urls):
        from tests.preflight import require_named_services  # here: its drivers cost nothing when none is named

        require_named_services(*urls)
