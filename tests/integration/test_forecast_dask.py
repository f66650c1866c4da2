"""The same demand pipeline on a local Dask cluster matches the single-machine forecast, its
q10 / q90 band calibrated the same way (residual backtest on the cluster)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from mlforecast.utils import generate_daily_series

from models.demand import DemandConfig, DemandModel
from training.forecast import fit_predict_dask

pytestmark = pytest.mark.slow


def _history() -> pd.DataFrame:
    series = generate_daily_series(n_series=12, min_length=200, max_length=200, seed=7)
    return pd.DataFrame(
        {
            "date": series["ds"],
            "sku": series["unique_id"].astype(str),
            "warehouse_id": "W1",
            "qty": np.round(series["y"].to_numpy() * 3),
        }
    )


def test_dask_matches_single_machine():
    from dask.distributed import Client, LocalCluster

    history = _history()
    config = DemandConfig(horizon=7, n_estimators=80, calibration_windows=1)
    single = DemandModel(config).fit(history).predict(7)
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        dask = fit_predict_dask(history, horizon=7, config=config, client=client)
    both = single.merge(dask, on=["date", "sku", "warehouse_id"], suffixes=("", "_dask"))
    assert len(both) == len(single) == 12 * 7
    total, total_dask = both["q50"].sum(), both["q50_dask"].sum()
    assert abs(total_dask - total) / total < 0.05
    rel = (both["q50_dask"] - both["q50"]).abs().sum() / total
    assert rel < 0.10
    assert np.corrcoef(both["q50"], both["q50_dask"])[0, 1] > 0.98
    width, width_dask = (
        (both["q90"] - both["q10"]).mean(),
        (both["q90_dask"] - both["q10_dask"]).mean(),
    )
    assert 0.8 < width_dask / width < 1.25
