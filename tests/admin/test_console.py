"""The admin console, clicked through in Chromium: what an administrator does, checked in the API."""

import json
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from playwright.async_api import expect

from app.admin.routers import CONSOLE_CSP
from tests.admin.conftest import Console
from tests.factories import PASSWORD, unique
from tests.identities import create_identity
from tests.servers import AppServer
from tests.waiting import wait_until

# The server is another process: it sees only what was committed.
pytestmark = pytest.mark.usefixtures("committed")

MODULES = ("users", "posts", "products", "tasks", "customers", "roles", "audit")
READ_EVERYTHING = {module: ["read"] for module in MODULES}


async def signed_in(app: FastAPI, console: Console, **identity: Any) -> tuple[int, str]:
    """A user with a password, signed in to the console; (id, an API token of theirs for checks)."""
    email = f"{unique('admin')}@example.com"
    user_id, token = await create_identity(app, email=email, password=PASSWORD, **identity)
    await console.sign_in(email, PASSWORD)
    return user_id, token


async def stored_tokens(console: Console) -> dict[str, str] | None:
    stored = await console.page.evaluate("sessionStorage.getItem('console.tokens')")
    return json.loads(stored) if stored else None


async def test_sign_in_refresh_and_sign_out(app: FastAPI, console: Console, console_server: AppServer) -> None:
    email = f"{unique('admin')}@example.com"
    await create_identity(app, is_superuser=True, email=email, password=PASSWORD)
    await console.open()
    await console.screenshot("sign-in")
    await console.page.get_by_label("Email").fill(email)
    await console.page.get_by_label("Password").fill("not-the-password")
    await console.page.get_by_role("button", name="Sign in").click()
    await expect(console.page.locator("#status")).to_have_text("Wrong email or password.")

    # By keyboard alone: the email field has the focus, Tab moves on, Enter signs in.
    await console.page.get_by_label("Email").fill("")
    await console.page.get_by_label("Password").fill("")
    await console.page.get_by_label("Email").focus()
    await console.page.keyboard.type(email)
    await console.page.keyboard.press("Tab")
    await console.page.keyboard.type(PASSWORD)
    await console.page.keyboard.press("Enter")
    await console.rendered("#/users")
    tokens = await stored_tokens(console)
    assert tokens is not None
    assert await console.page.evaluate("document.cookie") == ""
    assert tokens["access"] not in console.page.url
    assert tokens["refresh"] not in console.page.url

    # An access token the API refuses (expired, say) is replaced by a refresh, without a new sign-in.
    await console.page.evaluate(
        "() => { const t = JSON.parse(sessionStorage.getItem('console.tokens'));"
        " sessionStorage.setItem('console.tokens', JSON.stringify({...t, access: 'expired'})); }"
    )
    await console.go("#/roles")
    await expect(console.page.locator("main h1")).to_have_text("Roles")
    renewed = await stored_tokens(console)
    assert renewed is not None
    assert renewed["access"] not in ("expired", tokens["access"])

    # Signing out with an expired access token renews it first, then logs out that pair.
    await console.page.evaluate(
        "() => { const t = JSON.parse(sessionStorage.getItem('console.tokens'));"
        " sessionStorage.setItem('console.tokens', JSON.stringify({...t, access: 'expired'})); }"
    )
    async with console.page.expect_response(lambda r: r.url.endswith("/auth/logout") and r.status == 204) as logout:
        await console.page.get_by_role("button", name="Sign out").click()
    await console.page.get_by_role("button", name="Sign in").wait_for()
    assert await stored_tokens(console) is None
    request = (await logout.value).request
    access = request.headers["authorization"].removeprefix("Bearer ")
    refresh = json.loads(request.post_data or "{}")["refresh_token"]
    assert refresh != renewed["refresh"]
    async with console_server.client(token=access) as http:
        assert (await http.get("/auth/me")).status_code == 401
        assert (await http.post("/auth/refresh", json={"refresh_token": refresh})).status_code == 401


