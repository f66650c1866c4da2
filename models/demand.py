"""Global LightGBM demand model over all SKU × warehouse series (mlforecast), with quantiles.

One model learns from every series at once, so a new or sparse series borrows the weekly cycle,
holiday and festival effects of the others. The target is log1p(qty) less its series' mean: the
trees learn how a day departs from the series' own level, not the level itself, so a fast mover
is not pulled toward the leaf of slower ones (two weeks of 30 smooth Poisson series: WAPE 0.40
with the plain log1p target, 0.34 now, AutoETS 0.35).

The quantiles come from held-out residuals: a rolling-origin backtest inside ``fit`` collects
log-scale errors, grouped by forecast level and horizon week, and their 10 / 50 / 90 % quantiles
turn the point forecast into calibrated q10 / q50 / q90 for slow and fast movers alike; a history
too short for it gets one shorter window (:func:`backtest_plan`). The same backtest earns
exponential smoothing its weight on ordinary days (:mod:`models.ets_blend`).
"""

from __future__ import annotations

import pickle
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import coreforecast.scalers
import lightgbm as lgb
import numpy as np
import pandas as pd
from mlforecast import MLForecast
from mlforecast.lag_transforms import RollingMean, RollingStd
from mlforecast.target_transforms import GlobalSklearnTransformer, LocalStandardScaler
from sklearn.preprocessing import FunctionTransformer

from features.calendar import CALENDAR_FEATURES, festival_phase
from features.demand import EXOG, KEY, SeriesStats, densify, exog_features, series_stats
from models.ets_blend import ETS_DAYS, backtest_weight, blend, second_opinion

__all__ = [
    "OUTPUTS",
    "QUANTILES",
    "DemandConfig",
    "DemandModel",
    "calibrate",
    "calibration_table",
    "backtest_plan",
    "forecast_frame",
    "to_long",
]

QUANTILES = ("q10", "q50", "q90")
OUTPUTS = (*QUANTILES, "mean")  # a forecast's value columns: the quantiles and the expected demand
TAIL_DAYS = 28  # history kept with the model: enough for traffic lags and persistence fills


@dataclass(frozen=True)
class DemandConfig:
    """Hyper-parameters; small defaults keep a 2-core fit of a few thousand series in minutes."""

    horizon: int = 28
    lags: tuple[int, ...] = (1, 2, 7, 14, 21, 28)
    n_estimators: int = 250
    learning_rate: float = 0.05
    num_leaves: int = 63
    min_child_samples: int = 40
    calibration_windows: int = 2
    train_days: int | None = 730
    seed: int = 0
    num_threads: int = 1  # LightGBM threads; OpenMP spin-waits badly on a shared 2-core box


def _log1p_transform() -> GlobalSklearnTransformer:
    return GlobalSklearnTransformer(
        FunctionTransformer(func=np.log1p, inverse_func=np.expm1, check_inverse=False)
    )


class _SeriesMean(coreforecast.scalers.LocalStandardScaler):
    """Each series' mean, not its spread: a promotion or a festival is one shift in log space
    for every series, and dividing by each series' spread would make it a different one."""

    def fit(self, ga: Any) -> _SeriesMean:
        super().fit(ga)
        self.stats_[:, 1] = 1.0
        return self


class LocalCentre(LocalStandardScaler):
    """mlforecast target transform: subtract each series' mean (see :class:`_SeriesMean`)."""

    scaler_factory = _SeriesMean


def build_mlforecast(config: DemandConfig, history_days: int | None = None) -> dict[str, Any]:
    """Keyword arguments shared by the single-machine and the Dask forecaster.

    With a short history (a new user's file) only the lags and windows that leave at least a
    week of training rows are kept, so a 3-week history still fits a model.
    """
    usable = (history_days or 10**6) - 7
    transforms = {
        1: [RollingMean(window_size=7), RollingMean(window_size=28), RollingStd(window_size=7)],
        7: [RollingMean(window_size=7), RollingMean(window_size=28)],
        14: [RollingMean(window_size=14)],
    }
    return {
        "freq": "D",
        "lags": [lag for lag in config.lags if lag <= usable],
        "lag_transforms": {
            lag: kept
            for lag, fns in transforms.items()
            if (kept := [fn for fn in fns if lag + fn.window_size <= usable])
        },
        "date_features": list(CALENDAR_FEATURES),
        "target_transforms": [_log1p_transform(), LocalCentre()],
    }


