"""The permission catalogue: which modules exist and what can be done in them."""

from typing import Final

ACTIONS: Final = ("read", "create", "update", "delete")
# Modules of the platform itself; domain modules come from app.modules.registry.
PLATFORM_MODULES: Final = ("roles", "audit")


def all_modules() -> tuple[str, ...]:
    # Imported here, not at module level: the domain routers import this package's
    # `require`, so the registry can only be read once they are all loaded.
    from app.modules.registry import DOMAIN_MODULES

    return (*DOMAIN_MODULES, *PLATFORM_MODULES)


def permission(module: str, action: str) -> str:
    return f"{module}:{action}"


def effective_actions(actions: list[str] | tuple[str, ...]) -> list[str]:
    """Granting a module at all grants its `read` (implicit read), in catalogue order."""
    granted = {"read", *actions}
    return [action for action in ACTIONS if action in granted]
