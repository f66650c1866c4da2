"""The stock ledger's one-pass batch equals taking its lines one by one (`_in_turn`)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.order_reference import reference_index
from features.stock_ledger import SMALL_BATCH, Lines, StockLedger, _in_turn
from ordersight.reference import ReferenceData

N_SKU, N_WH = 3, 4


def _index():
    catalog = pd.DataFrame(
        {
            "sku": [f"S{i}" for i in range(N_SKU)],
            "name": "x",
            "category": "c",
            "list_price": 10.0,
            "cost": 5.0,
            "price_floor": np.nan,
            "stage": np.nan,
            "max_qty_per_order": np.nan,
        }  # fmt: skip
    )
    warehouses = pd.DataFrame(
        {
            "warehouse_id": [f"W{j}" for j in range(N_WH)],
            "name": "w",
            "adcode": "110105",
            "lon": 116.0 + np.arange(N_WH),
            "lat": 39.0,
            "capacity_units": 1000,
        }  # fmt: skip
    )
    stock = pd.DataFrame(
        [(f"W{j}", f"S{i}", 20, 2, 0) for i in range(N_SKU) for j in range(N_WH)],
        columns=["warehouse_id", "sku", "on_hand", "reserved", "in_transit"],
    )
    return reference_index(ReferenceData(catalog, warehouses, stock, stock_as_of=0.0))


def _lines(rng: np.random.Generator, n_orders: int, scarce: bool) -> Lines:
    per_order = rng.integers(1, 3, n_orders)
    order = np.repeat(np.arange(n_orders), per_order)
    k = len(order)
    sku = rng.integers(0, N_SKU, k)
    given = np.where(rng.random(n_orders) < 0.5, -1, rng.integers(0, N_WH, n_orders))[order]
    rank = rng.random((k, N_WH))
    left = rng.integers(0, 12 if scarce else 400, (N_SKU, N_WH))[sku].astype(float)
    available = left - rng.integers(0, 3, (N_SKU, N_WH))[sku]
    held = left > 0
    nearest = np.where(held.any(axis=1), np.argmin(np.where(held, rank, np.inf), axis=1),
                       np.argmin(rank, axis=1))  # fmt: skip
    qty = rng.integers(1, 4, k).astype(float)
    return Lines(
        order=order, order_ids=[f"o{i}" for i in range(n_orders)], sku=sku, given=given,
        rank=rank, start=np.where(given >= 0, given, nearest), left=left, available=available,
        retried=np.zeros(k, dtype=bool), qty=qty, units=qty,
    )  # fmt: skip


@pytest.mark.parametrize("seed", range(12))
def test_a_batch_is_taken_as_its_lines_one_by_one(seed):
    rng = np.random.default_rng(seed)
    lines = _lines(rng, n_orders=SMALL_BATCH + 10, scarce=seed % 2 == 1)
    idx, ledger = _index(), StockLedger()
    ships, earlier = ledger.take(idx, lines)
    one_by_one, took, earlier_one_by_one = _in_turn(lines)
    np.testing.assert_array_equal(ships, one_by_one)
    np.testing.assert_allclose(earlier, earlier_one_by_one)
    expected = np.zeros((N_SKU, N_WH))
    np.add.at(expected, (lines.sku, one_by_one), took)
    np.testing.assert_allclose(ledger.matrix(idx), expected)
