"""`GET /`: a small page that points people at the docs; the favicon; ReDoc's bundle with no outside requests."""

from functools import cache
from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse, HTMLResponse

router = APIRouter(include_in_schema=False)

ASSETS = Path(fastapi_offline.__file__).parent / "static"
# The bundle's "API docs by Redocly" footer loads this image from the internet on every visit.
REDOC_CDN_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"
REDOC_JS_PATH = "/docs-assets/redoc.standalone.js"
ONE_DAY = "public, max-age=86400"

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<link rel="icon" href="{root}/favicon.ico"></head>
<body>
<h1>{title}</h1>
<p>Version {version}. Users, posts, products, tasks and customers behind JWT and RBAC.</p>
<ul>
<li><a href="{root}/docs">Interactive API docs (Swagger UI)</a></li>
<li><a href="{root}/redoc">Reference (ReDoc)</a></li>
<li><a href="{root}/openapi.json">OpenAPI schema</a></li>
<li><a href="{root}/health/ready">Readiness</a></li>
</ul>
</body></html>
"""


@router.get("/", response_class=HTMLResponse)
async def landing(request: Request) -> str:
    app = request.app
    return PAGE.format(title=app.title, version=app.version, root=request.scope.get("root_path", ""))


@router.get("/favicon.ico")
async def favicon() -> FileResponse:
    return FileResponse(ASSETS / "favicon.png", media_type="image/png", headers={"Cache-Control": ONE_DAY})


@router.get(REDOC_JS_PATH)
def redoc_bundle() -> Response:  # a sync route: the first call reads the file, in the thread pool
    return Response(redoc_script(), media_type="text/javascript", headers={"Cache-Control": ONE_DAY})


@cache
def redoc_script() -> bytes:
    """The vendored ReDoc bundle, its footer logo taken from this service instead of a CDN."""
    return (ASSETS / "redoc.standalone.js").read_bytes().replace(REDOC_CDN_LOGO.encode(), b"/favicon.ico")
