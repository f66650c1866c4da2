"""The Scorer: the one entry point the API, the queue worker and the CLI score through."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from features.address import prime
from features.duplicates import RecentOrders, SharedWindow
from features.order_reference import reference_index
from features.stock_ledger import SharedLedger
from ordersight.mypyc_build import stale_modules
from ordersight.rules.store import RuleStore
from ordersight.schema import Order, ParsedAddress, ScoreResult
from serving.metrics import Metrics
from serving.scorer import Columns, build_columns, score_columns
from serving.state import ModelHolder, ReferenceHolder
from serving.stream_state import load_stream_state, save_stream_state

log = logging.getLogger("ordersight.scorer")


class Scorer:
    """Reference data, rules, models and the recent-order index around the scoring functions."""

    def __init__(
        self,
        reference: ReferenceHolder,
        rules: RuleStore,
        models: ModelHolder,
        metrics: Metrics | None = None,
    ):
        self.reference = reference
        self.rules = rules
        self.models = models
        self.metrics = metrics  # shadow disagreements are counted there when given
        self.recent = RecentOrders()
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        """Build what the first order would otherwise wait ~250 ms for: the reference arrays
        (with the history signals) and the address lexicon, with every county's standard
        writing read once (~0.2 s more: the first orders' addresses parse faster); say if a
        compiled module is stale."""
        reference_index(self.reference.data)
        prime()
        stale = stale_modules()
        if stale:
            log.warning("edited after `make compile`, still running compiled: %s", stale)

    def score(self, orders: Sequence[Order]) -> list[ScoreResult]:
        start = time.perf_counter()
        if not orders:
            return []
        self.rules.maybe_reload()
        ruleset = self.rules.current
        with self._lock:  # the duplicate index is order-dependent state
            cols, parsed = build_columns(orders, self.reference.data, self.recent)
        results = score_columns(orders, cols, parsed, ruleset, self.models.champions, start)
        if self.models.challengers:
            self._shadow(orders, cols, parsed, results)
        return results

    def resume_stream(self, path: Path) -> None:
        """Continue from the order stream's state saved at ``path`` (see
        :mod:`serving.stream_state`), where there is one this code can read."""
        loaded = load_stream_state(path)
        if loaded is not None:
            loaded.shared = self.recent.shared
            loaded.stock_taken.shared = self.recent.stock_taken.shared
            self.recent = loaded

    def share_stream(self, window: SharedWindow | None, ledger: SharedLedger | None) -> None:
        """Keep the duplicate window and the stock ledger with other processes' (Nones: in this
        process's memory)."""
        self.recent.shared, self.recent.stock_taken.shared = window, ledger

    def save_stream(self, path: Path) -> None:
        """Save the order stream's state to ``path``, between batches."""
        with self._lock:
            save_stream_state(self.recent, path)

    def score_each(self, orders: Sequence[Order]) -> list[ScoreResult | Exception]:
        """:meth:`score`, where one order the scorer fails on (a bug, never bad input: that is
        refused before) costs only its own result: a batch that fails is scored again order by
        order, and an order that fails alone gets its exception in its place."""
        try:
            return list(self.score(orders))
        except Exception:
            log.exception("scoring a batch of %d failed; scoring it order by order", len(orders))
        out: list[ScoreResult | Exception] = []
        for order in orders:
            try:
                out += self.score([order])
            except Exception as exc:
                log.exception("scoring order %s failed", order.order_id)
                out.append(exc)
        return out

    def _shadow(
        self,
        orders: Sequence[Order],
        cols: Columns,
        parsed: Sequence[ParsedAddress],
        champion: list[ScoreResult],
    ) -> None:
        """Score the champion's features with challengers too; count disagreements, never return
        them (CONTRACT §7)."""
        models = {**self.models.champions, **self.models.challengers}
        try:
            shadow = score_columns(
                orders, cols, parsed, self.rules.current, models, time.perf_counter()
            )
        except Exception:
            log.exception("shadow scoring failed")
            return
        for ours, theirs in zip(champion, shadow, strict=True):
            for kind in self.models.challengers:
                disagree = (ours.scores.get(kind, 0) >= 0.5) != (theirs.scores.get(kind, 0) >= 0.5)
                if disagree and self.metrics is not None:
                    self.metrics.shadow_disagreements.labels(kind).inc()
