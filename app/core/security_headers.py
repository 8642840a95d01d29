"""Security headers on every response, from one pure ASGI middleware.

A route or a mount that sets one of these headers itself keeps its own value: a page with
stricter needs (its own Content-Security-Policy) just sets it on its response.
"""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Same-origin scripts and styles only, no inline ones; Swagger UI draws its icons from data: URIs.
HTML_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
CSP = b"content-security-policy"
CONTENT_TYPE = b"content-type"


def security_headers(hsts_seconds: int) -> list[tuple[bytes, bytes]]:
    headers = [
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"no-referrer"),
    ]
    if hsts_seconds > 0:  # only for a deployment served over HTTPS: browsers then refuse plain HTTP
        headers.append((b"strict-transport-security", f"max-age={hsts_seconds}; includeSubDomains".encode()))
    return headers


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, hsts_seconds: int = 0) -> None:
        self.app = app
        self.headers = security_headers(hsts_seconds)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = self._added(list(message.get("headers", ())))
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _added(self, headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
        present = {name.lower() for name, _ in headers}
        headers.extend(header for header in self.headers if header[0] not in present)
        if CSP not in present and any(
            name.lower() == CONTENT_TYPE and value.startswith(b"text/html") for name, value in headers
        ):
            headers.append((CSP, HTML_CSP.encode()))
        return headers
