"""Stock the scored orders have taken since the stock snapshot: the flash-sale oversell guard.

The stock snapshot (``stock.csv``, ``PUT /v1/reference/stock``) is refreshed every few minutes
at best. In between, every order of a flash sale would read the same ``available`` and pass,
a thousand orders for the last hundred units. The ledger counts what each order takes at its
sourcing warehouse, and later orders read the snapshot's ``reserved`` plus what was taken.

- An order takes a line's units where its warehouse can still fill them; a line it cannot fill
  takes nothing (the order is held or sent elsewhere, and must not block the next, smaller one).
- Only orders created after the snapshot count: older ones (a replayed file, training history)
  are in its numbers already. A retry takes nothing the second time, and reads the ledger
  without its own first take: it gets the answer it had.
- A stock row refreshed with other ``on_hand`` / ``reserved`` numbers includes the orders taken
  before it: its count starts again. A row sent again unchanged keeps its count (the warehouse
  system has not seen those orders yet).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from features.order_reference import ReferenceIndex

__all__ = ["StockLedger"]

Cell = tuple[int, int]  # (sku, warehouse) positions in the current reference index
# orders whose takes are remembered for their retries (a retry comes within minutes)
REMEMBERED_ORDERS = 200_000


@dataclass
class _Taken:
    sku: str  # by name: positions change when reference data is reloaded
    warehouse: str
    on_hand: float  # the snapshot's numbers when the first unit was taken
    reserved: float
    units: float = 0.0


@dataclass
class StockLedger:
    """Units taken per (SKU, warehouse) since its stock row was loaded, and by which order."""

    _taken: dict[Cell, _Taken] = field(default_factory=dict)
    # the recent orders' takes, so that a retry is read without its own (see :meth:`take`)
    _by_order: OrderedDict[str, list[tuple[_Taken, float]]] = field(default_factory=OrderedDict)
    _key: tuple[int, ...] | None = None
    _matrix: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))

    def matrix(self, idx: ReferenceIndex) -> np.ndarray:
        """Units taken as an (SKU, warehouse) array aligned with ``idx``; the counts of rows the
        snapshot has refreshed since are dropped."""
        if self._key != idx.key:
            self._key = idx.key
            self._matrix = np.zeros(idx.on_hand.shape)
            kept = {}
            for taken in self._taken.values():
                s, w = idx.sku_pos.get(taken.sku), idx.wh_pos.get(taken.warehouse)
                if s is None or w is None:
                    continue
                if (idx.on_hand[s, w], idx.reserved[s, w]) == (taken.on_hand, taken.reserved):
                    kept[(s, w)] = taken
                    self._matrix[s, w] = taken.units
            self._taken = kept
        return self._matrix

    def take(
        self,
        idx: ReferenceIndex,
        lines: Sequence[tuple[str, int, int]],
        retried: Sequence[bool],
        qty: Sequence[float],
        units: Sequence[float],
        available: Sequence[float],
    ) -> list[float]:
        """Per line (``(order_id, sku, warehouse)``, in arrival order), the units to add to the
        reserved ones at its warehouse beyond :meth:`matrix`: what earlier orders of this batch
        took, less a retried order's own take (it keeps the answer it had). Then records what
        each line of an order not ``retried`` takes: its ``qty`` where ``available`` less the
        earlier takes still covers the order's ``units`` of that SKU, else nothing."""
        matrix = self.matrix(idx)
        extra = [0.0] * len(lines)
        batch: dict[Cell, float] = {}  # taken by earlier orders of the batch
        current: list[tuple[Cell, float]] = []  # the order being read
        last_order = None
        for j, ((order, s, w), again, q, u, a) in enumerate(
            zip(lines, retried, qty, units, available, strict=True)
        ):
            if order != last_order:
                self._commit(idx, last_order, current, batch)
                current, last_order = [], order
            extra[j] = earlier = batch.get((s, w), 0.0)
            if again:
                extra[j] -= self._own(order, (s, w))
            elif u <= a - earlier:
                current.append(((s, w), q))
        self._commit(idx, last_order, current, batch)
        for cell in batch:
            matrix[cell] = self._taken[cell].units
        return extra

    def _commit(
        self,
        idx: ReferenceIndex,
        order: str | None,
        takes: list[tuple[Cell, float]],
        batch: dict[Cell, float],
    ) -> None:
        """Record one order's takes in the ledger, the batch and the order's own list."""
        if order is None or not takes:
            return
        own = self._by_order[order] = []
        for cell, took in takes:
            batch[cell] = batch.get(cell, 0.0) + took
            entry = self._taken.get(cell)
            if entry is None:
                s, w = cell
                entry = self._taken[cell] = _Taken(
                    str(idx.skus[s]), str(idx.wh_ids[w]), idx.on_hand[cell], idx.reserved[cell]
                )
            entry.units += took
            own.append((entry, took))
        if len(self._by_order) > REMEMBERED_ORDERS:
            self._by_order.popitem(last=False)

    def _own(self, order: str, cell: Cell) -> float:
        """What ``order`` took at ``cell``, where that count still stands."""
        current = self._taken.get(cell)
        return sum(took for entry, took in self._by_order.get(order, ()) if entry is current)
