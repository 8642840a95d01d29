"""`/admin`: the admin console, a page and static files that call the public API from the browser.

Nothing here reads or writes the database: every click is an API request with the signed-in
user's token, so RBAC, the delegation ceiling, audit and events apply as for any client.
"""

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

STATIC_DIR = Path(__file__).parent / "static"
PAGE = (Path(__file__).parent / "index.html").read_text()
# Same-origin everything, nothing inline: a script injected into a page could not run.
CONSOLE_CSP = "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
HEADERS = {"Content-Security-Policy": CONSOLE_CSP, "Cache-Control": "no-cache"}  # no-cache: revalidated, by ETag


class ConsoleFiles(StaticFiles):
    """The console's scripts, stylesheet and icon, each answered with the console's headers."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers.update(HEADERS)
        return response


router = APIRouter(include_in_schema=False)


@router.get("/admin", response_class=HTMLResponse)
@router.get("/admin/", response_class=HTMLResponse)
async def console_page(request: Request) -> HTMLResponse:
    """The console's one page, with and without the trailing slash; its assets by absolute path."""
    root = request.scope.get("root_path", "") + request.app.state.settings.API_PREFIX
    return HTMLResponse(PAGE.format(assets=f"{root}/admin/static"), headers=HEADERS)


console_files = ConsoleFiles(directory=STATIC_DIR)
