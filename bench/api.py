"""The few API calls the benchmark makes before it measures (plain urllib, no extra client)."""

import json
import urllib.request
from typing import Any


class Api:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def call(self, method: str, path: str, body: dict[str, Any] | None = None, token: str | None = None) -> Any:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base_url + path, data=data, headers=headers, method=method)
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
        return json.loads(raw) if raw else None

    def login(self, email: str, password: str) -> str:
        token: str = self.call("POST", "/auth/login", {"email": email, "password": password})["access_token"]
        return token

    def bench_user_token(self, email: str, password: str) -> str:
        """A non-superuser holding the `manager` role, so permission checks run as in production."""
        try:
            return self.login(email, password)
        except urllib.error.HTTPError:
            pass
        admin = self.login("admin@example.com", "admin-password-123")
        user = self.call("POST", "/users", {"email": email, "name": "Bench", "password": password}, admin)
        roles = self.call("GET", "/roles?limit=100", token=admin)
        manager = next(role["id"] for role in roles if role["name"] == "manager")
        self.call("PUT", f"/users/{user['id']}/roles", {"role_ids": [manager]}, admin)
        return self.login(email, password)

    def api_key(self, token: str) -> str:
        """A new API key of the holder of `token`, with all of its permissions."""
        key: str = self.call("POST", "/auth/api-keys", {"name": "bench"}, token)["key"]
        return key

    def first_product_id(self, token: str) -> int:
        product_id: int = self.call("GET", "/products?limit=1", token=token)[0]["id"]
        return product_id
