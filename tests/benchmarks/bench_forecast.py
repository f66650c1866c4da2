"""Demand benchmarks: fit+predict time beside AutoETS on the same series (demo world and 10×),
backtest error against SeasonalNaive / AutoETS, and the optimiser's time on the demo world.

Uses ``data/demo`` (``ORDERSIGHT_BENCH_DEMO`` overrides). The base set is the best-selling
``BENCH_SKUS`` SKUs (all warehouses) so the 10× run (the base tiled with fresh ids and
multiplicative noise) stays within minutes on a 2-core machine; the optimiser uses every SKU.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from features.demand import densify
from models.demand import DemandConfig, DemandModel
from ordersight.allocation import recommend
from ordersight.reference import read_csv
from training.forecast import backtest

HORIZON = 14
BENCH_SKUS = 60
ETS_DAYS = 365  # both see the last year; both run on one core (n_jobs=1, num_threads=1)


def _autoets_seconds(history: pd.DataFrame) -> float:
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS

    dense = densify(history).frame
    dense = dense[dense["date"] > dense["date"].max() - pd.Timedelta(days=ETS_DAYS)]
    long = pd.DataFrame(
        {
            "unique_id": dense["sku"] + "|" + dense["warehouse_id"],
            "ds": dense["date"],
            "y": dense["qty"],
        }
    )
    start = time.perf_counter()
    StatsForecast(models=[AutoETS(season_length=7)], freq="D", n_jobs=1).forecast(
        df=long, h=HORIZON
    )
    return time.perf_counter() - start


def _ours_seconds(history: pd.DataFrame, config: DemandConfig) -> float:
    start = time.perf_counter()
    DemandModel(config).fit(history).predict(HORIZON)
    return time.perf_counter() - start


def _tiled(history: pd.DataFrame, times: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    copies = []
    for k in range(times):
        noise = rng.lognormal(0, 0.2, len(history))
        copies.append(
            history.assign(sku=history["sku"] + f"~{k}", qty=np.round(history["qty"] * noise))
        )
    return pd.concat(copies, ignore_index=True)


def _row(figure: str, value: float, baseline: str, base: float | None, unit: str) -> dict:
    ratio = value / base if base else None
    return {
        "figure": figure,
        "value": value,
        "unit": unit,
        "baseline": baseline,
        "baseline_value": base,
        "ratio": ratio,
    }


def run() -> list[dict[str, Any]]:
    demo = Path(os.environ.get("ORDERSIGHT_BENCH_DEMO", "data/demo"))
    full = read_csv(demo / "history.csv", "history")
    top = full.groupby("sku")["qty"].sum().nlargest(BENCH_SKUS).index
    history = full[full["sku"].isin(top)]
    config = DemandConfig(horizon=HORIZON, train_days=ETS_DAYS)
    n_series = history.groupby(["sku", "warehouse_id"]).ngroups
    rows = []
    ours = _ours_seconds(history, config)
    rows.append(
        _row(
            f"forecast fit+predict, {n_series} series",
            ours,
            "AutoETS same series",
            _autoets_seconds(history),
            "s",
        )
    )
    big = _tiled(history, 10)
    rows.append(
        _row(
            f"forecast fit+predict, {10 * n_series} series",
            _ours_seconds(big, config),
            "AutoETS same series",
            _autoets_seconds(big),
            "s",
        )
    )
    report = backtest(history, windows=2, horizon=HORIZON, config=config)
    for scope in ("overall", "hot"):
        ours_wape = report[scope]["ours"]["wape"]
        for base in ("SeasonalNaive", "AutoETS"):
            rows.append(
                _row(
                    f"WAPE {scope} (2×{HORIZON}-day backtest)",
                    ours_wape,
                    base,
                    report[scope][base]["wape"],
                    "",
                )
            )
    forecast = DemandModel(config).fit(full).predict(HORIZON)
    stock = read_csv(demo / "stock.csv", "stock")
    warehouses = read_csv(demo / "warehouses.csv", "warehouses")
    start = time.perf_counter()
    recs = recommend(forecast, stock, warehouses, history=full)
    took = time.perf_counter() - start
    rows.append(
        _row(
            f"optimiser, {forecast['sku'].nunique()} SKUs → {len(recs)} moves", took, "", None, "s"
        )
    )
    return rows
