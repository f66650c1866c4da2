"""The micro-batcher: concurrent callers share batches, each gets its own answer, and a failing
batch reaches every caller without stopping the batcher."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from ordersight.schema import Order, ScoreResult
from serving.batcher import MicroBatcher

ORDER = {
    "order_id": "o-0",
    "channel": "tmall",
    "created_at": "2025-11-01T10:00:00+08:00",
    "customer_id": "c1",
    "address": {"receiver": "张三", "phone": "13800138000", "raw": "浙江省杭州市西湖区文三路1号"},
    "lines": [{"sku": "SKU-1", "qty": 1, "unit_price": 10.0}],
    "paid_amount": 10.0,
}


def _order(i: int) -> Order:
    return Order.model_validate({**ORDER, "order_id": f"o-{i}"})


class Recorder:
    """A scoring function that remembers its batches (the batcher only needs a callable)."""

    def __init__(self, fail_on: str | None = None):
        self.batches: list[list[str]] = []
        self.fail_on = fail_on

    def __call__(self, orders: Sequence[Order]) -> list[ScoreResult]:
        ids = [o.order_id for o in orders]
        self.batches.append(ids)
        if self.fail_on in ids:
            raise RuntimeError("model exploded")
        return [ScoreResult(order_id=i, action="pass", risk=len(ids) / 1000) for i in ids]


def test_concurrent_callers_share_batches_and_get_their_own_result() -> None:
    score = Recorder()
    batcher = MicroBatcher(score)

    async def main() -> list[ScoreResult]:
        return await asyncio.gather(*(batcher.submit(_order(i)) for i in range(50)))

    results = asyncio.run(main())
    assert [r.order_id for r in results] == [f"o-{i}" for i in range(50)]
    assert len(score.batches) < 50  # batched
    assert sorted(i for b in score.batches for i in b) == sorted(r.order_id for r in results)
    assert batcher.orders == 50 and batcher.batches == len(score.batches)


def test_max_batch_bounds_a_batch() -> None:
    score = Recorder()
    batcher = MicroBatcher(score, max_batch=8)

    async def main() -> None:
        await asyncio.gather(*(batcher.submit(_order(i)) for i in range(30)))

    asyncio.run(main())
    assert max(len(b) for b in score.batches) == 8
    assert sum(len(b) for b in score.batches) == 30


def test_a_lone_order_is_scored_without_waiting_for_company() -> None:
    score = Recorder()
    batcher = MicroBatcher(score)

    async def main() -> None:
        for i in range(3):
            await batcher.submit(_order(i))

    asyncio.run(main())
    assert score.batches == [["o-0"], ["o-1"], ["o-2"]]


def test_a_failed_batch_reaches_its_callers_and_the_batcher_goes_on() -> None:
    score = Recorder(fail_on="o-1")
    batcher = MicroBatcher(score)

    async def main() -> tuple[list, ScoreResult]:
        first = await asyncio.gather(
            *(batcher.submit(_order(i)) for i in range(3)), return_exceptions=True
        )
        return first, await batcher.submit(_order(9))

    first, after = asyncio.run(main())
    assert all(isinstance(r, RuntimeError) for r in first)
    assert after.order_id == "o-9"


def test_an_order_the_scorer_failed_on_fails_only_its_own_caller() -> None:
    """A score function that gives one order its exception (Scorer.score_each): that caller
    hears of it, its neighbours in the batch get their results."""

    def score(orders: Sequence[Order]) -> list[ScoreResult | Exception]:
        return [
            RuntimeError("feature code broke")
            if o.order_id == "o-1"
            else ScoreResult(order_id=o.order_id, action="pass", risk=0.0)
            for o in orders
        ]

    batcher = MicroBatcher(score)

    async def main() -> list:
        return await asyncio.gather(
            *(batcher.submit(_order(i)) for i in range(3)), return_exceptions=True
        )

    first, failed, third = asyncio.run(main())
    assert isinstance(failed, RuntimeError)
    assert (first.order_id, third.order_id) == ("o-0", "o-2")


def test_restarts_under_a_new_event_loop() -> None:
    batcher = MicroBatcher(Recorder())
    for i in range(2):  # each asyncio.run is a new loop, as with each TestClient
        assert asyncio.run(batcher.submit(_order(i))).order_id == f"o-{i}"


@pytest.mark.parametrize("n", [1, 5])
def test_close_stops_the_task(n: int) -> None:
    batcher = MicroBatcher(Recorder())

    async def main() -> None:
        await asyncio.gather(*(batcher.submit(_order(i)) for i in range(n)))
        await batcher.close()
        assert batcher._task is None

    asyncio.run(main())
