"""Routing beside Starlette's: a trailing slash served without a redirect."""

from starlette.types import ASGIApp, Receive, Scope, Send


class TrailingSlashMiddleware:
    """Serves `/users/` as `/users`: the route answers, where Starlette would redirect (307).

    A redirect loses a POST's body with clients that do not follow it (curl without `-L`),
    so a path's trailing slash is dropped before routing. The root path stays `/`.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            if len(path) > 1 and path.endswith("/"):
                scope = {**scope, "path": path.rstrip("/") or "/"}
                raw_path = scope.get("raw_path")
                if raw_path:
                    scope["raw_path"] = raw_path.rstrip(b"/") or b"/"
        await self.app(scope, receive, send)
