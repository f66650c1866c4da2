"""After scoring: metrics, and the decisions that need a person stored for the review queue."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from fastapi import Response
from pydantic import BaseModel

from features.duplicates import RecentOrders
from ordersight.schema import Order, ScoreResult
from ordersight.storage import Repository, now
from serving.metrics import Metrics
from serving.services import Services


def record(services: Services, orders: Sequence[Order], results: Sequence[ScoreResult]) -> None:
    """Count actions and issues; store review / hold decisions (one insert per batch)."""
    count_results(services.metrics, results)
    save_for_review(services.repo, services.scorer.recent, orders, results)


def count_results(metrics: Metrics, results: Sequence[ScoreResult]) -> None:
    """Actions and issues into the counters, whichever path scored them."""
    # counted first, then one increment per label (a labelled child costs a lookup and a lock)
    for action, count in Counter(r.action for r in results).items():
        metrics.orders.labels(action).inc(count)
    issues = Counter((i.type, i.scored_by) for r in results for i in r.issues)
    for (issue_type, scored_by), count in issues.items():
        metrics.issues.labels(issue_type, scored_by).inc(count)


def save_for_review(
    repo: Repository,
    stream: RecentOrders,
    orders: Sequence[Order],
    results: Sequence[ScoreResult],
) -> None:
    """Store the decisions that need a person (review / hold) for the review queue, whichever
    path scored them (the API, the queue worker). A passing order whose earlier scoring is still
    open in the queue (it was corrected and sent again) closes that decision: nobody needs to
    look at it any more. Only orders ``stream`` sent to a person before are looked up, so
    orders that pass (retries included) cost no database query."""
    at = now()
    again = stream.queued_among([r.order_id for r in results if r.action == "pass"])
    waiting = repo.open_decisions(again)
    pairs = [
        (o, r)
        for o, r in zip(orders, results, strict=True)
        if r.action != "pass" or r.order_id in waiting
    ]
    repo.save_decisions([decision_row(o, r, at) for o, r in pairs])
    stream.remember_queued([o for o, r in pairs if r.action != "pass"])


def score_and_record(services: Services, orders: Sequence[Order]) -> list[ScoreResult | Exception]:
    """The micro-batcher's unit of work: score a batch and record it as one; an order the
    scorer failed on has its exception in its place (:meth:`Scorer.score_each`)."""
    results = services.scorer.score_each(orders)
    record(services, *scored_only(orders, results))
    return results


def scored_only(
    orders: Sequence[Order], results: Sequence[ScoreResult | Exception]
) -> tuple[list[Order], list[ScoreResult]]:
    """The orders that have a result, and their results."""
    pairs = [(o, r) for o, r in zip(orders, results, strict=True) if isinstance(r, ScoreResult)]
    return [o for o, _ in pairs], [r for _, r in pairs]


def observe_latency(services: Services, endpoint: str, start: float) -> float:
    """Request latency since ``start`` (its arrival) into the histogram; returns milliseconds."""
    elapsed = time.perf_counter() - start
    services.metrics.latency.labels(endpoint).observe(elapsed)
    return round(elapsed * 1000, 3)


async def score_single(services: Services, order: Order, endpoint: str, start: float) -> Response:
    """Score one order through the micro-batcher; the JSON reply carries its own latency."""
    result = await services.batcher.submit(order)
    result.latency_ms = observe_latency(services, endpoint, start)
    return json_response(result)


def json_response(body: BaseModel) -> Response:
    """Serialise once with pydantic-core, skipping FastAPI's re-validation of the reply (the
    route's ``response_model`` still documents it)."""
    return Response(body.model_dump_json(exclude_none=True), media_type="application/json")


def decision_row(order: Order, result: ScoreResult, created_at: datetime) -> dict[str, Any]:
    """One stored decision: the result and the order as scored, for the review queue, and what
    the order models read for it (reviewers' verdicts become training rows from it)."""
    return {
        "order_id": result.order_id,
        "channel": order.channel,
        "action": result.action,
        "risk": result.risk,
        "result": result.model_dump(mode="json"),
        "order": order.model_dump(mode="json"),
        "model_inputs": result._model_inputs,
        "rules_version": result.rules_version,
        "created_at": created_at,
    }