def fit_options() -> dict[str, Any]:
    """mlforecast's fit and backtest options. Rows whose lags reach before a series' first day
    are kept, their missing lags read as missing by LightGBM: dropped, every series lost its first
    five weeks, and a one-year history its only 双11 (cut 2025-11-02 on the 60 best-selling demo
    SKUs, one year: WAPE 0.69 → 0.54, AutoETS 0.64)."""
    return {"static_features": [], "dropna": False}


def lgbm_params(config: DemandConfig) -> dict[str, Any]:
    return {
        "n_estimators": config.n_estimators,
        "learning_rate": config.learning_rate,
        "num_leaves": config.num_leaves,
        "min_child_samples": config.min_child_samples,
        "subsample": 0.8,
        "subsample_freq": 1,
        "colsample_bytree": 0.8,
        "random_state": config.seed,
        "n_jobs": config.num_threads,
        "verbosity": -1,
        "deterministic": True,
        "force_row_wise": True,
    }


def to_long(dense: pd.DataFrame, stats: SeriesStats, ids: pd.DataFrame) -> pd.DataFrame:
    """mlforecast's long format: unique_id, ds, y and the exogenous feature columns."""
    feats = exog_features(dense, stats)
    out = dense[KEY].merge(ids, on=KEY, how="left")[["unique_id"]]
    out["ds"] = dense["date"].to_numpy()
    out["y"] = dense["qty"].to_numpy(dtype=float)
    return pd.concat([out, feats.set_axis(out.index)], axis=1)


LEVEL_EDGES = np.array([0.05, 0.3, 0.7, 1.2, 1.8, 2.5, 3.5, 5.0])  # log1p(forecast) bins
STEP_EDGES = np.array([7, 14])  # horizon weeks 1, 2, 3+
MIN_RESIDUALS = 30
# A backtest's bias carries over to the days ahead only from days of the same festival phase:
# ordinary, in the three weeks before a festival, or in the three after one. The presale weeks'
# under-forecast carries over to a forecast into 双11, not to the lull after it: a window holding
# the presale put the fortnight after 双11 up by a third (cut 2025-11-16, one year of history:
# WAPE 0.65; 0.51 without it), and windows after 双11 pulled a forecast down (cut 2024-11-30:
# 0.82 against 0.73 unshifted). Where fewer than a week of such days (some weekdays missing) lie
# in the backtest, its ordinary days stand in, and where those are as few, no level shift does
# (see residual_table; the phases: features/calendar.py festival_phase).
MIN_ALIKE_DAYS = 7


def _level(pred: np.ndarray) -> np.ndarray:
    return np.digitize(np.log1p(np.clip(pred, 0, None)), LEVEL_EDGES)


def _buckets(pred: np.ndarray, step: np.ndarray) -> np.ndarray:
    week = np.digitize(step, STEP_EDGES, right=True)
    return week * (len(LEVEL_EDGES) + 1) + _level(pred)


def _level_buckets(pred: np.ndarray) -> np.ndarray:
    """Every horizon week of one forecast level: buckets -2, -3 … (where a week's is too small)."""
    return -2 - _level(pred)


SHORT_BACKTEST_DAYS = 14
MIN_TRAIN_DAYS = 28


def backtest_plan(long: pd.DataFrame, config: DemandConfig) -> tuple[int, int] | None:
    """(windows, days each) of the residual backtest the series' length allows: the configured
    ``calibration_windows`` of the horizon where they are long enough; else one window of up
    to two weeks after four weeks to fit on (a new shop's six to eleven weeks: quantiles and
    the mean from its own errors and ETS's weight earned, not a Poisson-like guess around a
    median); None for shorter series."""
    windows, horizon = config.calibration_windows, config.horizon
    if windows < 1:
        return None
    days = long.groupby("unique_id").size().median()
    if days >= horizon * windows + max(config.lags) + MIN_TRAIN_DAYS:
        return windows, horizon
    short = min(horizon, SHORT_BACKTEST_DAYS)
    return (1, short) if days >= short + MIN_TRAIN_DAYS else None


