"""Drives the service of a scratch copy that holds docs/MODULES.md's walk-through module.

Run by tests/docs/test_modules_walkthrough.py in a subprocess whose working directory and
PYTHONPATH are the copy, with DATABASE_URL naming the database the doc's commands migrated:
the new module's table is only ever mapped in that process. It seeds the built-in roles and
the first superuser, signs in as that superuser over HTTP (ASGI transport), makes the
requests below and prints what each one answered as JSON, for the test to judge.

    python walkthrough_client.py '{"module": ..., "parent": {...}, "record": {...}, "patch": {...}}'
"""

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import httpx

import app
from app.core.config import Settings
from app.main import create_app
from app.seeds import run_seed

EMAIL, PASSWORD = "walkthrough@example.com", "walkthrough-password-1"
MISSING_ID = 999_999


def answer(response: httpx.Response) -> dict[str, Any]:
    body = response.json() if response.content else None
    return {"status": response.status_code, "headers": dict(response.headers), "body": body}


async def exchanges(http: httpx.AsyncClient, scenario: dict[str, Any]) -> dict[str, Any]:
    """The requests' answers by name: a record of the module under a parent row, changed and deleted."""
    collection, parent = f"/{scenario['module']}", scenario["parent"]
    answers = {"modules": answer(await http.get("/rbac/modules")), "roles": answer(await http.get("/roles"))}
    parent_url = (await http.post(parent["path"], json=parent["body"])).headers["location"]
    body = {**scenario["record"], parent["field"]: int(parent_url.rsplit("/", 1)[1])}
    created = await http.post(collection, json=body)
    answers["create"] = answer(created)
    answers["create_again"] = answer(await http.post(collection, json=body))
    answers["create_for_nobody"] = answer(await http.post(collection, json={**body, parent["field"]: MISSING_ID}))
    location = created.headers["location"]
    answers["get"] = answer(await http.get(location))
    answers["list"] = answer(
        await http.get(collection, params={parent["field"]: body[parent["field"]], "limit": 5, "sort": "-id"})
    )
    patched = await http.patch(location, json=scenario["patch"], headers={"If-Match": created.headers["etag"]})
    answers["patch"] = answer(patched)
    answers["patch_stale"] = answer(await http.patch(location, json=scenario["patch"], headers={"If-Match": '"1"'}))
    answers["delete"] = answer(await http.delete(location, headers={"If-Match": patched.headers["etag"]}))
    answers["get_deleted"] = answer(await http.get(location))
    answers["history"] = answer(await http.get(f"{location}/history"))
    await http.post(collection, json={**body, **scenario["second_record"]})
    answers["parent_delete"] = answer(await http.delete(parent_url))
    return answers


async def drive(scenario: dict[str, Any]) -> dict[str, Any]:
    settings = Settings(FIRST_SUPERUSER_EMAIL=EMAIL, FIRST_SUPERUSER_PASSWORD=PASSWORD, LOG_LEVEL="WARNING")
    application = create_app(settings)  # logging configured before the seed logs
    seeded = await run_seed(settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            login = await http.post("/auth/login", json={"email": EMAIL, "password": PASSWORD})
            http.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
            answers = await exchanges(http, scenario)
    return {"app_dir": str(Path(app.__file__).parent), "seeded": seeded, **answers}


def main() -> None:
    print(json.dumps(asyncio.run(drive(json.loads(sys.argv[1])))))


if __name__ == "__main__":
    main()
