"""Forecasts of weekly or monthly totals: classic models, chosen on the history's own backtest.

The daily model reads a calendar of days (weekdays, festivals, promotions) that a week's or a
month's total no longer shows, and a few hundred totals a series are what exponential smoothing
and Theta were made for. Which of them suits a history is not knowable in advance: on real
totals each led somewhere (Theta on a chain's weekly store sales and a wine's yearly cycle, ETS
on a short trend, ETS with the seasonal naive on a pharmacy's categories) and lost elsewhere, so
each file earns its model in a rolling-origin backtest on its own last periods: AutoETS,
AutoTheta and the seasonal naive (statsforecast), and their equal-weight combinations, one choice
for the file (a choice per series would chase the noise of a few windows). The 10 % and 90 %
quantiles are the means of its models' own 80 % bounds (a combination's quantiles averaged): on
real weekly and monthly totals (README) they held 77–94 % of the held-out periods of each file of
several series, where the chosen model's relative errors in the backtest windows held 71–83 %
(its errors in the windows that chose it are its luckiest).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd

from ordersight.periods import Period

__all__ = ["BASE_MODELS", "PeriodicForecast", "forecast_totals"]

BASE_MODELS = ("AutoETS", "AutoTheta", "SeasonalNaive")
CANDIDATES = tuple(
    "+".join(c) for n in range(1, len(BASE_MODELS) + 1) for c in combinations(BASE_MODELS, n)
)
BACKTEST_WINDOWS = 8
BACKTEST_SERIES = 200  # a seeded sample of series earns the choice: one choice, bounded cost
MIN_FIT_PERIODS = 6  # periods a series keeps before the first backtest window
ETS_MAX_SEASON = 24  # ETS on a yearly season of 52 weeks took 20–26× as long (Theta reads it)
RECENT_PERIODS = 8
_SEP = "\x1f"


@dataclass(frozen=True)
class PeriodicForecast:
    """The forecast (date, sku, warehouse_id, q10, q50, q90, mean: one row a period) and how it
    was made."""

    frame: pd.DataFrame
    model: str  # the candidate the backtest chose ("AutoETS+SeasonalNaive" is their mean)
    backtest_wape: dict[str, float]  # every candidate's, on the same windows; empty without one
    filled_missing_periods: int  # periods absent from the file, read as none sold
    intermittent_series: int  # series without a sale in more than half their periods
    # all series' last period against the median of the ``RECENT_PERIODS`` before it: an export
    # often ends in the week or month still running (a pharmacy's last week held two days)
    last_share: float


def _grid(history: pd.DataFrame, period: Period) -> tuple[pd.DataFrame, int]:
    """unique_id, ds (period number), y: every series from its first sale (or first row, if it
    never sold) to the history's last period, a period absent from the file as none sold."""
    frame = pd.DataFrame(
        {
            "unique_id": history["sku"] + _SEP + history["warehouse_id"],
            "ds": period.number(history["date"]),
            "y": history["qty"].to_numpy(dtype=float),
        }
    )
    frame = frame.groupby(["unique_id", "ds"], as_index=False)["y"].sum()
    first = frame["ds"].where(frame["y"] > 0).groupby(frame["unique_id"]).min()
    first = first.fillna(frame.groupby("unique_id")["ds"].min()).astype(np.int64)
    last = int(frame["ds"].max())
    grid = pd.DataFrame(
        {
            "unique_id": np.repeat(first.index.to_numpy(), last - first.to_numpy() + 1),
            "ds": np.concatenate([np.arange(start, last + 1) for start in first.to_numpy()]),
        }
    )
    dense = grid.merge(frame, on=["unique_id", "ds"], how="left")
    filled = int(dense["y"].isna().sum())
    return dense.assign(y=dense["y"].fillna(0.0)), filled


def _forecaster(season: int, names: tuple[str, ...] = BASE_MODELS):  # -> StatsForecast
    """The base models ``names`` on a yearly season (statsforecast is imported here: numba
    compiles on import)."""
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS, AutoTheta, Naive, SeasonalNaive

    models = {
        "AutoETS": lambda: AutoETS(season_length=season if season <= ETS_MAX_SEASON else 1),
        "AutoTheta": lambda: AutoTheta(season_length=season),
        "SeasonalNaive": lambda: SeasonalNaive(season_length=season),
    }
    return StatsForecast(
        models=[models[name]() for name in names],
        freq=1,
        n_jobs=1,
        fallback_model=Naive(),  # a series too short for a model repeats its last period
    )


