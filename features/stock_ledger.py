"""Stock the scored orders have taken since the stock snapshot: the flash-sale oversell guard.

The stock snapshot (``stock.csv``, ``PUT /v1/reference/stock``) is refreshed every few minutes
at best. In between, every order of a flash sale would read the same ``available`` and pass,
a thousand orders for the last hundred units. The ledger counts what each order takes at its
sourcing warehouse, and later orders read the snapshot's ``reserved`` plus what was taken.

- An order takes a line's units where its warehouse can still fill them; a line it cannot fill
  takes nothing (the order is held or sent elsewhere, and must not block the next, smaller one).
  An order naming no warehouse ships from the nearest one with units that no order has taken.
- A batch reads the stock as its orders would one by one, in arrival order.
- Only orders created after the snapshot count: older ones (a replayed file, training history)
  are in its numbers already. A retry takes nothing the second time, and reads the ledger
  without its own first take: it gets the answer it had.
- A stock row refreshed with other ``on_hand`` / ``reserved`` numbers includes the orders taken
  before it: its count starts again. A row sent again unchanged keeps its count (the warehouse
  system has not seen those orders yet).
- The counts are this process's own, unless ``shared`` is set: then a batch takes its turn with
  the other processes (the API, queue workers), reads their counts for its SKUs, and adds its
  takes before the next batch's turn, so two workers cannot sell the same last units. A batch
  that cannot reach the shared ledger takes on this process's own, and its takes are added at
  the next turn that reaches it (the other processes do not see them until then).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import NamedTuple, Protocol

import numpy as np

from features.order_reference import ReferenceIndex

__all__ = ["CellKey", "LedgerUnavailable", "Lines", "SharedLedger", "StockLedger"]

Cell = tuple[int, int]  # (sku, warehouse) positions in the current reference index
CellKey = tuple[str, str, float, float]  # SKU, warehouse, the snapshot's on_hand and reserved
Take = tuple[str, CellKey, float]  # order id, where, units
# orders whose takes are remembered for their retries (a retry comes within minutes)
REMEMBERED_ORDERS = 200_000
# up to this many lines a batch is taken line by line: the vectorised pass costs more (~20 µs)
SMALL_BATCH = 16


class Lines(NamedTuple):
    """A batch's lines that read and take from the ledger, in arrival order."""

    order: np.ndarray  # position of the line's order in the batch
    order_ids: Sequence[str]  # per order position
    sku: np.ndarray
    given: np.ndarray  # the warehouse the order names, -1 where it names none
    rank: np.ndarray  # (lines, warehouses): distance, or the like, the nearest lowest
    start: np.ndarray  # the warehouse each would ship from before this batch's takes
    left: np.ndarray  # (lines, warehouses): units on hand that no order took before the batch
    available: np.ndarray  # (lines, warehouses): available units before the batch
    retried: np.ndarray
    qty: np.ndarray  # the line's own units
    units: np.ndarray  # the order's units of the line's SKU (split lines summed)


class LedgerUnavailable(Exception):
    """The shared ledger could not be reached: the batch is taken on this process's own."""


class SharedLedger(Protocol):
    """Units taken kept by several processes together (``serving.shared_stream.RedisLedger``):
    a batch reads and takes in a turn no other process's turn overlaps."""

    def begin(
        self, cells: Sequence[CellKey], order_ids: Sequence[str]
    ) -> tuple[list[float], dict[str, list[tuple[CellKey, float]]]]:
        """Wait for the turn; the units taken at each cell and the takes of ``order_ids``.
        Raises :class:`LedgerUnavailable`."""
        ...

    def commit(self, takes: Sequence[Take]) -> None:
        """Add the turn's takes and end the turn. Raises :class:`LedgerUnavailable` when the
        takes could not be added."""
        ...


@dataclass
class _Taken:
    sku: str  # by name: positions change when reference data is reloaded
    warehouse: str
    on_hand: float  # the snapshot's numbers when the first unit was taken
    reserved: float
    units: float = 0.0

    @property
    def key(self) -> CellKey:
        return self.sku, self.warehouse, self.on_hand, self.reserved


