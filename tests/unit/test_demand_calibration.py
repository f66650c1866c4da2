"""Forecast calibration: backtest residuals shift and spread the point forecast; the shift comes
from the backtest days in the festival phase of the days ahead."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.demand import (
    DemandConfig,
    apply_residuals,
    backtest_plan,
    calibration_table,
    residual_table,
)

PRESALE = ("2024-10-21", "2024-11-10")  # the three weeks before 双11


def _cv(first_day: str, periods: int = 28, presale: bool = False) -> pd.DataFrame:
    """A backtest over ``periods`` days in which actuals run at about half the forecast (at three
    times it on the days before 双11 where ``presale``)."""
    rng = np.random.default_rng(0)
    days = pd.date_range(first_day, periods=periods)
    pred = np.full((40, periods), 20.0)
    y = np.round(pred * rng.uniform(0.3, 0.7, size=pred.shape))
    if presale:
        y[:, (days >= PRESALE[0]) & (days <= PRESALE[1])] *= 6
    return pd.DataFrame(
        {
            "ds": np.tile(days, 40),
            "cutoff": days[0] - pd.Timedelta(days=1),
            "y": y.ravel(),
            "lgb": pred.ravel(),
        }
    )


@pytest.mark.parametrize(
    ("first_day", "presale", "median"),
    [
        ("2024-09-01", False, 10.0),  # ordinary days, and ahead: the backtest's bias is corrected
        ("2024-10-14", True, 60.0),  # a presale week in the window, the presale ahead
        ("2024-10-28", True, 20.0),  # presale days in the window, the weeks after 双11 ahead
        ("2024-10-10", False, 10.0),  # the presale ahead, three of its days: the ordinary days'
        ("2024-10-28", False, 20.0),  # the same, half the forecast: no ordinary day, no shift
        ("2025-01-15", False, 20.0),  # the fortnight before the Spring Festival, that after ahead
    ],
)
def test_the_level_shift_comes_from_days_of_the_phase_ahead(
    first_day: str, presale: bool, median: float
) -> None:
    table = calibration_table(_cv(first_day, periods=14, presale=presale))
    q10, q50, q90 = (apply_residuals(table, np.array([20.0]), np.array([3]))[q][0]
                     for q in ("q10", "q50", "q90"))  # fmt: skip
    assert q10 < q50 < q90  # the spread is kept either way
    assert q50 == pytest.approx(median, rel=0.05 if median == 20.0 else 0.25)


def _slow_mover_cv(first_day: str, pred: float, periods: int = 20) -> pd.DataFrame:
    """40 series over ``periods`` days, every fifth series selling one unit a day, forecast
    ``pred`` a day."""
    days = pd.date_range(first_day, periods=periods)
    y = np.repeat(np.tile([0.0, 0.0, 0.0, 0.0, 1.0], 8), periods)
    cutoff = days[0] - pd.Timedelta(days=1)
    return pd.DataFrame({"ds": np.tile(days, 40), "cutoff": cutoff, "y": y, "lgb": pred})


def test_a_slow_mover_without_days_alike_keeps_its_median_and_rate() -> None:
    """Squared error on log1p fits the mean of log demand: 0.149 a day where one day in five
    sells one unit. A presale window before the weeks after 双11 gives no level shift, but the
    gap between its residuals' median and mean still brings the forecast to the median day, 0,
    and the mean to the rate, 0.2 (unshifted: 0.149 and 0.38)."""
    pred = np.expm1(0.2 * np.log(2.0))
    cv = _slow_mover_cv("2024-10-28", pred, periods=14)
    out = apply_residuals(calibration_table(cv), np.array([pred]), np.array([3]))
    assert out["q50"][0] == pytest.approx(0.0, abs=1e-9)
    assert out["mean"][0] == pytest.approx(0.2)


def test_the_mean_of_a_slow_mover_is_its_rate_not_its_median_day() -> None:
    """One day in five sells one unit: the median day is 0, the expected day 0.2."""
    out = apply_residuals(calibration_table(_slow_mover_cv("2024-09-01", 0.0)), np.array([0.0]),
                          np.array([3]))  # fmt: skip
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


def _long(days: int, n: int = 3) -> pd.DataFrame:
    ds = pd.date_range("2025-03-03", periods=days)
    return pd.DataFrame({"unique_id": np.repeat(np.arange(n), days), "ds": np.tile(ds, n)})


@pytest.mark.parametrize(
    ("days", "config", "plan"),
    [
        (365, DemandConfig(horizon=28), (2, 28)),  # long enough for the configured backtest
        (112, DemandConfig(horizon=28), (2, 28)),
        (111, DemandConfig(horizon=28), (1, 14)),  # a new shop: one fortnight after 4 weeks
        (42, DemandConfig(horizon=28), (1, 14)),
        (41, DemandConfig(horizon=28), None),  # too short: no residuals
        (35, DemandConfig(horizon=7), (1, 7)),  # never longer than the horizon
        (365, DemandConfig(calibration_windows=0), None),
    ],
)
def test_the_backtest_fits_the_history(days: int, config: DemandConfig, plan) -> None:
    assert backtest_plan(_long(days), config) == plan


def test_the_interval_holds_four_days_in_five_from_a_bucket_of_few_residuals() -> None:
    """30 held-out residuals, the fewest a bucket is read from: the q10–q90 they give holds 80 %
    of new days on average (read between neighbouring residuals instead: 75 %)."""
    rng = np.random.default_rng(7)
    pred, step = np.full(30, 20.0), np.full(30, 3)
    covered = []
    for _ in range(300):
        y = np.expm1(np.log1p(pred) + rng.normal(0.0, 0.4, size=30))
        forecast = apply_residuals(residual_table(y, pred, step), pred[:1], step[:1])
        new = np.expm1(np.log1p(20.0) + rng.normal(0.0, 0.4, size=200))
        covered.append(np.mean((new >= forecast["q10"][0]) & (new <= forecast["q90"][0])))
    assert np.mean(covered) == pytest.approx(0.80, abs=0.02)