def _candidate(raw: pd.DataFrame, name: str, column: str = "") -> np.ndarray:
    """A candidate's point forecast (or, with ``column`` "-lo-80", its bound): its base models'
    mean, at 0 or more."""
    parts = [raw[m + column].to_numpy(dtype=float).clip(min=0) for m in name.split("+")]
    return np.mean(parts, axis=0)


def _wape(y: np.ndarray, pred: np.ndarray) -> float:
    total = np.abs(y).sum()
    return float(np.abs(y - pred).sum() / total) if total else float(np.abs(pred).sum() > 0)


def _backtest(dense: pd.DataFrame, season: int, steps: int) -> tuple[str, dict[str, float]] | None:
    """The candidate with the least WAPE over the last windows of the series long enough for
    them, and every candidate's WAPE there; None where no series is long enough for one window."""
    lengths = dense.groupby("unique_id").size()
    windows = min(BACKTEST_WINDOWS, (int(lengths.max()) - MIN_FIT_PERIODS) // steps)
    if windows < 1:
        return None
    eligible = lengths.index[lengths >= MIN_FIT_PERIODS + windows * steps].to_numpy()
    if len(eligible) > BACKTEST_SERIES:
        eligible = np.random.default_rng(0).choice(eligible, BACKTEST_SERIES, replace=False)
    sample = dense[dense["unique_id"].isin(eligible)]
    with warnings.catch_warnings():  # short series' fallbacks warn once each
        warnings.simplefilter("ignore")
        cv = _forecaster(season).cross_validation(
            df=sample, h=steps, n_windows=windows, step_size=steps
        )
    y = cv["y"].to_numpy(dtype=float)
    scores = {name: round(_wape(y, _candidate(cv, name)), 4) for name in CANDIDATES}
    return min(CANDIDATES, key=scores.__getitem__), scores


def forecast_totals(history: pd.DataFrame, period: Period, horizon_days: int) -> PeriodicForecast:
    """Forecast ``history`` (date, sku, warehouse_id, qty, one row a period) for the periods that
    cover ``horizon_days``, each dated as the history dates its periods."""
    steps = period.covering(horizon_days)
    dense, filled = _grid(history, period)
    model, scores = _backtest(dense, period.season, steps) or ("AutoETS", {})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # only the chosen candidate's models: the backtest fitted the others on its windows
        raw = _forecaster(period.season, tuple(model.split("+"))).forecast(
            df=dense, h=steps, level=[80]
        )
    point = _candidate(raw, model)
    q10, q90 = (_candidate(raw, model, f"-{side}-80") for side in ("lo", "hi"))
    ids = raw["unique_id"].str.split(_SEP, n=1, expand=True)
    dates = period.after(pd.Timestamp(history["date"].max()), steps)
    frame = pd.DataFrame(
        {  # every series runs to the history's last period: its periods ahead are the same
            "date": dates[raw["ds"].to_numpy() - int(dense["ds"].max()) - 1],
            "sku": ids[0],
            "warehouse_id": ids[1],
            "q10": np.minimum(q10, point),
            "q50": point,
            "q90": np.maximum(q90, point),
            "mean": point,
        }
    )
    zero_share = (dense["y"] == 0).groupby(dense["unique_id"]).mean()
    return PeriodicForecast(
        frame.reset_index(drop=True),
        model,
        scores,
        filled,
        int((zero_share > 0.5).sum()),
        _last_share(dense),
    )


def _last_share(dense: pd.DataFrame) -> float:
    """The last period's total over the median total of the ``RECENT_PERIODS`` before it."""
    totals = dense.groupby("ds")["y"].sum().sort_index().to_numpy()
    before = np.median(totals[-RECENT_PERIODS - 1 : -1]) if len(totals) > 1 else 0.0
    return round(float(totals[-1] / before), 3) if before > 0 else 1.0
