"""Queue worker: orders in from a Redis list, results out to another, scored in batches.

Producers `LPUSH ordersight:orders <order JSON>`; results go to `ordersight:orders:results`
(one JSON per order, the same shape as the API's) and invalid payloads to
`ordersight:orders:errors` with the reason. Decisions that need a person (review / hold) are
stored for the review queue, as the API stores them.

Nothing taken from the queue is lost. A batch moves from the queue to this worker's processing
list (`<queue>:processing:<consumer>`) in one step, and leaves it only in the transaction that
pushes its results and errors. A worker stopped mid-batch (killed, Redis or the database gone)
finds the batch there when it starts again and puts it back at the head of the queue, in its
order, to be scored once more: its results are pushed once, and the review queue keeps one
decision per order should the stopped run have stored some. A batch the scorer fails on is scored
again one order at a time, and an order that fails alone goes to the errors list with the reason
(:meth:`Scorer.score_each`): one bad order neither sinks its batch nor stops the worker.

With ``--metrics-port`` a worker serves its Prometheus metrics on that port (`/metrics`, as the
API's: orders by action, issues, batch latency, invalid and failed payloads, the shared stream's
misses, shadow disagreements).
"""

from __future__ import annotations

import json
import logging
import signal
import socket
import threading
import time
from dataclasses import dataclass, field

import redis
from prometheus_client import start_http_server
from pydantic import ValidationError

from ordersight.schema import Order
from ordersight.settings import Settings
from ordersight.storage import Repository, SqlRepository
from serving.errors import first_problem, validation_details
from serving.heap import freeze_startup_heap
from serving.metrics import Metrics
from serving.offline import build_scorer
from serving.recording import count_results, save_for_review, scored_only
from serving.service import Scorer
from serving.shared_stream import shared_stores
from serving.stream_state import stream_state_path

log = logging.getLogger("ordersight.worker")

# Move up to ARGV[1] of the oldest payloads (the right end) from the queue KEYS[1] to the left end
# of the processing list KEYS[2], so the oldest stays rightmost there too; returns them newest
# first, as LRANGE does.
_TAKE = """
local items = redis.call('LRANGE', KEYS[1], -tonumber(ARGV[1]), -1)
if #items > 0 then
  redis.call('LTRIM', KEYS[1], 0, -#items - 1)
  for i = #items, 1, -1 do redis.call('LPUSH', KEYS[2], items[i]) end
end
return items
"""
# Put the processing list KEYS[1] back at the head (right end) of the queue KEYS[2], oldest
# rightmost, as it was taken; returns how many payloads went back.
_REQUEUE = """
local items = redis.call('LRANGE', KEYS[1], 0, -1)
for i = 1, #items do redis.call('RPUSH', KEYS[2], items[i]) end
redis.call('DEL', KEYS[1])
return #items
"""


def results_key(queue: str) -> str:
    return f"{queue}:results"


def errors_key(queue: str) -> str:
    return f"{queue}:errors"


def processing_key(queue: str, consumer: str) -> str:
    return f"{queue}:processing:{consumer}"


def _error(raw: bytes, reason: str) -> str:
    return json.dumps(
        {"payload": raw.decode("utf-8", "replace"), "error": reason}, ensure_ascii=False
    )


@dataclass
class QueueWorker:
    """One consumer of ``queue``; run several with distinct ``consumer`` names."""

    client: redis.Redis
    scorer: Scorer
    repo: Repository
    queue: str
    consumer: str
    metrics: Metrics = field(default_factory=Metrics)

    @property
    def processing(self) -> str:
        return processing_key(self.queue, self.consumer)

    def recover(self) -> int:
        """Put back the batch a previous run of this consumer left unfinished; how many."""
        count = int(self.client.eval(_REQUEUE, 2, self.processing, self.queue))
        if count:
            log.warning("requeued %d orders a previous run left unfinished", count)
        return count

    def drain_once(self, batch_size: int, wait_s: float) -> int:
        """Take up to ``batch_size`` payloads (waiting up to ``wait_s`` for the first), score
        them as one batch, store and push the results. Returns how many payloads were handled."""
        payloads = self._take(batch_size, wait_s)
        if not payloads:
            return 0
        start = time.perf_counter()
        orders: list[Order] = []
        raws: list[bytes] = []
        errors: list[str] = []
        for raw in payloads:
            try:
                orders.append(Order.model_validate_json(raw))
                raws.append(raw)
            except ValidationError as exc:
                errors.append(_error(raw, first_problem(validation_details(exc.errors()), "order")))
        scored = self.scorer.score_each(orders)
        for raw, result in zip(raws, scored, strict=True):
            if isinstance(result, Exception):
                errors.append(_error(raw, f"scoring failed: {type(result).__name__}: {result}"))
        done, results = scored_only(orders, scored)
        save_for_review(self.repo, self.scorer.recent, done, results)
        pipe = self.client.pipeline(transaction=True)
        if results:
            pipe.lpush(
                results_key(self.queue), *[r.model_dump_json(exclude_none=True) for r in results]
            )
        if errors:
            pipe.lpush(errors_key(self.queue), *errors)
        pipe.delete(self.processing)
        pipe.execute()
        count_results(self.metrics, results)
        self.metrics.latency.labels("worker").observe(time.perf_counter() - start)
        if errors:
            self.metrics.worker_errors.inc(len(errors))
        return len(payloads)

    def _take(self, batch_size: int, wait_s: float) -> list[bytes]:
        """The next payloads, oldest first, moved to the processing list."""
        first = self.client.blmove(self.queue, self.processing, wait_s, "RIGHT", "LEFT")
        if first is None:
            return []
        if batch_size < 2:
            return [first]
        rest = self.client.eval(_TAKE, 2, self.queue, self.processing, batch_size - 1)
        return [first, *reversed(rest)]


def run_worker(
    settings: Settings,
    batch_size: int = 500,
    once: bool = False,
    consumer: str | None = None,
    metrics_port: int | None = None,
    metrics_host: str = "127.0.0.1",
) -> int:
    """Score the queue until stopped (or, with ``once``, until it is empty); how many payloads.
    With ``metrics_port``, its Prometheus metrics are served at ``metrics_host:metrics_port``."""
    metrics = Metrics()
    scorer = build_scorer(settings, metrics=metrics)
    scorer.warm_up()
    settings.home.mkdir(parents=True, exist_ok=True)
    worker = QueueWorker(
        client=redis.Redis.from_url(settings.redis_url),
        scorer=scorer,
        repo=SqlRepository.from_url(settings.database_url),
        queue=settings.queue_name,
        consumer=consumer or socket.gethostname(),
        metrics=metrics,
    )
    stream = stream_state_path(settings.home, f"worker-{worker.consumer}")
    scorer.resume_stream(stream)
    scorer.share_stream(*shared_stores(settings, scorer.recent.window, metrics.missed_shared))
    freeze_startup_heap()
    worker.recover()
    served = None
    if metrics_port is not None:
        served, _ = start_http_server(metrics_port, metrics_host, registry=metrics.registry)
        log.info("metrics on http://%s:%d/metrics", metrics_host, metrics_port)
    # a service manager stops the worker with SIGTERM: it ends after the batch in hand (or the
    # wait for one, a second at most) and saves the state
    stopping = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    total = 0
    try:
        while not stopping.is_set():
            handled = worker.drain_once(batch_size, wait_s=1.0)
            total += handled
            if once and handled == 0:
                break
    finally:
        signal.signal(signal.SIGTERM, previous)
        scorer.save_stream(stream)
        if served is not None:
            served.shutdown()
            served.server_close()
    return total
