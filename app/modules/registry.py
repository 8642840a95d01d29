"""The domain modules the platform serves. A new module is one folder, one line here and
one line in app/main.py's `DOMAIN_ROUTERS`.

A module's name is its package under app/modules/ and its RBAC permission module. This file
imports no module: the permission catalogue and the seeds read it, and `create_app` serves
each module's router, with the history routes (app.audit.history_routes) added.
"""

from typing import Final

from app.core.ownership import OwnedBy

DOMAIN_MODULES: Final = ("users", "posts", "products", "tasks", "customers")

# Modules whose rows have an owner: roles may grant `create:own`, `update:own` and `delete:own`
# on them (the catalogue's scopes), and their service holds every write to it (`owned_by`).
OWNED_BY: Final = {
    "posts": OwnedBy("posts", "user_id"),
    "tasks": OwnedBy("tasks", "assignee_id"),
}
