import httpx


async def test_create_returns_201_location_and_etag(client: httpx.AsyncClient) -> None:
    response = await client.post("/users", json={"email": "Ann@Example.com", "name": "Ann", "password": "secret-123"})

    assert response.status_code == 201
    body = response.json()
    assert body["email"] == "ann@example.com"
    assert body["version"] == 1
    assert "password" not in body
    assert "hashed_password" not in body
    assert response.headers["Location"] == f"/users/{body['id']}"
    assert response.headers["ETag"] == '"1"'
