"""The permission catalogue: which modules exist, what can be done in them, and with which scopes."""

from typing import Final

from app.core.ownership import OWN, SCOPED_ACTIONS, holds
from app.modules.registry import DOMAIN_MODULES, OWNED_BY

ACTIONS: Final = ("read", "create", "update", "delete")
# Modules of the platform itself; domain modules come from app.modules.registry.
PLATFORM_MODULES: Final = ("roles", "audit")


def all_modules() -> tuple[str, ...]:
    return (*DOMAIN_MODULES, *PLATFORM_MODULES)


def permission(module: str, action: str) -> str:
    return f"{module}:{action}"


def scopes(module: str) -> list[str]:
    """The scopes a role may grant writes on `module` with: ["own"] where its rows have an owner."""
    return [OWN] if module in OWNED_BY else []


def grantable_actions(module: str) -> list[str]:
    """Every action a role may grant on `module`, scoped ones (`update:own`) after each action."""
    scoped = OWN in scopes(module)
    return [
        granted
        for action in ACTIONS
        for granted in (action, f"{action}:{OWN}")
        if granted == action or (scoped and action in SCOPED_ACTIONS)
    ]


def effective_actions(actions: list[str] | tuple[str, ...]) -> list[str]:
    """Granting a module at all grants its `read` (implicit read), and an unscoped action makes its
    `:own` redundant (it is dropped); in catalogue order."""
    granted = {"read", *actions}
    ordered = [f"{action}{suffix}" for action in ACTIONS for suffix in ("", f":{OWN}")]
    return [action for action in ordered if action in granted and not holds(granted - {action}, action)]