@dataclass
class StockLedger:
    """Units taken per (SKU, warehouse) since its stock row was loaded, and by which order."""

    _taken: dict[Cell, _Taken] = field(default_factory=dict)
    # the recent orders' takes, so that a retry is read without its own (see :meth:`view`)
    _by_order: OrderedDict[str, list[tuple[_Taken, float]]] = field(default_factory=OrderedDict)
    shared: SharedLedger | None = None
    _key: tuple[int, ...] | None = None
    _matrix: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    _pending: list[Take] | None = None  # a shared turn's takes, until it ends
    # takes made alone while the shared ledger could not be reached, for the next turn; the
    # first ``_carried`` of a turn's pending takes are those
    _unshared: list[Take] = field(default_factory=list)
    _carried: int = 0

    def __getstate__(self) -> dict:
        """Kept (pickled) without the matrix: it is by position in one process's reference
        index; :meth:`matrix` builds it again from the entries, which name their cells. Nor
        ``shared``: a connection, not state."""
        return {"taken": self._taken, "by_order": self._by_order, "unshared": self._unshared}

    def __setstate__(self, state: dict) -> None:
        self._taken, self._by_order = state["taken"], state["by_order"]
        self._unshared, self._carried = state["unshared"], 0
        self._key, self._matrix = None, np.zeros((0, 0))
        self.shared, self._pending = None, None

    def turn(self, idx: ReferenceIndex, skus: np.ndarray, retried: Sequence[str]) -> _Turn:
        """The batch's turn at the ledger (``with``), for reading and taking the SKUs at
        positions ``skus``; ``retried`` names the batch's retried orders. Shared: the other
        processes' counts and those orders' takes are read first, and the batch's takes added
        at its end. Otherwise, or while the shared ledger cannot be reached, nothing to do."""
        return _Turn(self, idx, skus, retried)

    def _begin(self, idx: ReferenceIndex, skus: np.ndarray, retried: Sequence[str]) -> None:
        """Start a shared turn: the shared counts of ``skus`` at every warehouse, plus what
        this process took alone since its last turn (less what the shared ledger holds already:
        a commit whose reply was lost), replace ours."""
        if self.shared is None:
            return
        matrix = self.matrix(idx)
        cells = [(int(s), w) for s in np.unique(skus).tolist() for w in range(len(idx.wh_ids))]
        keys = [_cell_key(idx, cell) for cell in cells]
        carried = self._unshared
        asked = list(dict.fromkeys([*retried, *(order_id for order_id, _, _ in carried)]))
        try:
            counts, takes = self.shared.begin(keys, asked)
        except LedgerUnavailable:
            return
        # a commit whose reply was lost may have added its takes: the shared counts hold them
        self._pending = [take for take in carried if take[0] not in takes]
        self._unshared = []
        self._carried = len(self._pending)
        alone: dict[CellKey, float] = {}
        for _, key, count in self._pending:
            alone[key] = alone.get(key, 0.0) + count
        try:  # the turn is held: a failure here must end it (``with`` runs no exit then)
            for cell, key, shared_units in zip(cells, keys, counts, strict=True):
                units = shared_units + alone.get(key, 0.0)
                matrix[cell] = units
                if units:
                    self._taken[cell] = _Taken(*key, units=units)
                else:
                    self._taken.pop(cell, None)
            for order_id, took in takes.items():
                where = [(_position(idx, key), units) for key, units in took]
                entries = [(self._taken.get(c), units) for c, units in where if c is not None]
                self._by_order[order_id] = [(e, units) for e, units in entries if e is not None]
        except BaseException:
            self._end(failed=True)
            raise

    def _end(self, failed: bool) -> None:
        """End a shared turn: its takes added, or where the batch failed only those made alone
        before it; takes that cannot be added wait for the next turn."""
        if self.shared is None or self._pending is None:
            return
        pending, self._pending = self._pending, None
        adding = pending[: self._carried] if failed else pending
        try:
            self.shared.commit(adding)
        except LedgerUnavailable:
            self._keep_unshared(adding)

    def _keep_unshared(self, takes: list[Take]) -> None:
        """Keep takes for the next turn (the latest :data:`REMEMBERED_ORDERS`)."""
        self._unshared += takes
        del self._unshared[:-REMEMBERED_ORDERS]

    def matrix(self, idx: ReferenceIndex) -> np.ndarray:
        """Units taken as an (SKU, warehouse) array aligned with ``idx``; the counts of rows the
        snapshot has refreshed since are dropped."""
        if self._key != idx.key:
            self._key = idx.key
            self._matrix = np.zeros(idx.on_hand.shape)
            kept = {}
            for taken in self._taken.values():
                cell = _position(idx, taken.key)
                if cell is not None:
                    kept[cell] = taken
                    self._matrix[cell] = taken.units
            self._taken = kept
        return self._matrix

    def view(
        self, idx: ReferenceIndex, lines: Sequence[tuple[str, int]], retried: Sequence[bool]
    ) -> np.ndarray:
        """Per line (``(order_id, sku)``), the units taken at each warehouse as it reads them: a
        retried order's own takes left out (it keeps the answer it had)."""
        rows = self.matrix(idx)[[s for _, s in lines]]
        for j in [j for j, again in enumerate(retried) if again]:
            order, s = lines[j]
            for entry, took in self._by_order.get(order, ()):
                w = idx.wh_pos.get(entry.warehouse)
                if w is not None and self._taken.get((s, w)) is entry:
                    rows[j, w] -= took
        return rows

    def take(self, idx: ReferenceIndex, lines: Lines) -> tuple[np.ndarray, np.ndarray]:
        """Route and take the batch's lines as if one by one in arrival order.

        A line ships from its order's warehouse, else from the nearest one with units ``left``
        that earlier orders of the batch have not taken (else the nearest). It takes its
        ``qty`` where the available units, less what earlier orders of the batch took there,
        cover the order's ``units`` of the SKU; otherwise, and for a retry, nothing. Returns
        each line's warehouse and, per warehouse, what earlier orders of the batch took.
        """
        k = len(lines.sku)
        at = np.arange(k), lines.start  # each line where it stood before the batch
        if lines.order[0] == lines.order[-1]:  # one order (the single-order path): none before it
            fits = (lines.units <= lines.available[at]) & ~lines.retried
            self._record(idx, lines, lines.start, np.where(fits, lines.qty, 0.0))
            return lines.start, np.zeros(lines.available.shape)
        if k > SMALL_BATCH and not lines.retried.any():
            # usually every line fits where it stood before the batch: then in one pass
            earlier = _taken_by_earlier_orders(lines)
            if (lines.units <= lines.available[at] - earlier[at]).all():
                self._record(idx, lines, lines.start, lines.qty)
                return lines.start, earlier
        ships, took, earlier = _in_turn(lines)
        self._record(idx, lines, ships, took)
        return ships, earlier

    def _record(
        self, idx: ReferenceIndex, lines: Lines, ships: np.ndarray, took: np.ndarray
    ) -> None:
        """Add the lines' takes to the ledger and to their orders' lists."""
        some = took > 0
        if not some.any():
            return
        matrix = self.matrix(idx)
        order, sku, wh, units = (
            lines.order[some].tolist(),
            lines.sku[some].tolist(),
            ships[some].tolist(),
            took[some].tolist(),
        )
        by_order = self._by_order
        alone: list[Take] = []
        for o, cell, q in zip(order, zip(sku, wh, strict=True), units, strict=True):
            entry = self._taken.get(cell)
            if entry is None:
                entry = self._taken[cell] = _Taken(*_cell_key(idx, cell))
            entry.units += q
            matrix[cell] = entry.units
            by_order.setdefault(lines.order_ids[o], []).append((entry, q))
            if self._pending is not None:
                self._pending.append((lines.order_ids[o], entry.key, q))
            elif self.shared is not None:  # taken alone: the shared ledger was not reached
                alone.append((lines.order_ids[o], entry.key, q))
        if alone:
            self._keep_unshared(alone)
        while len(by_order) > REMEMBERED_ORDERS:
            by_order.popitem(last=False)


