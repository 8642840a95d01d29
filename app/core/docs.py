"""`/docs` (Swagger UI) and `/redoc` from fastapi-offline's vendored assets, with no inline
script or style: their Content-Security-Policy then allows same-origin scripts and styles only.

FastAPI's own pages start Swagger UI from an inline `<script>`; here that call is a
same-origin file, `/docs/swagger-init.js`, which reads the schema's URL from the page.
ReDoc writes its styles into `<style>` elements as it renders (styled-components) and fails
without them: `/redoc` alone also allows inline styles. Its scripts stay same-origin only.
"""

from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.core.landing import REDOC_JS_PATH  # the bundle, its footer logo served from here
from app.core.security_headers import HTML_CSP

router = APIRouter(include_in_schema=False)
STATIC = "/static-offline-docs"  # where FastAPIOffline mounts its assets

SWAGGER_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title} - Swagger UI</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="{static}/swagger-ui.css"><link rel="icon" href="{root}/favicon.ico"></head>
<body><div id="swagger-ui" data-openapi-url="{openapi}"></div>
<script src="{static}/swagger-ui-bundle.js"></script><script src="{root}/docs/swagger-init.js"></script>
</body></html>
"""
SWAGGER_INIT = """SwaggerUIBundle({
  url: document.getElementById("swagger-ui").dataset.openapiUrl,
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  deepLinking: true,
  showExtensions: true,
  showCommonExtensions: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
});
"""
REDOC_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title} - ReDoc</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="{root}/favicon.ico"></head>
<body><redoc spec-url="{openapi}"></redoc><script src="{root}{redoc_js}"></script></body></html>
"""


# ReDoc's search runs in a worker it creates from a blob: URL.
REDOC_CSP = HTML_CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'") + "; worker-src 'self' blob:"


def _page(template: str, request: Request, headers: dict[str, str] | None = None) -> HTMLResponse:
    root = escape(request.scope.get("root_path", ""))
    openapi = f"{root}{request.app.openapi_url}"
    return HTMLResponse(
        headers=headers,
        content=template.format(
            title=escape(request.app.title),
            root=root,
            static=f"{root}{STATIC}",
            openapi=openapi,
            redoc_js=REDOC_JS_PATH,
        ),
    )


@router.get("/docs")
async def swagger_ui(request: Request) -> HTMLResponse:
    return _page(SWAGGER_PAGE, request)


@router.get("/docs/swagger-init.js")
async def swagger_init() -> Response:
    return Response(SWAGGER_INIT, media_type="text/javascript")


@router.get("/redoc")
async def redoc(request: Request) -> HTMLResponse:
    return _page(REDOC_PAGE, request, {"Content-Security-Policy": REDOC_CSP})
