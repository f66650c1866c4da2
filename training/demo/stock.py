"""The stock snapshot orders are scored against, and each district's warehouses by distance."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ordersight.gazetteer import haversine_km, load_gazetteer
from training.demo.labels import StockBook


def build_stock(
    qty: np.ndarray,
    skus: np.ndarray,
    warehouses: np.ndarray,
    rng: np.random.Generator,
    tight_share: float,
) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """Snapshot at the end of the period: cover of 7–45 days of recent sales; long-tail SKUs
    sit in only three warehouses; a ``tight_share`` of pairs hold just a few units (some of them
    mostly reserved). Returns the frame and, per warehouse, its tight SKUs."""
    n_sku, n_wh, _ = qty.shape
    velocity = qty[:, :, -28:].mean(axis=2)
    slow = qty.sum(axis=(1, 2)) < qty.shape[2] * 0.8
    stocked = np.ones((n_sku, n_wh), dtype=bool)
    for s in np.flatnonzero(slow):
        stocked[s] = False
        stocked[s, rng.choice(n_wh, size=3, replace=False)] = True
    cover = rng.uniform(7, 45, (n_sku, n_wh))
    on_hand = np.maximum(np.round(velocity * cover), rng.integers(8, 40, (n_sku, n_wh)))
    reserved = np.round(on_hand * rng.uniform(0, 0.12, on_hand.shape))
    tight = stocked & (rng.random((n_sku, n_wh)) < tight_share)
    tight_on_hand = rng.integers(2, 11, on_hand.shape)
    heavy = rng.random(on_hand.shape) < 0.5
    tight_reserved = np.where(
        heavy, np.floor(rng.uniform(0.3, 0.9, on_hand.shape) * tight_on_hand), 0
    )
    on_hand = np.where(tight, tight_on_hand, on_hand)
    reserved = np.where(tight, np.minimum(tight_reserved, tight_on_hand - 1), reserved)
    in_transit = np.where(
        rng.random(on_hand.shape) < 0.4, np.round(velocity * rng.uniform(3, 15)), 0
    )
    s_idx, w_idx = np.nonzero(stocked)
    frame = pd.DataFrame(
        {
            "warehouse_id": warehouses[w_idx],
            "sku": skus[s_idx],
            "on_hand": on_hand[s_idx, w_idx].astype(int),
            "reserved": reserved[s_idx, w_idx].astype(int),
            "in_transit": in_transit[s_idx, w_idx].astype(int),
        }
    ).sort_values(["warehouse_id", "sku"], kind="stable")
    tight_skus = {
        str(w): [str(skus[s]) for s in np.flatnonzero(tight[:, j])]
        for j, w in enumerate(warehouses)
    }
    return frame.reset_index(drop=True), tight_skus


def stock_book(stock: pd.DataFrame, regions: pd.DataFrame, warehouses: pd.DataFrame) -> StockBook:
    keys = list(zip(stock["warehouse_id"], stock["sku"], strict=True))
    on_hand = dict(zip(keys, stock["on_hand"].astype(int), strict=True))
    reserved = dict(zip(keys, stock["reserved"].astype(int), strict=True))
    gaz = load_gazetteer()
    ids = warehouses["warehouse_id"].tolist()
    coords = list(zip(warehouses["lon"], warehouses["lat"], strict=True))
    by_distance: dict[str, list[str]] = {}
    for adcode in regions["adcode"]:
        region = gaz[adcode]
        dists = [haversine_km(region.lon, region.lat, lon, lat) for lon, lat in coords]
        by_distance[adcode] = [ids[i] for i in np.argsort(dists, kind="stable")]
    return StockBook(on_hand, reserved, by_distance)
