"""After scoring: metrics, and the decisions that need a person stored for the review queue."""

from __future__ import annotations

import time
from collections.abc import Sequence

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
    rows = [
        {
            "order_id": r.order_id,
            "channel": o.channel,
            "action": r.action,
            "risk": r.risk,
            "result": r.model_dump(mode="json"),
            "order": o.model_dump(mode="json"),
            "rules_version": r.rules_version,
            "created_at": now(),
        }
        for o, r in zip(orders, results, strict=True)
        if r.action != "pass"
    ]
    services.repo.save_decisions(rows)
