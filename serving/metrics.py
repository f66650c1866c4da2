"""Prometheus metrics, one registry per app instance (so tests can build many apps)."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest


@dataclass
class Metrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self.orders = Counter("ordersight_orders_scored", "Orders scored", ["action"], registry=r)
        self.issues = Counter(
            "ordersight_issues", "Issues raised", ["type", "scored_by"], registry=r
        )
        self.latency = Histogram(
            "ordersight_score_seconds",
            "Scoring time per request",
            ["endpoint"],
            buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 5),
            registry=r,
        )
        self.shadow_disagreements = Counter(
            "ordersight_shadow_disagreements",
            "Orders where the challenger's decision differs from the champion's",
            ["type"],
            registry=r,
        )
        self.shared_stream_misses = Counter(
            "ordersight_shared_stream_misses",
            "Batches that went without a part of the shared stream (window, review_marks, "
            "ledger): Redis unreachable, no turn at the ledger in time, or a turn that ran out",
            ["part"],
            registry=r,
        )
        self.worker_errors = Counter(
            "ordersight_worker_errors",
            "Queue payloads pushed to the errors list (invalid, or the scorer failed on them)",
            registry=r,
        )

    def missed_shared(self, part: str) -> None:
        self.shared_stream_misses.labels(part).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
