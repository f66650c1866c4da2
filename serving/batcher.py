"""Micro-batching: single-order requests that arrive together are scored as one batch.

Scoring costs mostly per batch (one feature build, one predict call per model), so under load
N concurrent requests cost little more than one. There is no timer: the batcher takes whatever
queued while the previous batch was being scored (natural batching), so a lone order on an idle
service is scored at once and a busy one batches more as the load grows.

Scoring runs on the event loop itself: it is CPU-bound Python, a worker thread would only add
hand-offs under the GIL. One batch blocks the loop for a few milliseconds at most.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence

from ordersight.schema import Order, ScoreResult

log = logging.getLogger("ordersight.batcher")
# results in order; an order the scorer failed on has its exception in its place
ScoreFn = Callable[[Sequence[Order]], list[ScoreResult | Exception]]
Pending = tuple[Order, asyncio.Future[ScoreResult]]


class MicroBatcher:
    """``await submit(order)`` → that order's result, scored in a batch with its neighbours."""

    def __init__(self, score: ScoreFn, max_batch: int = 256, settle_ticks: int = 2):
        self._score = score
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
        try:
            results = self._score([order for order, _ in live])
        except Exception as exc:  # every caller hears of it; the batcher keeps running
            log.exception("scoring a batch of %d failed", len(live))
            for _, fut in live:
                fut.set_exception(exc)
            return
        self.batches += 1
        self.orders += len(live)
        for (_, fut), result in zip(live, results, strict=True):
            if isinstance(result, Exception):  # only its own caller hears of it
                fut.set_exception(result)
            else:
                fut.set_result(result)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
