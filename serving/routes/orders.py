"""Order scoring: one order, or a batch where each bad order gets its own error entry."""

from __future__ import annotations

import time
from collections.abc import Callable, Coroutine
from typing import Annotated, Any, ClassVar

from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field, SerializeAsAny, TypeAdapter, ValidationError
from starlette.concurrency import run_in_threadpool

from ordersight.schema import Order, ScoreResult
from serving.deps import ServicesDep, UserDep, current_user, get_services
from serving.errors import first_problem, validation_details
from serving.recording import observe_latency, record, score_single, scored_only
from serving.services import Services

router = APIRouter(prefix="/v1/orders", tags=["orders"])
MAX_BATCH = 10_000


class BodyRoute(APIRoute):
    """A route on the order path: the body (``body_model``) is parsed and validated in one
    pydantic-core call (``model_validate_json``) and the two dependencies are called directly.

    FastAPI's generic handler (JSON decode, then validation from Python objects, then dependency
    solving) cost ~100 µs a request here, a tenth of a single-order request, and half the reading
    of a batch. The endpoint keeps its declared signature, so the OpenAPI schema is FastAPI's own,
    and errors go through the app's handlers as before (422 naming the field, 401 without a key).
    """

    body_model: ClassVar[type[BaseModel]]

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        endpoint, model = self.endpoint, self.body_model

        async def handler(request: Request) -> Response:
            services = await get_services(request)
            user = await current_user(request, services)
            try:
                body = model.model_validate_json(await request.body())
            except ValidationError as exc:
                errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]
                raise RequestValidationError(errors) from None
            return await endpoint(body, services, user)

        return handler


class OrderPathRoute(BodyRoute):
    body_model = Order


class BatchRequest(BaseModel):
    """Each item is read as an :class:`Order` in the same pass as the body where it is one; any
    other item is kept as sent, to get its own error entry (the batch is still scored)."""

    orders: list[Annotated[Order | Any, Field(union_mode="left_to_right")]] = Field(
        min_length=1, max_length=MAX_BATCH
    )


class BatchPathRoute(BodyRoute):
    body_model = BatchRequest


class BatchError(BaseModel):
    index: int
    order_id: str | None = None
    error: dict[str, Any]


class BatchResponse(BaseModel):
    results: list[ScoreResult | BatchError]


# BatchResponse's results, each written by its own class: pydantic's union serializer tries the
# members in turn, which cost 2.5x as much on a 500-order reply (the same bytes otherwise)
_RESULTS = TypeAdapter(list[SerializeAsAny[BaseModel]])


async def score_one(order: Order, services: ServicesDep, _: UserDep) -> Response:
    return await score_single(services, order, "score", time.perf_counter())


router.add_api_route(
    "/score",
    score_one,
    methods=["POST"],
    response_model=ScoreResult,
    response_model_exclude_none=True,
    route_class_override=OrderPathRoute,
)


async def score_batch(body: BatchRequest, services: ServicesDep, _: UserDep) -> Response:
    return await run_in_threadpool(_score_batch, body, services)


router.add_api_route(
    "/score-batch",
    score_batch,
    methods=["POST"],
    response_model=BatchResponse,
    response_model_exclude_none=True,
    route_class_override=BatchPathRoute,
)


def _score_batch(body: BatchRequest, services: Services) -> Response:
    start = time.perf_counter()
    good: list[Order] = []
    positions: list[int] = []
    out: list[ScoreResult | BatchError | None] = [None] * len(body.orders)
    for i, raw in enumerate(body.orders):
        try:
            good.append(raw if isinstance(raw, Order) else Order.model_validate(raw))
            positions.append(i)
        except ValidationError as exc:
            details = validation_details(list(exc.errors()))
            message = first_problem(details, "order")
            order_id = raw.get("order_id") if isinstance(raw, dict) else None
            out[i] = BatchError(
                index=i,
                order_id=str(order_id) if order_id is not None else None,
                error={"code": "invalid_order", "message": message, "details": details},
            )
    results = services.scorer.score_each(good) if good else []
    for pos, order, result in zip(positions, good, results, strict=True):
        out[pos] = _scoring_failed(pos, order) if isinstance(result, Exception) else result
    record(services, *scored_only(good, results))
    observe_latency(services, "score_batch", start)
    items = _RESULTS.dump_json([r for r in out if r is not None], exclude_none=True)
    return Response(b'{"results":' + items + b"}", media_type="application/json")


def _scoring_failed(index: int, order: Order) -> BatchError:
    """The entry of an order the scorer failed on (logged with its traceback); the rest of the
    batch is scored."""
    message = "the scorer failed on this order; the failure is logged, the other orders are scored"
    return BatchError(
        index=index, order_id=order.order_id, error={"code": "scoring_failed", "message": message}
    )
