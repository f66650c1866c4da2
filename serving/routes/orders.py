"""Order scoring: one order, or a batch where each bad order gets its own error entry."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field, ValidationError

from ordersight.schema import Order, ScoreResult
from serving.deps import ServicesDep, UserDep
from serving.errors import validation_details
from serving.recording import json_response, observe_latency, record, score_single

router = APIRouter(prefix="/v1/orders", tags=["orders"])
MAX_BATCH = 10_000


class BatchRequest(BaseModel):
    orders: list[dict[str, Any]] = Field(min_length=1, max_length=MAX_BATCH)


class BatchError(BaseModel):
    index: int
    order_id: str | None = None
    error: dict[str, Any]


class BatchResponse(BaseModel):
    results: list[ScoreResult | BatchError]


@router.post("/score", response_model=ScoreResult, response_model_exclude_none=True)
async def score_one(order: Order, services: ServicesDep, _: UserDep) -> Response:
    return await score_single(services, order, "score", time.perf_counter())


@router.post("/score-batch", response_model=BatchResponse, response_model_exclude_none=True)
def score_batch(body: BatchRequest, services: ServicesDep, _: UserDep) -> Response:
    start = time.perf_counter()
    good: list[Order] = []
    positions: list[int] = []
    out: list[ScoreResult | BatchError | None] = [None] * len(body.orders)
    for i, raw in enumerate(body.orders):
        try:
            good.append(Order.model_validate(raw))
            positions.append(i)
        except ValidationError as exc:
            details = validation_details(list(exc.errors()))
            message = f"{details[0]['field']}: {details[0]['message']}" if details else "invalid"
            order_id = raw.get("order_id") if isinstance(raw, dict) else None
            out[i] = BatchError(
                index=i,
                order_id=str(order_id) if order_id is not None else None,
                error={"code": "invalid_order", "message": message, "details": details},
            )
    results = services.scorer.score(good) if good else []
    for pos, result in zip(positions, results, strict=True):
        out[pos] = result
    record(services, good, results)
    observe_latency(services, "score_batch", start)
    return json_response(BatchResponse(results=[r for r in out if r is not None]))
