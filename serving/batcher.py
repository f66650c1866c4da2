"""Micro-batching: single-order requests that arrive together are scored as one batch.

Scoring costs mostly per batch (one feature build, one predict call per model), so under load
N concurrent requests cost little more than one. There is no timer: the batcher takes whatever
queued while the previous batch was being scored (natural batching), so a lone order on an idle
service is scored at once and a busy one batches more as the load grows.

Scoring runs on the event loop itself: it is CPU-bound Python, a worker thread would only add
hand-offs under the GIL. One batch blocks the loop for a few milliseconds at most. Storing a
batch (``store``) waits on the database instead (a PostgreSQL round trip, an SQLite checkpoint),
so it runs on one writer thread while the loop reads and scores the next requests; callers are
answered only once their batch is stored, and batches are stored in the order they were scored.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from ordersight.schema import Order, ScoreResult

log = logging.getLogger("ordersight.batcher")
ScoreFn = Callable[[Sequence[Order]], list[ScoreResult]]
StoreFn = Callable[[Sequence[Order], Sequence[ScoreResult]], None]
Pending = tuple[Order, asyncio.Future[ScoreResult]]


class MicroBatcher:
    """``await submit(order)`` → that order's result, scored in a batch with its neighbours (and,
    with ``store``, answered once that batch is stored)."""

    def __init__(
        self,
        score: ScoreFn,
        store: StoreFn | None = None,
        max_batch: int = 256,
        settle_ticks: int = 2,
    ):
        self._score = score
        self._store = store
        self._writer: ThreadPoolExecutor | None = None  # one thread: stores stay in order
        self.max_batch = max_batch
        # loop turns to wait after the first order of a batch, so requests already read from
        # the sockets reach the queue too; each turn costs microseconds, not a timer's wait
        self.settle_ticks = settle_ticks
        self._queue: asyncio.Queue[Pending] | None = None
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.batches = 0
        self.orders = 0

    async def submit(self, order: Order) -> ScoreResult:
        queue = self._ensure_running()
        future: asyncio.Future[ScoreResult] = asyncio.get_running_loop().create_future()
        queue.put_nowait((order, future))
        return await future

    def _ensure_running(self) -> asyncio.Queue[Pending]:
        """Start (or, under a new event loop as in tests, restart) the batching task."""
        loop = asyncio.get_running_loop()
        if self._queue is None or self._loop is not loop or self._task is None or self._task.done():
            self._loop, self._queue = loop, asyncio.Queue()
            self._task = loop.create_task(self._run(self._queue), name="ordersight-batcher")
        if self._store is not None and self._writer is None:
            self._writer = ThreadPoolExecutor(1, thread_name_prefix="ordersight-store")
        return self._queue

    async def _run(self, queue: asyncio.Queue[Pending]) -> None:
        while True:
            batch = [await queue.get()]
            for _ in range(self.settle_ticks):
                await asyncio.sleep(0)
            while len(batch) < self.max_batch and not queue.empty():
                batch.append(queue.get_nowait())
            self._score_batch(batch)

    def _score_batch(self, batch: list[Pending]) -> None:
        live = [(order, fut) for order, fut in batch if not fut.done()]  # skip cancelled callers
        if not live:
            return
        orders = [order for order, _ in live]
        try:
            results = self._score(orders)
        except Exception as exc:  # every caller hears of it; the batcher keeps running
            log.exception("scoring a batch of %d failed", len(live))
            _answer(live, [], exc)
            return
        self.batches += 1
        self.orders += len(live)
        if self._store is None or self._writer is None:
            _answer(live, results, None)
            return
        stored = asyncio.get_running_loop().run_in_executor(
            self._writer, self._store, orders, results
        )
        stored.add_done_callback(lambda done: _answer(live, results, _failure(done, len(live))))

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._writer is not None:  # let scored batches finish storing
            self._writer.shutdown(wait=True)
            self._writer = None


def _failure(done: asyncio.Future[None], n: int) -> BaseException | None:
    if done.cancelled():
        return asyncio.CancelledError()
    exc = done.exception()
    if exc is not None:
        log.error("storing a batch of %d failed", n, exc_info=exc)
    return exc


def _answer(live: list[Pending], results: list[ScoreResult], exc: BaseException | None) -> None:
    """Each caller's result, or the batch's error, to callers still waiting."""
    for k, (_, fut) in enumerate(live):
        if fut.done():
            continue
        if exc is not None:
            fut.set_exception(exc)
        else:
            fut.set_result(results[k])
