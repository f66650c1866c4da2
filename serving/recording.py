"""After scoring: metrics, and the decisions that need a person stored for the review queue."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from ordersight.schema import Order, ScoreResult
from ordersight.storage import now
from serving.services import Services


def record(
    services: Services,
    orders: Sequence[Order],
    results: Sequence[ScoreResult],
    endpoint: str,
    start: float,
) -> None:
    metrics = services.metrics
    metrics.latency.labels(endpoint).observe(time.perf_counter() - start)
    for result in results:
        metrics.orders.labels(result.action).inc()
        for issue in result.issues:
            metrics.issues.labels(issue.type, issue.scored_by).inc()
    at = now()
    rows = [
        decision_row(o, r, at) for o, r in zip(orders, results, strict=True) if r.action != "pass"
    ]
    services.repo.save_decisions(rows)


def score_single(services: Services, order: Order, endpoint: str, start: float) -> ScoreResult:
    """Score one order, stamp its latency since ``start`` (the request's arrival) and record it."""
    result = services.scorer.score([order])[0]
    result.latency_ms = round((time.perf_counter() - start) * 1000, 3)
    record(services, [order], [result], endpoint, start)
    return result


def decision_row(order: Order, result: ScoreResult, created_at: datetime) -> dict[str, Any]:
    """One stored decision: the result and the order as scored, for the review queue."""
    return {
        "order_id": result.order_id,
        "channel": order.channel,
        "action": result.action,
        "risk": result.risk,
        "result": result.model_dump(mode="json"),
        "order": order.model_dump(mode="json"),
        "rules_version": result.rules_version,
        "created_at": created_at,
    }
