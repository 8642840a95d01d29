"""`GET /`: a small page that points people at the docs."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body style="font-family: sans-serif; max-width: 40rem; margin: 3rem auto">
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
