"""The ETS second opinion: which days it may move, the weight a backtest earns, the blend."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models import ets_blend
from models.ets_blend import WEIGHTS, backtest_weight, blend, ets_forecast, ordinary_days


@pytest.mark.parametrize(
    ("day", "promo", "ordinary"),
    [
        ("2025-08-06", 0, True),  # a Wednesday in August
        ("2025-08-09", 0, True),  # a plain Saturday
        ("2025-08-06", 1, False),  # a promotion planned
        ("2025-11-05", 0, False),  # 双11 presale weeks
        ("2025-06-25", 0, False),  # the week after 618
        ("2025-10-02", 0, False),  # National Day, a Thursday off
        ("2025-09-28", 0, False),  # a Sunday worked in its place
    ],
)
def test_ordinary_days(day: str, promo: int, ordinary: bool) -> None:
    assert ordinary_days(pd.Series(pd.to_datetime([day])), np.array([promo]))[0] == ordinary


def _backtest(days: pd.DatetimeIndex, level: float, ours: float, seed: int = 0):
    """Two series selling ``level`` a day, a backtest from the last two weeks of ``days``, and
    the trees' median on its rows at ``ours``."""
    rng = np.random.default_rng(seed)
    long = pd.concat(
        pd.DataFrame({"unique_id": uid, "ds": days, "y": rng.poisson(level, len(days))})
        for uid in ("s0", "s1")
    ).astype({"y": float})
    cutoff = days[-15]
    cv = long[long["ds"] > cutoff].assign(cutoff=cutoff)
    return cv.reset_index(drop=True), long, np.full(len(cv), ours)


def test_a_backtest_the_trees_missed_earns_ets_weight() -> None:
    """A level of 20 the trees put at 12 on ordinary days: ETS, near 20, takes the most."""
    cv, long, ours = _backtest(pd.date_range("2025-04-20", "2025-09-10"), 20.0, 12.0)
    assert backtest_weight(cv, long, ours, ours) == WEIGHTS[-1]


def test_a_sample_of_the_series_earns_the_weight(monkeypatch) -> None:
    """Past ``WEIGHT_SERIES`` series a seeded sample earns it: the rows stay aligned."""
    monkeypatch.setattr(ets_blend, "WEIGHT_SERIES", 1)
    cv, long, ours = _backtest(pd.date_range("2025-04-20", "2025-09-10"), 20.0, 12.0)
    assert backtest_weight(cv, long, ours, ours) == WEIGHTS[-1]
    assert backtest_weight(cv, long, cv["y"].to_numpy(), cv["y"].to_numpy()) == 0.0


def test_a_backtest_the_trees_hit_earns_none() -> None:
    cv, long, _ = _backtest(pd.date_range("2025-04-20", "2025-09-10"), 20.0, 0.0)
    assert backtest_weight(cv, long, cv["y"].to_numpy(), cv["y"].to_numpy()) == 0.0


def test_a_backtest_of_festival_days_earns_none() -> None:
    """The fortnight into 双11 holds no ordinary day, however far off the trees were."""
    cv, long, ours = _backtest(pd.date_range("2025-06-20", "2025-11-10"), 20.0, 12.0)
    assert backtest_weight(cv, long, ours, ours) == 0.0


def test_ets_forecasts_every_series_even_one_too_short_for_it() -> None:
    days = pd.date_range("2025-08-01", "2025-09-10")
    long = pd.DataFrame(
        {
            "unique_id": ["long"] * len(days) + ["new", "new"],
            "ds": [*days, *days[-2:]],
            "y": [10.0] * len(days) + [3.0, 5.0],
        }
    )
    out = ets_forecast(long, 7)
    assert out.groupby("unique_id").size().to_dict() == {"long": 7, "new": 7}
    assert out["ets"].ge(0).all()
    assert out.loc[out["unique_id"] == "long", "ets"].round(6).eq(10.0).all()


def test_blend_moves_the_median_and_mean_and_keeps_the_spread() -> None:
    values = {
        "q10": np.array([2.0, 0.5, 4.0]),
        "q50": np.array([5.0, 1.0, 6.0]),
        "q90": np.array([9.0, 3.0, 8.0]),
        "mean": np.array([5.5, 1.5, 6.2]),
    }
    ets = np.array([9.0, 0.0, 100.0])
    out = blend(values, ets, np.array([0.5, 0.5, 0.0]))
    np.testing.assert_allclose(out["q50"], [7.0, 0.5, 6.0])
    np.testing.assert_allclose(out["mean"], [7.25, 0.75, 6.2])
    np.testing.assert_allclose(out["q10"], [4.0, 0.0, 4.0])  # shifted, never below zero
    np.testing.assert_allclose(out["q90"], [11.0, 2.5, 8.0])
    assert (out["q10"] <= out["q50"]).all() and (out["q50"] <= out["q90"]).all()


def test_slow_movers_earn_ets_no_weight() -> None:
    """Series selling 0.9 a day whose median the trees put at 0: ETS's level would have won
    weight, but it is a slow mover's mean, no median; rows whose mean is under a unit a day
    neither earn nor take a weight."""
    cv, long, ours = _backtest(pd.date_range("2025-04-20", "2025-09-10"), 0.9, 0.0)
    assert backtest_weight(cv, long, ours, np.full(len(cv), 0.9)) == 0.0
    assert backtest_weight(cv, long, ours, np.full(len(cv), 1.2)) > 0.0
