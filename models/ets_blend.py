"""Exponential smoothing as a second opinion on ordinary days.

The trees forecast from the calendar, promotions, price and traffic besides each series' recent
sales. On a day none of those moves demand, all there is to read is a series' own level and
weekly cycle, and exponential smoothing (ETS) reads those with less variance than trees that
pool every series: on half-year histories made elsewhere with no festival or promotion (smooth,
trending, declining, stepping, with a stock-out gap) AutoETS led the trees by up to 0.17 WAPE,
and the blend closed most of it (README, "Quality and speed").

How much of ETS to take is earned in the fit's own backtest: ETS on each series' last
``ETS_DAYS`` forecasts the backtest windows beside the trees, and the weight of ``WEIGHTS`` with
the least absolute error on those windows' ordinary days (no festival phase, public holiday,
make-up workday or promotion) is kept; none where the backtest holds under
``MIN_ORDINARY_DAYS`` such days. The blend moves ordinary days only, of series selling a unit a
day or more: festivals and promotions stay the trees' alone, and so do slow movers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.calendar import festival_phase, is_holiday

__all__ = [
    "ETS_DAYS",
    "MIN_BLEND_MEAN",
    "WEIGHTS",
    "backtest_weight",
    "blend",
    "ets_forecast",
    "second_opinion",
]

ETS_DAYS = 112  # sixteen weeks: ETS on a year costs ~10 ms a series, on these ~4
WEIGHTS = (0.0, 0.25, 0.5, 0.75)  # never ETS alone: it cannot see a promotion coming
MIN_ORDINARY_DAYS = 7
# units a day the trees' mean must reach for ETS to move a forecast: ETS's level is a slow
# mover's mean, and taken into its median it raises a median of 0 toward the mean (a shop of 30
# smooth series and 30 slow movers: the slow movers' WAPE 1.05 / 1.07 → 1.19 / 1.28 blended)
MIN_BLEND_MEAN = 1.0
WEIGHT_SERIES = 400  # a seeded sample of series earns the weight: one weight, bounded cost


def ordinary_days(ds: pd.Series, promo: np.ndarray | None) -> np.ndarray:
    """Days outside every festival phase, off or at work as in a plain week (not a public
    holiday, not a weekend day worked in its place), with no promotion planned."""
    days = pd.DatetimeIndex(ds)
    plain_week = is_holiday(days).astype(bool) == (days.dayofweek >= 5)
    ordinary = (festival_phase(days) == 0) & plain_week
    return ordinary if promo is None else ordinary & (np.nan_to_num(promo) == 0)


def ets_forecast(long: pd.DataFrame, horizon: int) -> pd.DataFrame:
    """unique_id, ds, ets: ETS with additive errors and weekly season, no trend, fit on each
    series' last ``ETS_DAYS`` of ``long`` (mlforecast's unique_id, ds, y); a series too short
    for it gets its mean."""
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS, HistoricAverage

    recent = long[long["ds"] > long["ds"].max() - pd.Timedelta(days=ETS_DAYS)]
    forecaster = StatsForecast(
        models=[AutoETS(season_length=7, model="ANA")],
        freq="D",
        n_jobs=1,
        fallback_model=HistoricAverage(),
    )
    raw = forecaster.forecast(df=recent[["unique_id", "ds", "y"]], h=horizon)
    return pd.DataFrame(
        {"unique_id": raw["unique_id"], "ds": raw["ds"], "ets": raw["AutoETS"].clip(lower=0)}
    )


def _promo(rows: pd.DataFrame, source: pd.DataFrame) -> np.ndarray | None:
    """``source``'s promo column on ``rows`` (both keyed by unique_id and ds), where it has one."""
    if "promo" not in source:
        return None
    keyed = rows[["unique_id", "ds"]].merge(
        source[["unique_id", "ds", "promo"]], on=["unique_id", "ds"], how="left"
    )
    return keyed["promo"].to_numpy(dtype=float)


def backtest_weight(
    cv: pd.DataFrame, long: pd.DataFrame, ours: np.ndarray, ours_mean: np.ndarray
) -> float:
    """The weight of ``WEIGHTS`` whose blend erred least on the backtest's ordinary days of
    series that sell (a mean of ``MIN_BLEND_MEAN`` a day or more).

    ``cv`` is mlforecast's cross-validation frame (unique_id, ds, cutoff, y), ``long`` the
    training frame it came from, ``ours`` and ``ours_mean`` the trees' calibrated median and
    mean on each of its rows."""
    # the Dask forecaster's backtest gives its dates as Arrow timestamps
    cv = cv.astype({"ds": "datetime64[ns]", "cutoff": "datetime64[ns]"})
    ids = cv["unique_id"].unique()
    if len(ids) > WEIGHT_SERIES:
        sample = np.random.default_rng(0).choice(ids, WEIGHT_SERIES, replace=False)
        rows = cv["unique_id"].isin(sample).to_numpy()
        cv, ours, ours_mean = cv[rows].reset_index(drop=True), ours[rows], ours_mean[rows]
        long = long[long["unique_id"].isin(sample)]
    ordinary = ordinary_days(cv["ds"], _promo(cv, long)) & (ours_mean >= MIN_BLEND_MEAN)
    if pd.DatetimeIndex(cv["ds"][ordinary]).nunique() < MIN_ORDINARY_DAYS:
        return 0.0
    horizon = int((cv["ds"] - cv["cutoff"]).dt.days.max())
    forecasts = [
        ets_forecast(long[long["ds"] <= cutoff], horizon).assign(cutoff=cutoff)
        for cutoff in cv["cutoff"].unique()
    ]
    keys = ["unique_id", "ds", "cutoff"]
    ets = cv[keys].merge(pd.concat(forecasts), on=keys, how="left")["ets"].to_numpy()
    ets = np.where(np.isnan(ets), ours, ets)
    y, o, e = cv["y"].to_numpy()[ordinary], ours[ordinary], ets[ordinary]
    errors = [np.abs(y - ((1 - w) * o + w * e)).sum() for w in WEIGHTS]
    return WEIGHTS[int(np.argmin(errors))]


def second_opinion(recent: pd.DataFrame, future: pd.DataFrame, horizon: int) -> pd.DataFrame:
    """unique_id, ds, ets and ``ordinary`` for the days ahead: ETS fit on ``recent`` (unique_id,
    ds, y), the days' promotions from ``future`` (the model's future frame)."""
    ets = ets_forecast(recent, horizon)
    return ets.assign(ordinary=ordinary_days(ets["ds"], _promo(ets, future)))


def blend(values: dict[str, np.ndarray], ets: np.ndarray, weight: np.ndarray) -> dict:
    """q10 / q50 / q90 / mean with ``weight`` of ETS in the median and the mean (ETS's point
    forecast is a mean) where the trees' mean reaches ``MIN_BLEND_MEAN`` (slow movers stay the
    trees'); q10 and q90 move with the median, so the spread stays the trees'."""
    weight = np.where(values["mean"] >= MIN_BLEND_MEAN, weight, 0.0)
    q50 = (1 - weight) * values["q50"] + weight * ets
    shift = q50 - values["q50"]
    return {
        "q10": np.clip(values["q10"] + shift, 0, None),
        "q50": q50,
        "q90": np.maximum(values["q90"] + shift, q50),
        "mean": (1 - weight) * values["mean"] + weight * ets,
    }
