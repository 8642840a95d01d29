"""Route permissions.

PLACEHOLDER: the RBAC work replaces this file with the real `require`, which checks the
caller's permissions and sets `app.core.context.actor_id_var`. Until then every caller
is allowed, so routes can already declare the permission they need.
"""

from typing import Any

from fastapi import Depends


async def _allow_all() -> None:
    """Placeholder: no authentication yet."""


def require(module: str, action: str) -> Any:  # noqa: ARG001 - the placeholder ignores what RBAC will check
    """The dependency a route declares, e.g. `dependencies=[require("audit", "read")]`."""
    return Depends(_allow_all)