def residual_table(
    y: np.ndarray, pred: np.ndarray, step: np.ndarray, alike: np.ndarray | None = None
) -> pd.DataFrame:
    """10/50/90 % quantiles of log1p(y) − log1p(pred) per (horizon week, forecast level) bucket,
    and ``smear``, the mean of exp(residual): 1 + the expected demand is (1 + pred) · smear.

    Where a bucket saw too few residuals, its forecast level over every horizon week stands in
    (:func:`_level_buckets`: a small shop's few series fill no week's bucket), and where that is
    too small too, bucket -1, the pooled quantiles. Shops of 2 / 4 / 8 / 10 SKUs selling on
    50–95 % of days, 14 days held out: volume bias of the mean +0.22 / +0.14 / +0.07 / +0.09 from
    the pooled median, +0.09 / +0.07 / −0.01 / +0.02 from the level's residuals (3–5 draws).
    The pooled smear is the median's: pooled over slow and fast movers, a slow mover's skew would
    inflate a fast mover's mean (two series, 0.15 and 20 a day: +15 % on the fast one), so such a
    series gets its median as its mean.

    Each row's median (the level shift) comes from the rows ``alike`` the days ahead (all by
    default), by the same fall-back from bucket to level to pool; its spread and smear stay those
    of all rows, about that median. Without such rows the shift is only the gap between the
    residuals' median and mean: the trees fit the mean of log demand, the forecast should be its
    median, and a backtest model's stale level moves median and mean alike (60 slow movers whose
    backtest, over 618, held no day alike: volume bias of the mean +0.59 unshifted, −0.05 / +0.19
    with that gap).
    """
    resid = np.log1p(np.clip(y, 0, None)) - np.log1p(np.clip(pred, 0, None))
    frame = pd.DataFrame(
        {
            "bucket": _buckets(pred, step),
            "level": _level_buckets(pred),
            "r": resid,
            "e": np.exp(resid),
        }
    )
    tables = []
    for key in ("bucket", "level"):
        grouped = frame.groupby(key)
        quantiles = {bucket: _interval_quantiles(r) for bucket, r in grouped["r"]}
        table = pd.DataFrame.from_dict(quantiles, orient="index", columns=list(QUANTILES))
        table["smear"] = grouped["e"].mean()
        tables.append(table[grouped.size() >= MIN_RESIDUALS])
    table = pd.concat(tables)
    pooled = _interval_quantiles(frame["r"])
    table.loc[-1] = [*pooled, np.exp(pooled[1])]
    kept = frame if alike is None else frame[alike]
    structural = kept.empty
    shift = _level_shifts(frame if structural else kept, table.index.to_numpy(), structural)
    shift -= table["q50"]
    table[list(QUANTILES)] = table[list(QUANTILES)].add(shift, axis=0)
    table["smear"] *= np.exp(shift)
    return table


def _interval_quantiles(resid: pd.Series) -> np.ndarray:
    """10 / 50 / 90 % quantiles of held-out residuals at the plotting positions (n + 1)·p, so a
    new day falls between the 10 % and 90 % ones 80 % of the time however few they are. Read
    between neighbours ((n − 1)·p + 1, the default), 30 residuals cover 75 % and 60 cover 77 %:
    a small shop's bucket holds about that many (a pharmacy's 8 real series: 0.76 → 0.79)."""
    return np.nanquantile(resid.to_numpy(), [0.1, 0.5, 0.9], method="weibull")


