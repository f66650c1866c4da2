"""Native channel payloads straight in: adapt (Tmall, JD, Douyin …) and score in one call."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Body, Response
from pydantic import ValidationError

from ordersight.adapters import AdapterError, adapt
from ordersight.schema import ScoreResult
from serving.deps import ServicesDep, UserDep
from serving.errors import ApiError, validation_details
from serving.recording import score_single

router = APIRouter(prefix="/v1/channels", tags=["orders"])


@router.post(
    "/{channel}/orders/score", response_model=ScoreResult, response_model_exclude_none=True
)
async def score_native(
    channel: str, services: ServicesDep, _: UserDep, payload: dict[str, Any] = Body(...)
) -> Response:
    """Map the channel's own order format (see data/samples/channels/) and score it."""
    start = time.perf_counter()
    try:
        order = adapt(channel, payload, services.scorer.reference.sku_map)
    except AdapterError as exc:
        raise ApiError(422, "invalid_payload", str(exc), [{"field": exc.field}]) from exc
    except ValidationError as exc:
        details = validation_details(list(exc.errors()))
        raise ApiError(
            422,
            "invalid_order",
            f"{channel}: {details[0]['field']}: {details[0]['message']}",
            details,
        ) from exc
    return await score_single(services, order, "score_native", start)
