"""The baseline: a FastAPI hello-world served with the same uvicorn settings as OrderSight."""

from typing import Any

from fastapi import FastAPI

app = FastAPI()


@app.post("/v1/orders/score")
def score(body: dict[str, Any]) -> dict[str, Any]:
    return {"order_id": body.get("order_id"), "action": "pass"}