class _Turn:
    """:meth:`StockLedger.turn` as a ``with`` block."""

    def __init__(
        self, ledger: StockLedger, idx: ReferenceIndex, skus: np.ndarray, retried: Sequence[str]
    ) -> None:
        self.ledger, self.idx, self.skus, self.retried = ledger, idx, skus, retried

    def __enter__(self) -> None:
        self.ledger._begin(self.idx, self.skus, self.retried)

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.ledger._end(failed=kind is not None)


def _cell_key(idx: ReferenceIndex, cell: Cell) -> CellKey:
    """The cell by name and by its snapshot's numbers (a refreshed row is another cell)."""
    s, w = cell
    return str(idx.skus[s]), str(idx.wh_ids[w]), float(idx.on_hand[cell]), float(idx.reserved[cell])


def _position(idx: ReferenceIndex, key: CellKey) -> Cell | None:
    """Where ``key`` is in ``idx`` while its row has the same numbers (None once refreshed)."""
    s, w = idx.sku_pos.get(key[0]), idx.wh_pos.get(key[1])
    if s is None or w is None or (idx.on_hand[s, w], idx.reserved[s, w]) != key[2:]:
        return None
    return s, w


def _taken_by_earlier_orders(lines: Lines) -> np.ndarray:
    """(lines, warehouses): the units earlier orders of the batch took of each line's SKU, when
    every line takes its ``qty`` where it stood before the batch."""
    k, n_wh = lines.available.shape
    taken = np.zeros((k, n_wh))
    taken[np.arange(k), lines.start] = lines.qty
    by_sku = np.argsort(lines.sku, kind="stable")  # arrival order within a SKU
    sku, order, taken = lines.sku[by_sku], lines.order[by_sku], taken[by_sku]
    running = np.cumsum(taken, axis=0) - taken  # before each line
    first = np.arange(k)
    new_sku = np.r_[True, sku[1:] != sku[:-1]]
    new_order = new_sku | np.r_[True, order[1:] != order[:-1]]
    sku_start = np.maximum.accumulate(np.where(new_sku, first, 0))
    order_start = np.maximum.accumulate(np.where(new_order, first, 0))
    earlier = np.empty((k, n_wh))
    earlier[by_sku] = running[order_start] - running[sku_start]
    return earlier


