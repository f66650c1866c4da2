"""From forecast to stored plan: the pre-positioning recommendations planners review.

Each stored recommendation carries what the planner page draws for it: the SKU × destination
history, the forecast band and stock on both ends.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from ordersight.allocation import MIN_MOVE, recommend
from ordersight.reference import Problem, ReferenceFileError, read_csv
from ordersight.settings import Settings
from ordersight.storage import Recommendation, SqlRepository

FORECAST_COLUMNS = ("date", "sku", "warehouse_id", "q10", "q50", "q90")
HISTORY_DAYS = 90
BACKTEST_WINDOWS = 2  # rolling origins in `ordersight train`: bounds `make run` on 2 cores


def read_forecast(path: Path) -> pd.DataFrame:
    """A forecast CSV (CONTRACT §4 output) with its required columns, typed."""
    frame = pd.read_csv(path, dtype={"sku": str, "warehouse_id": str})
    missing = [c for c in FORECAST_COLUMNS if c not in frame.columns]
    if missing:
        raise ReferenceFileError(
            path.name, [Problem(1, c, "required column missing") for c in missing]
        )
    frame["date"] = pd.to_datetime(frame["date"], errors="coerce")
    bad = frame.index[frame["date"].isna()]
    if len(bad):
        raise ReferenceFileError(
            path.name, [Problem(int(i) + 2, "date", "unparseable date") for i in bad[:5]]
        )
    return frame


SeriesKey = tuple[str, str]  # (sku, warehouse_id)


def _by_series(frame: pd.DataFrame, keys: set[SeriesKey]) -> dict[SeriesKey, pd.DataFrame]:
    """The rows of each wanted SKU × warehouse series, date-sorted, split in one pass."""
    wanted = pd.MultiIndex.from_frame(frame[["sku", "warehouse_id"]]).isin(list(keys))
    rows = frame[wanted].sort_values("date")
    return {key: group for key, group in rows.groupby(["sku", "warehouse_id"])}


def _details(
    rec: pd.Series,
    fc: pd.DataFrame,
    h: pd.DataFrame | None,
    on_hand: pd.Series,
    names: dict[str, str],
) -> dict[str, Any]:
    """What the planner page draws for one move: destination history, forecast band, stock."""
    sku, dest, src = rec["sku"], rec["to_warehouse"], rec["from_warehouse"]
    details: dict[str, Any] = {
        "forecast": [
            {
                "date": d.strftime("%Y-%m-%d"),
                "q10": round(a, 2),
                "q50": round(b, 2),
                "q90": round(c, 2),
            }
            for d, a, b, c in zip(fc["date"], fc["q10"], fc["q50"], fc["q90"], strict=True)
        ],
        "forecast_total_q50": round(float(fc["q50"].sum()), 2),
        "on_hand_from": int(on_hand.get((src, sku), 0)),
        "on_hand_to": int(on_hand.get((dest, sku), 0)),
        "history": [],
        "warehouse_to_name": names.get(dest, dest),
        "hot_reason": rec["hot_reason"]
        if "hot_reason" in rec and pd.notna(rec["hot_reason"])
        else None,
    }
    if h is not None:
        h = h[h["date"] > h["date"].max() - pd.Timedelta(days=HISTORY_DAYS)] if len(h) else h
        details["history"] = [
            {"date": d.strftime("%Y-%m-%d"), "qty": float(q)}
            for d, q in zip(h["date"], h["qty"], strict=True)
        ]
    return details


def to_recommendations(
    recs: pd.DataFrame,
    forecast: pd.DataFrame,
    history: pd.DataFrame | None,
    stock: pd.DataFrame,
    warehouses: pd.DataFrame,
) -> list[Recommendation]:
    names = dict(zip(warehouses["warehouse_id"], warehouses["name"], strict=True))
    on_hand = stock.set_index(["warehouse_id", "sku"])["on_hand"]
    keys = set(zip(recs["sku"], recs["to_warehouse"], strict=True))
    forecasts = _by_series(forecast, keys)
    histories = _by_series(history, keys) if history is not None else None
    empty = forecast.iloc[:0]
    out = []
    for _, rec in recs.iterrows():
        key = (rec["sku"], rec["to_warehouse"])
        h = None if histories is None else histories.get(key, history.iloc[:0])
        out.append(
            Recommendation(
                rec_id=str(rec["rec_id"]),
                sku=str(rec["sku"]),
                from_warehouse=str(rec["from_warehouse"]),
                to_warehouse=str(rec["to_warehouse"]),
                qty=int(rec["qty"]),
                reason=str(rec["reason"]),
                expected_gain=float(rec["expected_gain"]),
                category=str(rec["category"])
                if "category" in rec and pd.notna(rec["category"])
                else None,
                is_hot=bool(rec.get("is_hot", False)),
                details=_details(rec, forecasts.get(key, empty), h, on_hand, names),
            )
        )
    return out


def recommend_files(
    forecast_path: Path,
    stock_path: Path,
    warehouses_path: Path,
    *,
    settings: Settings,
    store: bool,
    min_qty: int | None = None,
) -> pd.DataFrame:
    """:func:`recommend` over CSV files; ``min_qty`` None is the optimiser's own
    (:data:`ordersight.allocation.MIN_MOVE`)."""
    forecast = read_forecast(forecast_path)
    stock = read_csv(stock_path, "stock")
    warehouses = read_csv(warehouses_path, "warehouses")
    recs = recommend(forecast, stock, warehouses, min_qty=min_qty or MIN_MOVE)
    if store:
        repo = SqlRepository.from_url(settings.database_url)
        repo.replace_recommendations(to_recommendations(recs, forecast, None, stock, warehouses))
    return recs


def train_and_plan(
    data: Path, registry: Any, settings: Settings, horizon: int = 14
) -> dict[str, Any]:
    """Fit + backtest + register the demand model, then store a fresh plan for the planners."""
    from training.forecast import train_demand

    result = train_demand(data, registry, horizon=horizon, windows=BACKTEST_WINDOWS)
    forecast = result["model"].predict(horizon)
    history = read_csv(data / "history.csv", "history")
    stock = read_csv(data / "stock.csv", "stock")
    warehouses = read_csv(data / "warehouses.csv", "warehouses")
    catalog = read_csv(data / "catalog.csv", "catalog")
    recs = recommend(forecast, stock, warehouses, catalog, history=history)
    settings.home.mkdir(parents=True, exist_ok=True)
    repo = SqlRepository.from_url(settings.database_url)
    repo.replace_recommendations(to_recommendations(recs, forecast, history, stock, warehouses))
    return {
        "version": result["version"],
        "gates_passed": result["gates_passed"],
        "metrics": result["metrics"],
        "recommendations": len(recs),
    }