async def test_create_a_scoped_role_assign_it_and_find_the_change_in_the_audit(
    app: FastAPI, console: Console, console_server: AppServer
) -> None:
    _, token = await signed_in(app, console, is_superuser=True)
    page = console.page

    # A user, created in the console.
    await console.go("#/users")
    await console.screenshot("users")
    target_email = f"{unique('writer')}@example.com"
    await page.get_by_label("Email", exact=True).fill(target_email)
    await page.get_by_label("Name", exact=True).fill("Writer")
    await page.get_by_label("Password (optional)").fill(PASSWORD)
    await page.get_by_role("button", name="Create user").click()
    await expect(console.page.locator("main h1")).to_have_text(target_email)
    target_id = int(page.url.rsplit("/", 1)[1])

    # A role granting posts create/update to own rows only, and products update.
    await console.go("#/roles/new")
    role_name = unique("writer-role")
    await page.get_by_label("Name").fill(role_name)
    await page.get_by_label("posts create").select_option("own")
    await page.get_by_label("posts update").select_option("own")
    await page.get_by_label("products update").check()
    await expect(page.get_by_label("products read")).to_be_disabled()  # implied by update
    await console.screenshot("role-editor")
    await page.get_by_role("button", name="Create role").click()
    await expect(page.locator("#status")).to_have_text(f"Role {role_name} saved.")
    role_id = int(page.url.rsplit("/", 1)[1])
    await console.go("#/roles")
    await expect(page.locator("main tbody")).to_contain_text("posts: read, create:own, update:own")
    await console.screenshot("roles")

    async with console_server.client(token=token) as http:
        grants = (await http.get(f"/roles/{role_id}")).json()["permissions"]
        assert {module: set(actions) for module, actions in grants.items()} == {
            "posts": {"read", "create:own", "update:own"},
            "products": {"read", "update"},
        }

        # Assigned on the user's page.
        await console.go(f"#/users/{target_id}")
        await page.get_by_label(role_name).check()
        await page.get_by_role("button", name="Save roles").click()
        await expect(page.locator("#status")).to_have_text("Roles saved.")
        await console.screenshot("user")
        held = (await http.get(f"/users/{target_id}/roles")).json()
        assert [r["name"] for r in held] == [role_name]
        members = (await http.get(f"/roles/{role_id}/users")).json()
        assert [m["email"] for m in members] == [target_email]

    # The assignment in the audit page, as an INSERT of user_roles with its values.
    await console.go("#/audit")
    await page.get_by_label("Module").select_option("user_roles")
    await page.get_by_label("Action").select_option("INSERT")
    await page.get_by_role("button", name="Filter").click()
    await console.rendered("#/audit?entity_type=user_roles&action=INSERT")
    rows = page.locator("main tbody tr")
    await expect(rows).to_have_count(1)
    await expect(rows.locator("dl.diff")).to_contain_text(f"user_id{target_id}role_id{role_id}")
    await console.screenshot("audit")

    # The role's members, on its page.
    await console.go(f"#/roles/{role_id}")
    await expect(page.locator("main section")).to_contain_text(target_email)


async def test_deactivate_and_set_a_password(app: FastAPI, console: Console, console_server: AppServer) -> None:
    _, token = await signed_in(app, console, permissions={"users": ["create", "update"]})
    target_id, _ = await create_identity(app, email=f"{unique('member')}@example.com", password=PASSWORD)
    page = console.page
    await console.go(f"#/users/{target_id}")
    await page.get_by_label("New password").fill("another-long-password")
    await page.get_by_role("button", name="Set password").click()
    await expect(page.locator("#status")).to_have_text("Password set; the user's sessions ended.")
    await page.get_by_role("button", name="Deactivate").click()
    await expect(page.locator("#status")).to_have_text("User deactivated; their sessions ended.")
    await expect(page.get_by_role("button", name="Activate")).to_be_visible()

    async with console_server.client(token=token) as http:
        user = (await http.get(f"/users/{target_id}")).json()
        changes = await http.get("/audit/changes", params={"entity_type": "users", "entity_id": target_id})
    assert (user["is_active"], user["version"]) == (False, 3)
    assert changes.status_code == 403  # no audit:read: the console offered no Audit page either
    await expect(page.locator("#nav")).not_to_contain_text("Audit")


async def test_a_viewer_sees_no_write_controls(app: FastAPI, console: Console, console_server: AppServer) -> None:
    admin_id, token = await create_identity(app, is_superuser=True)
    async with console_server.client(token=token) as http:
        product = (await http.post("/products", json={"sku": unique("SKU-"), "name": "Lamp", "price": "5"})).json()
        role = (await http.post("/roles", json={"name": unique("role"), "permissions": {"posts": ["create"]}})).json()
    await signed_in(app, console, permissions=READ_EVERYTHING)
    page = console.page
    read_only = {"Search", "Filter", "Show history", "Previous", "Next"}
    for fragment in (
        "#/users",
        f"#/users/{admin_id}",
        "#/roles",
        f"#/roles/{role['id']}",
        "#/audit",
        "#/audit/access",
        f"#/history/products/{product['id']}",
    ):
        await console.go(fragment)
        await expect(page.locator("main .error")).to_have_count(0)  # the page is there, not an error
        buttons = set(await page.locator("main button").all_inner_texts())
        assert buttons <= read_only, f"{fragment} offers {buttons - read_only}"
        for control in await page.locator("main form input:not([type=search]):not(.filters input)").all():
            name = await control.get_attribute("name") or await control.get_attribute("aria-label")
            if name != "id":  # the history page's record chooser
                assert await control.is_disabled() or not await control.is_editable(), f"{fragment}: {name}"
        if fragment == f"#/users/{admin_id}":
            await console.screenshot("viewer")
    await expect(page.get_by_role("link", name="New role")).to_have_count(0)