def _level_shifts(frame: pd.DataFrame, rows: np.ndarray, structural: bool) -> pd.Series:
    """Median residual for each residual-table row (less the mean where ``structural``): its
    bucket's, else its forecast level's, else the pooled one."""

    def centre(r: Any) -> Any:  # a Series or a groupby of one
        return r.median() - r.mean() if structural else r.median()

    def centres(key: str) -> pd.Series:
        grouped = frame.groupby(key)["r"]
        return centre(grouped)[grouped.size() >= MIN_RESIDUALS]

    pooled = float(centre(frame["r"]))
    levels = np.where(rows >= 0, -2 - rows % (len(LEVEL_EDGES) + 1), rows)
    by_level = pd.Series(levels).map(centres("level")).fillna(pooled)
    shifts = pd.Series(rows).map(centres("bucket")).fillna(by_level)
    return shifts.set_axis(rows).where(rows != -1, pooled)


def _steps(cv: pd.DataFrame) -> np.ndarray:
    """Each backtest row's days ahead of its cutoff."""
    return (pd.to_datetime(cv["ds"]) - pd.to_datetime(cv["cutoff"])).dt.days.to_numpy()


def calibration_table(cv: pd.DataFrame) -> pd.DataFrame:
    """:func:`residual_table` of an mlforecast cross-validation frame (ds, cutoff, y, lgb), its
    level shift learnt from the backtest days in the festival phase of most days ahead, else from
    its ordinary days."""
    step = _steps(cv)
    days = pd.DatetimeIndex(pd.to_datetime(cv["ds"]))
    ahead = pd.date_range(days.max() + pd.Timedelta(days=1), periods=int(step.max()))
    phase = festival_phase(days)
    alike = phase == np.bincount(festival_phase(ahead)).argmax()
    if days[alike].nunique() < MIN_ALIKE_DAYS:  # the model's own bias, on its ordinary days
        alike = phase == 0
    if days[alike].nunique() < MIN_ALIKE_DAYS:
        alike[:] = False
    return residual_table(cv["y"].to_numpy(), cv["lgb"].to_numpy(), step, alike)


def apply_residuals(table: pd.DataFrame, pred: np.ndarray, step: np.ndarray) -> dict:
    """q10 / q50 / q90 and ``mean`` arrays from a point forecast and a residual table
    (Poisson-like if none).

    The trees fit log1p(qty), so the point forecast is a median, not a mean: for a slow mover
    that sells on one day in five it is ~0. Summed over a horizon, medians fall far short of the
    demand to stock for; the mean (the smearing estimate of the residuals) does not.
    """
    base = np.clip(pred, 0, None)
    if table.empty:  # too little history to calibrate: a Poisson-like spread around the median
        spread = 1.2816 * np.sqrt(base)
        return {
            "q10": np.clip(base - spread, 0, None),
            "q50": base,
            "q90": base + spread,
            "mean": base,
        }
    index = pd.Index(table.index)
    rows = index.get_indexer(_buckets(base, step))
    rows = np.where(rows < 0, index.get_indexer(_level_buckets(base)), rows)
    rows = np.where(rows < 0, index.get_loc(-1), rows)
    shifts = table[list(QUANTILES)].to_numpy()[rows]
    out = np.clip(np.expm1(np.log1p(base)[:, None] + shifts), 0, None)
    out.sort(axis=1)  # quantiles never cross
    # a model saved before ``smear`` existed: its mean is its median
    smear = table["smear"].to_numpy()[rows] if "smear" in table else np.exp(shifts[:, 1])
    return {
        **dict(zip(QUANTILES, out.T, strict=True)),
        "mean": np.clip((1 + base) * smear - 1, 0, None),
    }


ROUND_SHARES = (0.125, 0.25, 0.5, 1.0)  # of n_estimators: the boosting rounds the backtest tries
# more rounds are kept unless fewer err clearly less: windows with no festival in them cannot
# tell the rounds a festival's effect takes (a first year's 双11 held out: WAPE 0.340 taking the
# least error, 0.331 with this slack, 0.330 with every round)
ROUND_SLACK = 1.01


class _FirstTrees:
    """A fitted LightGBM regressor predicting with its first ``rounds`` trees: one fit in the
    backtest scores every candidate number of rounds (with a fixed seed, the first k trees of a
    longer fit are the trees a k-round fit grows)."""

    def __init__(self, model: lgb.LGBMRegressor, rounds: int):
        self.model, self.rounds = model, rounds

    def predict(self, x: Any) -> np.ndarray:
        return self.model.predict(x, num_iteration=self.rounds)