def _in_turn(lines: Lines) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:meth:`StockLedger.take` line by line: warehouses, units taken, earlier orders' takes."""
    k, n_wh = lines.available.shape
    ships, took, earlier = np.zeros(k, dtype=np.int64), np.zeros(k), np.zeros((k, n_wh))
    batch: dict[int, dict[int, float]] = {}  # per SKU and warehouse, taken by earlier orders
    mine: dict[tuple[int, int], dict[int, float]] = {}  # the same per order, for its retries
    current: list[tuple[int, int, float]] = []  # the takes of the order being read
    last_order = -1
    left, available = lines.left.tolist(), lines.available.tolist()
    for j, (order, s, given, route, again, q, u) in enumerate(
        zip(
            lines.order.tolist(),
            lines.sku.tolist(),
            lines.given.tolist(),
            np.argsort(lines.rank, axis=1, kind="stable").tolist(),
            lines.retried.tolist(),
            lines.qty.tolist(),
            lines.units.tolist(),
            strict=True,
        )
    ):
        if order != last_order:
            _commit(last_order, current, batch, mine)
            current, last_order = [], order
        before: dict[int, float] = {}
        if s in batch:
            own = mine.get((order, s), {}) if again else {}
            before = {w: units - own.get(w, 0.0) for w, units in batch[s].items()}
            for w, units in before.items():
                earlier[j, w] = units
        route = [given] if given >= 0 else route
        w = next((w for w in route if left[j][w] > before.get(w, 0.0)), route[0])
        ships[j] = w
        if not again and u <= available[j][w] - before.get(w, 0.0):
            took[j] = q
            current.append((s, w, q))
    _commit(last_order, current, batch, mine)
    return ships, took, earlier


def _commit(
    order: int,
    takes: list[tuple[int, int, float]],
    batch: dict[int, dict[int, float]],
    mine: dict[tuple[int, int], dict[int, float]],
) -> None:
    """One order's takes into the batch's running counts (once the order has been read)."""
    for s, w, q in takes:
        in_batch = batch.setdefault(s, {})
        in_batch[w] = in_batch.get(w, 0.0) + q
        by_me = mine.setdefault((order, s), {})
        by_me[w] = by_me.get(w, 0.0) + q
