"""The trees' boosting rounds, chosen in the fit's own backtest: fewer where a shop's few noisy
series hold too little to learn them from, all of them where the pattern needs them."""

from __future__ import annotations

from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd
from mlforecast import MLForecast

import models.demand as demand
from models.demand import DemandConfig, DemandModel, backtest_rounds, fit_options

ROUNDS = 200


def _shop(seed: int, n_series: int, swing: float, noisy: bool, days: int = 150) -> pd.DataFrame:
    """Daily series of one warehouse with a weekly cycle of ``swing`` (the top day's sales over
    the bottom day's), Poisson noise where ``noisy``, else exact."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2025-03-03", periods=days)
    frames = []
    for s in range(n_series):
        cycle = swing ** ((np.arange(days) + s) % 7 / 6)
        mean = rng.uniform(3, 8) * cycle
        qty = rng.poisson(mean).astype(float) if noisy else np.round(mean)
        frames.append(
            pd.DataFrame({"date": dates, "sku": f"S{s}", "warehouse_id": "W1", "qty": qty})
        )
    return pd.concat(frames, ignore_index=True)


def _fit(history: pd.DataFrame) -> DemandModel:
    return DemandModel(DemandConfig(horizon=14, n_estimators=ROUNDS)).fit(history)


def test_a_few_noisy_series_are_fit_with_fewer_trees() -> None:
    model = _fit(_shop(seed=1, n_series=6, swing=1.3, noisy=True))
    assert model.rounds < ROUNDS
    assert model._mlf.models_["lgb"].booster_.num_trees() == model.rounds


def test_a_strong_exact_cycle_keeps_every_round() -> None:
    """Learning rate 0.05: a weekly swing of 8× takes every round to learn."""
    model = _fit(_shop(seed=1, n_series=6, swing=8.0, noisy=False))
    assert model.rounds == ROUNDS
    assert model._mlf.models_["lgb"].booster_.num_trees() == ROUNDS


def test_every_candidate_is_forecast_as_the_backtest_forecast_its_trees(monkeypatch) -> None:
    """Forecast again with all the trees, the windows read what mlforecast's own backtest read:
    the same recursion, the same features, the same days."""
    model = DemandModel(DemandConfig(horizon=14, n_estimators=60))
    long = model.prepare(_shop(seed=2, n_series=4, swing=2.0, noisy=True))
    mlf = MLForecast(
        models={"lgb": lgb.LGBMRegressor(**demand.lgbm_params(model.config))},
        **demand.build_mlforecast(model.config, history_days=150),
    )
    cv = mlf.cross_validation(long, n_windows=2, h=14, step_size=14, refit=False, **fit_options())
    monkeypatch.setattr(demand, "ROUND_SHARES", (1.0,))
    rounds, again = backtest_rounds(mlf, long, cv)
    assert rounds == 60
    pd.testing.assert_frame_equal(again, cv[again.columns.tolist()])


def test_a_saved_model_keeps_its_rounds(tmp_path: Path) -> None:
    model = _fit(_shop(seed=3, n_series=6, swing=1.3, noisy=True))
    model.save(tmp_path / "demand")
    again = DemandModel.load(tmp_path / "demand")
    assert again.rounds == model.rounds
    pd.testing.assert_frame_equal(again.predict(14), model.predict(14))