def backtest_rounds(
    mlf: MLForecast, long: pd.DataFrame, cv: pd.DataFrame
) -> tuple[int, pd.DataFrame]:
    """The number of boosting rounds, of :data:`ROUND_SHARES` of those fitted in ``mlf``'s
    backtest ``cv`` (on ``long``), whose forecasts erred least on its windows (the most within
    :data:`ROUND_SLACK` of the least), and the backtest frame of that number.

    A shop's few series hold too little to learn 250 trees from: on a pharmacy's 8 real series
    (6 cuts) the trees alone erred 0.466 (WAPE) with 250 rounds, 0.446 with those chosen (62 at
    4 of the 6); the demo world keeps them all. The windows are forecast again, recursively,
    with each number's first trees.
    """
    fitted = mlf.cv_models_[0]["lgb"]
    rounds = sorted({max(1, round(fitted.n_estimators * share)) for share in ROUND_SHARES})
    mlf.models_ = {f"r{k}": _FirstTrees(fitted, k) for k in rounds}
    days = int(_steps(cv).max())
    forecasts = []
    for cutoff in cv["cutoff"].unique():
        seen = long[long["ds"] <= cutoff]
        ahead = long[
            (long["ds"] > cutoff)
            & (long["ds"] <= cutoff + pd.Timedelta(days=days))
            & long["unique_id"].isin(seen["unique_id"].unique())
        ]
        exog = ahead.drop(columns="y") if len(ahead.columns) > 3 else None  # not just id, ds, y
        forecasts.append(mlf.predict(days, new_df=seen, X_df=exog))
    keys = ["unique_id", "ds"]
    scored = cv[[*keys, "cutoff", "y"]].merge(pd.concat(forecasts), on=keys, how="left")
    errors = [np.abs(scored["y"] - scored[f"r{k}"]).sum() for k in rounds]
    best = max(k for k, e in zip(rounds, errors, strict=True) if e <= ROUND_SLACK * min(errors))
    return best, scored[[*keys, "cutoff", "y"]].assign(lgb=scored[f"r{best}"])


def calibrate(cv: pd.DataFrame, long: pd.DataFrame) -> tuple[pd.DataFrame, float]:
    """An mlforecast backtest (``cv``, from the training frame ``long``) → its residual table
    (:func:`calibration_table`) and the weight ETS earns against its calibrated forecasts
    (:func:`models.ets_blend.backtest_weight`). The single-machine and the Dask forecaster
    share it."""
    table = calibration_table(cv)
    values = apply_residuals(table, cv["lgb"].to_numpy(), _steps(cv))
    return table, backtest_weight(cv, long, values["q50"], values["mean"])


def forecast_frame(
    raw: pd.DataFrame,
    ids: pd.DataFrame,
    calibration: pd.DataFrame,
    last_date: pd.Timestamp,
    opinion: pd.DataFrame | None = None,
    weight: float = 0.0,
) -> pd.DataFrame:
    """mlforecast's ``lgb`` point forecasts as the forecast frame: date, sku, warehouse_id, q10,
    q50, q90 and mean (non-negative), calibrated by ``calibration`` and, on the ordinary days of
    ``opinion`` (:func:`models.ets_blend.second_opinion`) of series that sell a unit a day or
    more, blended with its ETS by ``weight``.
    The single-machine and the Dask forecaster share it."""
    raw = raw.assign(ds=pd.to_datetime(raw["ds"]))
    step = (raw["ds"] - last_date).dt.days.to_numpy()
    values = apply_residuals(calibration, raw["lgb"].to_numpy(), step)
    if opinion is not None and weight:
        second = raw[["unique_id", "ds"]].merge(opinion, on=["unique_id", "ds"], how="left")
        ordinary = second["ordinary"].eq(True).to_numpy() & second["ets"].notna().to_numpy()
        ets = second["ets"].fillna(0.0).to_numpy()
        values = blend(values, ets, np.where(ordinary, weight, 0.0))
    out = raw[["unique_id", "ds"]].merge(ids, on="unique_id", how="left")
    out = out.rename(columns={"ds": "date"}).assign(**values)
    return out[["date", *KEY, *OUTPUTS]].sort_values(["date", *KEY], ignore_index=True)


