"""Forecast calibration: backtest residuals shift and spread the point forecast, except that
windows mostly in the weeks after a festival give the spread only."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.demand import apply_residuals, calibration_table


def _cv(first_day: str) -> pd.DataFrame:
    """A backtest over 28 days in which actuals run at about half the forecast."""
    rng = np.random.default_rng(0)
    days = pd.date_range(first_day, periods=28)
    cutoff = days[0] - pd.Timedelta(days=1)
    pred = np.full((40, 28), 20.0)
    y = np.round(pred * rng.uniform(0.3, 0.7, size=pred.shape))
    return pd.DataFrame(
        {
            "ds": np.tile(days, 40),
            "cutoff": cutoff,
            "y": y.ravel(),
            "lgb": pred.ravel(),
        }
    )


@pytest.mark.parametrize(
    ("first_day", "shifted"),
    [
        ("2024-09-01", True),  # an ordinary autumn: the model's bias is corrected
        ("2024-11-12", False),  # the lull after 双11: not a bias of the days ahead
        ("2025-02-01", False),  # after the Spring Festival (2025-01-29)
    ],
)
def test_the_level_is_learnt_from_ordinary_windows_only(first_day: str, shifted: bool) -> None:
    table = calibration_table(_cv(first_day))
    q10, q50, q90 = (apply_residuals(table, np.array([20.0]), np.array([3]))[q][0]
                     for q in ("q10", "q50", "q90"))  # fmt: skip
    assert q10 < q50 < q90  # the spread is kept either way
    if shifted:
        assert q50 == pytest.approx(10.0, rel=0.25)
    else:
        assert q50 == pytest.approx(20.0)


def test_the_mean_of_a_slow_mover_is_its_rate_not_its_median_day() -> None:
    """One day in five sells one unit: the median day is 0, the expected day 0.2."""
    days = pd.date_range("2024-09-01", periods=20)
    y = np.repeat(np.tile([0.0, 0.0, 0.0, 0.0, 1.0], 8), 20)  # every fifth of 40 series sells
    cv = pd.DataFrame(
        {"ds": np.tile(days, 40), "cutoff": days[0] - pd.Timedelta(days=1), "y": y, "lgb": 0.0}
    )
    out = apply_residuals(calibration_table(cv), np.array([0.0]), np.array([3]))
    assert out["q50"][0] == pytest.approx(0.0)
    assert out["mean"][0] == pytest.approx(0.2)


def test_a_model_saved_before_the_mean_existed_gives_its_median_as_mean() -> None:
    table = calibration_table(_cv("2024-09-01")).drop(columns="smear")
    out = apply_residuals(table, np.array([20.0, 3.0]), np.array([3, 10]))
    assert out["mean"] == pytest.approx(out["q50"])


def test_a_small_shop_gets_the_mean_of_its_forecast_level() -> None:
    """A few SKUs, two backtest windows: too few residuals for any horizon week's bucket, enough
    for their forecast level. Against a forecast of 3, a day sells 0, 3 or 6 (one, two and two
    days in five): the expected day is 3.6, the median day 3. A forecast at a level no residual
    saw keeps its median as its mean."""
    days = pd.date_range("2024-09-01", periods=14)
    y = np.tile([0.0, 3.0, 3.0, 6.0, 6.0], 8)
    cv = pd.DataFrame(
        {
            "ds": np.tile(days, 3)[: len(y)],
            "cutoff": days[0] - pd.Timedelta(days=1),
            "y": y,
            "lgb": 3.0,
        }
    )
    out = apply_residuals(calibration_table(cv), np.array([3.0, 20.0]), np.array([3, 10]))
    assert out["q50"][0] == pytest.approx(3.0)
    assert out["mean"][0] == pytest.approx(3.6)
    assert out["mean"][1] == pytest.approx(out["q50"][1])