async def test_revert_a_product_from_its_history(app: FastAPI, console: Console, console_server: AppServer) -> None:
    _, token = await signed_in(app, console, is_superuser=True)
    async with console_server.client(token=token) as http:
        product = (await http.post("/products", json={"sku": unique("SKU-"), "name": "Lamp", "price": "5"})).json()
        path = f"/products/{product['id']}"
        assert (await http.patch(path, json={"price": "7.50", "name": "Desk lamp"})).status_code == 200

        await console.go(f"#/history/products/{product['id']}")
        await expect(console.page.locator("main tbody tr")).to_have_count(2)
        await expect(console.page.locator("main tbody tr").first).to_contain_text("5.00")
        await console.screenshot("history")
        await console.page.get_by_role("button", name="Revert to v1").click()
        await expect(console.page.locator("#status")).to_have_text("Reverted to version 1.")
        await expect(console.page.locator("main tbody tr")).to_have_count(3)

        reverted = (await http.get(path)).json()
    assert (reverted["name"], reverted["price"], reverted["version"]) == ("Lamp", "5.00", 3)


async def test_restore_a_deleted_customer(app: FastAPI, console: Console, console_server: AppServer) -> None:
    _, token = await signed_in(app, console, permissions={"customers": ["create", "delete"], "audit": ["read"]})
    async with console_server.client(token=token) as http:
        body = {"name": "Acme", "email": f"{unique('acme')}@example.com"}
        customer = (await http.post("/customers", json=body)).json()
        path = f"/customers/{customer['id']}"
        assert (await http.delete(path)).status_code == 204

        await console.go(f"#/history/customers/{customer['id']}")
        await expect(console.page.locator("main h2")).to_have_text(f"customers #{customer['id']} (deleted)")
        await expect(console.page.get_by_role("button", name="Revert to v1")).to_have_count(0)  # no update
        await console.page.get_by_role("button", name="Restore").click()
        await expect(console.page.locator("#status")).to_have_text(f"customers #{customer['id']} restored.")

        restored = await http.get(path)
    assert restored.status_code == 200
    assert (restored.json()["name"], restored.json()["email"]) == ("Acme", body["email"])


async def test_api_keys_are_shown_once_and_revoked(app: FastAPI, console: Console, console_server: AppServer) -> None:
    await signed_in(app, console, permissions={"products": ["create"]})
    page = console.page
    await console.go("#/keys")
    await page.get_by_label("Name").fill("ci")
    await page.get_by_label("Limit its permissions").check()
    await page.get_by_label("products read").check()
    await page.get_by_role("button", name="Create key").click()
    key = await page.locator("#new-key").inner_text()
    assert key.startswith("ak_")
    await console.screenshot("api-keys")
    listed = page.get_by_role("table", name="Your keys")
    await expect(listed).to_contain_text("ci")
    await expect(listed).to_contain_text("products: read")
    await expect(listed).not_to_contain_text(key)

    async with httpx.AsyncClient(base_url=console_server.base_url, headers={"X-API-Key": key}) as http:
        assert (await http.get("/products")).status_code == 200
        assert (await http.post("/products", json={"sku": "K-1", "name": "Key", "price": "1"})).status_code == 403
        await page.get_by_role("button", name="Revoke").click()
        await expect(page.locator("#status")).to_have_text("Key ci revoked.")
        assert (await http.get("/products")).status_code == 401


async def test_csp_holds_on_every_page(app: FastAPI, console: Console, console_server: AppServer) -> None:
    async with httpx.AsyncClient(base_url=console_server.base_url) as http:
        for path in ("/admin", "/admin/", "/admin/static/js/main.js", "/admin/static/css/console.css"):
            response = await http.get(path, follow_redirects=False)
            assert response.status_code == 200
            assert response.headers["Content-Security-Policy"] == CONSOLE_CSP
        assert CONSOLE_CSP.startswith("default-src 'self';")
    await signed_in(app, console, is_superuser=True)
    for fragment in ("#/users", "#/roles", "#/roles/new", "#/audit", "#/history", "#/keys", "#/audit/access"):
        await console.go(fragment)
    await console.screenshot("access-log")
    assert console.violations == []

    # The listener hears a violation when there is one: an image from another origin is refused.
    await console.page.evaluate(
        "() => { const image = document.createElement('img');"
        " image.src = 'http://example.invalid/x.png'; document.body.append(image); }"
    )
    await wait_until(lambda: len(console.violations) == 1, 5, lambda: str(console.violations))
    assert console.violations.pop().startswith("img-src http://example.invalid")


async def test_the_matrix_offers_only_what_the_signed_in_user_holds(app: FastAPI, console: Console) -> None:
    await signed_in(app, console, permissions={"roles": ["create"], "products": ["update"]})
    await console.go("#/roles/new")
    page = console.page
    await expect(page.get_by_label("products update")).to_be_enabled()
    await expect(page.get_by_label("products read")).to_be_enabled()
    for beyond in ("products delete", "users read", "users create", "audit read", "roles delete"):
        await expect(page.get_by_label(beyond)).to_be_disabled()
    await expect(page.get_by_role("link", name="Audit")).to_have_count(0)