MIN_HISTORY_DAYS = 2


class DemandModel:
    """fit(history) → predict(horizon) giving q10 / q50 / q90 per date, sku and warehouse."""

    def __init__(self, config: DemandConfig | None = None):
        self.config = config or DemandConfig()
        self._mlf: MLForecast | None = None
        self._ids = pd.DataFrame(columns=["unique_id", *KEY])
        self._stats = SeriesStats(pd.Series(dtype=float), pd.Series(dtype=float))
        self._tail = pd.DataFrame()
        self.last_date: pd.Timestamp | None = None
        self.filled_missing_days = 0
        self._calibration = pd.DataFrame()
        self.blend_weight = 0.0  # of ETS on ordinary days (models/ets_blend.py)
        self.rounds = self.config.n_estimators  # boosting rounds, fewer where the backtest says
        self._recent: pd.DataFrame | None = None  # each series' last ETS_DAYS, for ETS

    @property
    def series_ids(self) -> pd.DataFrame:
        """unique_id ↔ (sku, warehouse_id) as used inside mlforecast."""
        return self._ids

    # -- training -------------------------------------------------------------------------------
    def prepare(self, history: pd.DataFrame) -> pd.DataFrame:
        """Densify, learn per-series scales and ids; returns the long training frame."""
        dense = densify(history)
        self.filled_missing_days = dense.filled_missing_days
        frame = dense.frame
        self.last_date = frame["date"].max()
        if self.config.train_days:
            frame = frame[
                frame["date"] > self.last_date - pd.Timedelta(days=self.config.train_days)
            ]
            frame = frame.reset_index(drop=True)
        keys = frame[KEY].drop_duplicates().sort_values(KEY, ignore_index=True)
        self._ids = keys.assign(unique_id=[f"s{i}" for i in range(len(keys))])
        self._stats = series_stats(frame)
        self._tail = frame[frame["date"] > self.last_date - pd.Timedelta(days=TAIL_DAYS)].copy()
        return to_long(frame, self._stats, self._ids)

    def fit(self, history: pd.DataFrame) -> DemandModel:
        """Fit on a validated history frame (CONTRACT §4 columns; missing days are zero)."""
        long = self.prepare(history)
        cfg = self.config
        days = int(long.groupby("unique_id").size().max())
        if days < MIN_HISTORY_DAYS:  # no lag of any series is known: nothing to learn from
            raise ValueError(
                f"history: at least {MIN_HISTORY_DAYS} days are needed to forecast; the longest "
                f"series has {days}"
            )
        self._mlf = MLForecast(
            models={"lgb": lgb.LGBMRegressor(**lgbm_params(cfg))},
            num_threads=cfg.num_threads,
            **build_mlforecast(cfg, history_days=days),
        )
        self._calibration = self._calibrate(long)
        self._mlf.fit(long, **fit_options())
        self._recent = None
        if self.blend_weight:  # the weeks ETS reads at predict time
            recent = long["ds"] > self.last_date - pd.Timedelta(days=ETS_DAYS)
            self._recent = long.loc[recent, ["unique_id", "ds", "y"]]
        return self

    def _calibrate(self, long: pd.DataFrame) -> pd.DataFrame:
        """Residual quantiles from a backtest on the last windows (empty if history too short),
        and the weight ETS earns on its ordinary days."""
        self.blend_weight = 0.0
        plan = backtest_plan(long, self.config)
        if plan is None:
            return pd.DataFrame()
        windows, days = plan
        cv = self._mlf.cross_validation(
            long, n_windows=windows, h=days, step_size=days, refit=False, **fit_options()
        )
        self.rounds, cv = backtest_rounds(self._mlf, long, cv)
        self._mlf.models["lgb"].set_params(n_estimators=self.rounds)
        table, self.blend_weight = calibrate(cv, long)
        return table

    # -- inference ------------------------------------------------------------------------------
    def future_frame(self, horizon: int, future_exog: pd.DataFrame | None = None) -> pd.DataFrame:
        """Exogenous features for the next ``horizon`` days of every series.

        Planned price / promo / traffic come from ``future_exog`` where given; otherwise price
        stays at its last-week level, traffic at its 4-week median (robust to a passing spike)
        and promo is off.
        """
        assert self.last_date is not None, "fit the model first"
        dates = pd.date_range(self.last_date + pd.Timedelta(days=1), periods=horizon)
        grid = self._ids[KEY].merge(pd.DataFrame({"date": dates}), how="cross")
        if future_exog is not None and not future_exog.empty:
            planned = future_exog.assign(date=pd.to_datetime(future_exog["date"]).dt.normalize())
            cols = [c for c in EXOG if c in planned and c in self._tail]
            grid = grid.merge(planned[[*KEY, "date", *cols]], on=[*KEY, "date"], how="left")
        week = self._tail[self._tail["date"] > self.last_date - pd.Timedelta(days=7)]
        levels = {
            "price": week.groupby(KEY)["price"].mean() if "price" in week else None,
            "traffic": self._tail.groupby(KEY)["traffic"].median()
            if "traffic" in self._tail
            else None,
        }
        for col, level in levels.items():
            if level is not None:
                grid = grid.merge(level.rename(f"_{col}").reset_index(), on=KEY, how="left")
                base = grid.pop(f"_{col}")
                grid[col] = grid[col].fillna(base) if col in grid else base
        grid["promo"] = grid["promo"].fillna(0.0) if "promo" in grid else 0.0
        grid["qty"] = np.nan
        both = pd.concat([self._tail, grid], ignore_index=True).sort_values([*KEY, "date"])
        both = both.reset_index(drop=True)
        long = to_long(both, self._stats, self._ids)
        return long[long["ds"].isin(dates)].drop(columns="y").reset_index(drop=True)

    def predict(self, horizon: int, future_exog: pd.DataFrame | None = None) -> pd.DataFrame:
        """Forecast frame: date, sku, warehouse_id, q10, q50, q90 and mean (non-negative)."""
        assert self._mlf is not None, "fit the model first"
        if not 1 <= horizon <= self.config.horizon:
            raise ValueError(f"horizon must be between 1 and {self.config.horizon}")
        x_df = self.future_frame(horizon, future_exog)
        raw = self._mlf.predict(horizon, X_df=x_df)
        opinion = None
        if self.blend_weight and self._recent is not None:
            opinion = second_opinion(self._recent, x_df, horizon)
        return forecast_frame(
            raw, self._ids, self._calibration, self.last_date, opinion, self.blend_weight
        )

    # -- persistence ----------------------------------------------------------------------------
    def save(self, path: Path | str) -> None:
        """Write the fitted forecaster and its per-series state under directory ``path``."""
        assert self._mlf is not None, "fit the model first"
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        self._mlf.save(path / "mlforecast")
        state = {
            "config": asdict(self.config),
            "ids": self._ids,
            "stats": self._stats,
            "tail": self._tail,
            "last_date": self.last_date,
            "filled_missing_days": self.filled_missing_days,
            "calibration": self._calibration,
            "blend_weight": self.blend_weight,
            "rounds": self.rounds,
            "recent": self._recent,
        }
        with (path / "state.pkl").open("wb") as fh:
            pickle.dump(state, fh)

    @classmethod
    def load(cls, path: Path | str) -> DemandModel:
        path = Path(path)
        with (path / "state.pkl").open("rb") as fh:
            state = pickle.load(fh)
        config = state.pop("config")
        config["lags"] = tuple(config["lags"])
        model = cls(DemandConfig(**config))
        model._mlf = MLForecast.load(path / "mlforecast")
        model._ids, model._stats, model._tail = state["ids"], state["stats"], state["tail"]
        model.last_date = state["last_date"]
        model.filled_missing_days = state["filled_missing_days"]
        model._calibration = state["calibration"]
        # a model saved before the ETS blend forecasts from the trees alone
        model.blend_weight = state.get("blend_weight", 0.0)
        model._recent = state.get("recent")
        model.rounds = state.get("rounds", model.config.n_estimators)
        return model
