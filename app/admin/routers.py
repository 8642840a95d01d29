"""`/admin`: the admin console, static files that call the public API from the browser.

Nothing here reads or writes the database: every click is an API request with the signed-in
user's token, so RBAC, the delegation ceiling, audit and events apply as for any client.
"""

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

STATIC_DIR = Path(__file__).parent / "static"
# Same-origin everything, nothing inline: a script injected into a page could not run.
CONSOLE_CSP = "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"


class ConsoleFiles(StaticFiles):
    """The console's files, each answered with the console's Content-Security-Policy."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers["Content-Security-Policy"] = CONSOLE_CSP
        response.headers["Cache-Control"] = "no-cache"  # revalidated by ETag: an upgrade is seen at once
        return response


router = APIRouter(include_in_schema=False)


@router.get("/admin")
async def console_root(request: Request) -> RedirectResponse:
    """`/admin` -> `/admin/`, so the page's relative asset paths resolve under it."""
    return RedirectResponse(f"{request.url.path}/", status_code=308)


console_files = ConsoleFiles(directory=STATIC_DIR, html=True)
