"""The console in a real browser: Debian's Chromium driven by Playwright, against a uvicorn server.

One browser per test session (per xdist worker), one server per module; each test gets a fresh
browser context (its own sessionStorage), with every CSP violation and script error recorded.
A browser that cannot start fails these tests: they never skip.
"""

import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, ViewportSize, async_playwright

from app.core.config import Settings
from tests.servers import AppServer

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = ViewportSize(width=1280, height=800)
# `make screenshots` sets it to docs/admin_console: the pictures of docs/ADMIN_CONSOLE.md.
SCREENSHOTS = os.environ.get("CONSOLE_SCREENSHOTS")
# Runs in every page before its own scripts (injected by the browser, so the CSP does not apply to it).
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) =>
  window.reportViolation(`${event.violatedDirective} ${event.blockedURI}`));
"""


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


@pytest.fixture(scope="module")
async def console_server(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[AppServer]:
    """The app under uvicorn on this backend, one for a module's tests (a start costs a second or two
    of CPU): they ask for `committed`, so its tables are emptied before each. No list cache, a small
    pool. Stopping it flushes its access log, whose rows would otherwise land in the next module's tables.
    """
    served = settings.model_copy(update={"CACHE_TTL_SECONDS": 0, "DATABASE_POOL_SIZE": 3})
    server = AppServer(served, tmp_path_factory.mktemp("console"), "console")
    await server.start()
    yield server
    await server.stop()


@dataclass
class Console:
    """A browser tab on the console, and what went wrong in it."""

    page: Page
    base_url: str
    shots: Path
    violations: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    async def open(self, fragment: str = "") -> None:
        await self.page.goto(f"{self.base_url}/admin{fragment}")

    async def sign_in(self, email: str, password: str) -> None:
        await self.open()
        await self.page.get_by_label("Email").fill(email)
        await self.page.get_by_label("Password").fill(password)
        await self.page.get_by_role("button", name="Sign in").click()
        await self.page.locator("#nav a").first.wait_for()

    async def go(self, fragment: str) -> None:
        """Go to a page of the console as its links do, and wait until it is drawn."""
        await self.page.evaluate("(fragment) => { location.hash = fragment; }", fragment)
        await self.rendered(fragment)

    async def rendered(self, fragment: str) -> None:
        await self.page.locator(f'main[data-route="{fragment}"]:not([aria-busy])').wait_for()

    async def screenshot(self, name: str) -> None:
        """A picture for docs/ADMIN_CONSOLE.md, when `make screenshots` asks for them (nothing is checked in it)."""
        if not SCREENSHOTS:
            return
        await self.page.evaluate("window.scrollTo(0, 0)")
        await self.page.screenshot(path=self.shots / f"{name}.png")

    async def status(self) -> str:
        return await self.page.locator("#status").inner_text()


@pytest.fixture
async def console(browser: Browser, console_server: AppServer, tmp_path: Path) -> AsyncIterator[Console]:
    context = await browser.new_context(viewport=VIEWPORT)
    page = await context.new_page()
    opened = Console(page, console_server.base_url, Path(SCREENSHOTS) if SCREENSHOTS else tmp_path)
    opened.shots.mkdir(parents=True, exist_ok=True)
    await context.expose_function("reportViolation", lambda violation: opened.violations.append(violation))
    await context.add_init_script(REPORT_VIOLATIONS)
    page.on("pageerror", lambda error: opened.errors.append(str(error)))
    page.set_default_timeout(10_000)
    try:
        yield opened
    finally:
        await context.close()
    assert opened.violations == [], "the console broke its own Content-Security-Policy"
    assert opened.errors == [], "a script of the console failed"
