"""Demand history → dense daily series and scale-free exogenous features.

User history files often list only days with sales; a missing day is zero demand, not unknown.
Exogenous inputs are made relative to each series (price ÷ its median, traffic ÷ its mean) so
one global model carries over from our demo world to any catalogue's price and traffic scale.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["EXOG", "DenseHistory", "SeriesStats", "densify", "exog_features", "series_stats"]

EXOG = ("price", "promo", "traffic")
KEY = ["sku", "warehouse_id"]


@dataclass(frozen=True)
class DenseHistory:
    """A gap-free daily frame plus how many series-days were filled with zero demand."""

    frame: pd.DataFrame
    filled_missing_days: int
    n_series: int


def densify(history: pd.DataFrame, end: pd.Timestamp | None = None) -> DenseHistory:
    """Every series gets every day from its first sale to the common last date (or ``end``).

    Missing days get qty 0, the last known price, promo 0 and the last known traffic; a series
    that never reports a price or traffic keeps NaN there (the model handles missing values).
    """
    frame = history.copy()
    frame["date"] = pd.to_datetime(frame["date"]).dt.normalize()
    last = pd.Timestamp(end) if end is not None else frame["date"].max()
    # leading zeros (exports that list every day, before a product's launch too) are not demand:
    # a series starts at its first sale, or at its first row if it never sold
    sold = frame["date"].where(frame["qty"] > 0)
    bounds = sold.groupby([frame[k] for k in KEY], sort=True).min()
    bounds = bounds.fillna(frame.groupby(KEY, sort=True)["date"].min())
    spans = [
        pd.DataFrame({"sku": sku, "warehouse_id": wh, "date": pd.date_range(start, last)})
        for (sku, wh), start in bounds.items()
    ]
    grid = pd.concat(spans, ignore_index=True)
    dense = grid.merge(frame, on=[*KEY, "date"], how="left", indicator=True)
    filled = int((dense.pop("_merge") == "left_only").sum())
    dense["qty"] = dense["qty"].fillna(0.0).astype(float)
    if "promo" in dense:
        dense["promo"] = dense["promo"].fillna(0.0)
    for col in ("price", "traffic"):
        if col in dense:
            dense[col] = dense.groupby(KEY, sort=False)[col].ffill()
    dense = dense.sort_values([*KEY, "date"], ignore_index=True)
    return DenseHistory(dense, filled, len(bounds))


@dataclass(frozen=True)
class SeriesStats:
    """Per-series scales learnt at fit time and reused at predict time (no train/serve skew)."""

    price_median: pd.Series
    traffic_mean: pd.Series


def series_stats(dense: pd.DataFrame) -> SeriesStats:
    """Median price and mean traffic per (sku, warehouse_id)."""
    grouped = dense.groupby(KEY, sort=True)
    empty = pd.Series(dtype=float)
    price = grouped["price"].median() if "price" in dense else empty
    traffic = grouped["traffic"].mean() if "traffic" in dense else empty
    return SeriesStats(price, traffic)


def _ratio(values: pd.Series, keys: pd.MultiIndex, scale: pd.Series) -> np.ndarray:
    if scale.empty:
        return np.full(len(values), np.nan)
    denom = scale.reindex(keys).to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = values.to_numpy(dtype=float) / denom
    return np.where(np.isfinite(out), out, np.nan)


def exog_features(frame: pd.DataFrame, stats: SeriesStats) -> pd.DataFrame:
    """``price_rel``, ``promo``, ``traffic_rel_l7`` (traffic a week earlier), where present.

    Traffic leads demand, so last week's traffic is known for the first forecast week; same-day
    traffic is never a feature because it is unknown at forecast time (train/serve skew).
    ``frame`` must be sorted by series then date and hold consecutive days.
    """
    keys = pd.MultiIndex.from_frame(frame[KEY])
    out = pd.DataFrame(index=frame.index)
    if "price" in frame:  # neutral 1.0 until a price is known
        out["price_rel"] = np.nan_to_num(_ratio(frame["price"], keys, stats.price_median), nan=1.0)
    if "promo" in frame:
        out["promo"] = frame["promo"].fillna(0.0).to_numpy(dtype=float)
    if "traffic" in frame:
        traffic = pd.Series(_ratio(frame["traffic"], keys, stats.traffic_mean))
        series_id = frame.groupby(KEY, sort=False).ngroup().to_numpy()
        lagged = traffic.groupby(series_id).shift(7).to_numpy()
        out["traffic_rel_l7"] = np.nan_to_num(lagged, nan=1.0)
    return out
