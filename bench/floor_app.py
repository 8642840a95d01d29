"""The floor: a bare FastAPI app with one route returning constant JSON."""

from fastapi import FastAPI

app = FastAPI()


@app.get("/")
async def constant() -> dict[str, str]:
    return {"status": "ok"}
