"""Queue worker: orders in from a Redis list, results out to another, scored in batches.

Producers `LPUSH ordersight:orders <order JSON>`; results go to `ordersight:orders:results`
(one JSON per order, the same shape as the API's) and invalid payloads to
`ordersight:orders:errors` with the reason, so nothing is lost.
"""

from __future__ import annotations

import json
import logging

import redis
from pydantic import ValidationError

from ordersight.schema import Order
from ordersight.settings import Settings
from serving.heap import freeze_startup_heap
from serving.offline import build_scorer
from serving.service import Scorer

log = logging.getLogger("ordersight.worker")


def results_key(queue: str) -> str:
    return f"{queue}:results"


def errors_key(queue: str) -> str:
    return f"{queue}:errors"


def drain_once(
    client: redis.Redis, scorer: Scorer, queue: str, batch_size: int, wait_s: float
) -> int:
    """Pop up to ``batch_size`` orders (blocking up to ``wait_s`` for the first), score them as
    one batch and push the results. Returns how many payloads were handled."""
    first = client.brpop([queue], timeout=wait_s)
    if first is None:
        return 0
    payloads = [first[1]]
    rest = client.rpop(queue, batch_size - 1) if batch_size > 1 else None
    payloads += rest or []
    orders: list[Order] = []
    errors: list[str] = []
    for raw in payloads:
        try:
            orders.append(Order.model_validate_json(raw))
        except ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join(str(p) for p in err["loc"]) or "order"
            errors.append(
                json.dumps(
                    {"payload": raw.decode("utf-8", "replace"), "error": f"{field}: {err['msg']}"},
                    ensure_ascii=False,
                )
            )
    pipe = client.pipeline()
    if orders:
        results = scorer.score(orders)
        pipe.lpush(results_key(queue), *[r.model_dump_json(exclude_none=True) for r in results])
    if errors:
        pipe.lpush(errors_key(queue), *errors)
    pipe.execute()
    return len(payloads)


def run_worker(settings: Settings, batch_size: int = 500, once: bool = False) -> int:
    client = redis.Redis.from_url(settings.redis_url)
    scorer = build_scorer(settings)
    scorer.warm_up()
    freeze_startup_heap()
    total = 0
    while True:
        handled = drain_once(client, scorer, settings.queue_name, batch_size, wait_s=1.0)
        total += handled
        if once and handled == 0:
            return total
