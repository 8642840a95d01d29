"""The console's page and files: served from the package under its CSP, and nothing in them it would refuse."""

import re
from pathlib import Path

from fastapi import FastAPI

from app.admin.routers import CONSOLE_CSP, PAGE, STATIC_DIR
from app.core.config import Settings
from tests.fixtures import running_app
from tests.identities import client_for

FILES = sorted(path for path in STATIC_DIR.rglob("*") if path.is_file())


def text_of(suffix: str) -> dict[Path, str]:
    return {path: path.read_text() for path in FILES if path.suffix == suffix}


def test_nothing_inline_and_nothing_from_another_origin() -> None:
    pages = {Path("index.html"): PAGE}
    for path, page in pages.items():
        scripts = re.findall(r"<script\b[^>]*>", page)
        assert scripts, path
        assert all(re.search(r'\bsrc="[^":]+"', tag) for tag in scripts), f"{path}: an inline script"
        assert not re.search(r"<style\b|\sstyle=|\son[a-z]+=", page), f"{path}: inline style or handler"
    for path, source in {**pages, **text_of(".js"), **text_of(".css")}.items():
        assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}/", source), f"{path}: an address elsewhere"
    for path, source in text_of(".js").items():  # values from the API land as text, never as markup
        assert not re.search(r"\.(inner|outer)HTML\s*=|insertAdjacentHTML|document\.write", source), path


async def test_served_with_the_console_csp(app: FastAPI) -> None:
    async with client_for(app) as http:
        pages = [await http.get("/admin", follow_redirects=False), await http.get("/admin/", follow_redirects=False)]
        files = [await http.get(f"/admin/static/{path.relative_to(STATIC_DIR)}") for path in FILES]
        missing = await http.get("/admin/static/js/nothing.js")
    for response in [*pages, *files]:
        assert response.status_code == 200, response.url
        assert response.headers["Content-Security-Policy"] == CONSOLE_CSP
    for page in pages:
        assert page.headers["Content-Type"].startswith("text/html")
        assert '<script type="module" src="/admin/static/js/main.js">' in page.text
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")


async def test_under_api_prefix(settings: Settings) -> None:
    prefixed_settings = settings.model_copy(update={"API_PREFIX": "/api"})
    async with running_app(prefixed_settings) as prefixed, client_for(prefixed) as http:
        page = await http.get("/api/admin")
        script = await http.get("/api/admin/static/js/main.js")
        unprefixed = await http.get("/admin")
    assert page.status_code == 200
    assert 'src="/api/admin/static/js/main.js"' in page.text
    assert script.status_code == 200
    assert unprefixed.status_code == 404
