"""Demand pipeline: user-file forecasts, rolling-origin backtest against statsforecast baselines,
training + registration, and the same pipeline on a Dask cluster.

The backtest refits every model at each origin on exactly the same data and scores all of them
on the same windows, so the comparison with SeasonalNaive and AutoETS is like for like.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from features.demand import KEY, densify
from models.demand import (
    QUANTILES,
    DemandConfig,
    DemandModel,
    backtest_plan,
    calibrate,
    fit_options,
    forecast_frame,
    lgbm_params,
)
from models.demand import build_mlforecast as mlforecast_kwargs
from models.ets_blend import second_opinion
from models.periodic import RECENT_PERIODS, forecast_totals
from models.registry import RegistryPort
from ordersight.files import written_whole
from ordersight.periods import Period, history_period
from ordersight.reference import read_csv

__all__ = [
    "backtest",
    "fit_predict_dask",
    "forecast_file",
    "metrics_table",
    "train_demand",
    "write_forecast",
]

BASELINES = ("SeasonalNaive", "AutoETS")
MODEL_NAME = "ordersight-demand"
PARTIAL_SHARE = 0.5  # a last week or month selling under this share of the ones before is warned of


def forecast_file(
    history: Path, horizon: int = 14, out: Path | None = None
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Forecast a user's own history file (CONTRACT §4); raises ReferenceFileError on bad input.

    Any number of series, smooth or intermittent; days absent from the file are zero demand and
    counted in the summary as ``filled_missing_days``. A file of weekly or monthly totals is
    forecast per week or month (:mod:`models.periodic`), a row for each period that covers the
    horizon's days, dated as the file dates its periods.
    """
    frame = read_csv(history, "history", totals=True)
    period = history_period(frame["date"])
    if period is None:
        forecast, made = _daily_forecast(frame, horizon)
    else:
        forecast, made = _periodic_forecast(frame, period, horizon)
    if out is not None:
        with written_whole(out) as fh:
            write_forecast(forecast, fh)
    summary = {
        "n_series": int(forecast.groupby(KEY).ngroups),
        "n_rows_in": int(len(frame)),
        **made,
        "history_start": str(frame["date"].min().date()),
        "history_end": str(frame["date"].max().date()),
        "horizon": horizon,
        "forecast_rows": int(len(forecast)),
        "total_q50": round(float(forecast["q50"].sum()), 2),
        "total_mean": round(float(forecast["mean"].sum()), 2),
    }
    return forecast, summary


def _daily_forecast(frame: pd.DataFrame, horizon: int) -> tuple[pd.DataFrame, dict[str, Any]]:
    model = DemandModel(DemandConfig(horizon=max(horizon, 1))).fit(frame)
    dense = densify(frame).frame
    zero_share = dense.groupby(KEY)["qty"].apply(lambda q: float((q == 0).mean()))
    return model.predict(horizon), {
        "filled_missing_days": model.filled_missing_days,
        "intermittent_series": int((zero_share > 0.5).sum()),
        "ets_weight": model.blend_weight,  # of ETS on ordinary days, earned in the backtest
        "boosting_rounds": model.rounds,  # the trees' rounds, chosen in the same backtest
    }


def _periodic_forecast(
    frame: pd.DataFrame, period: Period, horizon: int
) -> tuple[pd.DataFrame, dict[str, Any]]:
    made = forecast_totals(frame, period, horizon)
    summary = {
        "period": str(period),  # the file's totals: "week (Sunday)", "month (month end)"
        "horizon_periods": int(period.covering(horizon)),
        "model": made.model,  # the candidate its own backtest chose
        "backtest_wape": made.backtest_wape,
        "filled_missing_periods": made.filled_missing_periods,
        "intermittent_series": made.intermittent_series,
        "last_period_share": made.last_share,
    }
    if made.last_share < PARTIAL_SHARE:
        last = frame["date"].max().date()
        summary["warning"] = (
            f"the last {period.unit} ({last}) sold {made.last_share:.0%} of the median of the "
            f"{RECENT_PERIODS} before it: if it is not over yet, leave it out of the file"
        )
    return made.frame, summary


def write_forecast(forecast: pd.DataFrame, fh: IO[str]) -> None:
    """CONTRACT §4's forecast CSV: days as 2025-11-11, quantities to a thousandth of a unit (the
    float's sixteen digits said nothing a planner can use)."""
    dated = forecast.assign(date=forecast["date"].dt.strftime("%Y-%m-%d"))
    dated.to_csv(fh, index=False, float_format="%.3f")


# -- backtest -------------------------------------------------------------------------------------
def _baselines(train: pd.DataFrame, horizon: int) -> pd.DataFrame:
    """SeasonalNaive(7) and AutoETS forecasts with 80 % intervals, in our quantile columns."""
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS, Naive, SeasonalNaive

    long = train.rename(columns={"date": "ds", "qty": "y"})
    long["unique_id"] = long["sku"] + "\x1f" + long["warehouse_id"]
    sf = StatsForecast(  # Naive stands in where a series is too short for a model
        models=[SeasonalNaive(season_length=7), AutoETS(season_length=7)],
        freq="D",
        n_jobs=1,
        fallback_model=Naive(),
    )
    raw = sf.forecast(df=long[["unique_id", "ds", "y"]], h=horizon, level=[80])
    keys = raw["unique_id"].str.split("\x1f", n=1, expand=True)
    frames = []
    for name in BASELINES:
        frames.append(
            pd.DataFrame(
                {
                    "date": raw["ds"],
                    "sku": keys[0],
                    "warehouse_id": keys[1],
                    "model": name,
                    "q10": raw[f"{name}-lo-80"].clip(lower=0),
                    "q50": raw[name].clip(lower=0),
                    "q90": raw[f"{name}-hi-80"].clip(lower=0),
                    "mean": raw[name].clip(lower=0),  # their point forecast is a mean
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _pinball(y: np.ndarray, pred: np.ndarray, q: float) -> float:
    diff = y - pred
    return float(np.mean(np.maximum(q * diff, (q - 1) * diff)))


def metrics_table(scored: pd.DataFrame) -> dict[str, float]:
    """WAPE and bias of the median, bias of the mean (all ÷ actual volume), scaled pinball loss
    averaged over q10/q50/q90, and the share of days inside q10–q90."""
    y = scored["qty"].to_numpy(dtype=float)
    volume = max(float(y.sum()), 1e-9)
    scale = max(float(y.mean()), 1e-9)
    pinball = np.mean(
        [
            _pinball(y, scored[q].to_numpy(dtype=float), p)
            for q, p in zip(QUANTILES, (0.1, 0.5, 0.9), strict=True)
        ]
    )
    return {
        "wape": float(np.abs(y - scored["q50"]).sum() / volume),
        "bias": float((scored["q50"].sum() - y.sum()) / volume),
        "mean_bias": float((scored["mean"].sum() - y.sum()) / volume),
        "pinball": float(pinball / scale),
        "coverage_80": float(((y >= scored["q10"]) & (y <= scored["q90"])).mean()),
    }


def _hot_actual(train: pd.DataFrame, test: pd.DataFrame, share: float = 0.2) -> set[str]:
    """SKUs whose test-window daily demand jumped most over their trailing 28 days.

    Defined from actuals (not from any model's forecast) so no model picks its own exam.
    """
    recent = train[train["date"] > train["date"].max() - pd.Timedelta(days=28)]
    before = recent.groupby("sku")["qty"].sum() / 28
    after = test.groupby("sku")["qty"].sum() / test["date"].nunique()
    uplift = (after / before.reindex(after.index).clip(lower=0.1)).fillna(0)
    busy = after[after >= after.median()].index
    ranked = uplift.loc[busy].sort_values(ascending=False)
    return set(ranked.index[: max(1, int(len(ranked) * share))])


def backtest(
    history_df: pd.DataFrame,
    windows: int = 3,
    horizon: int = 14,
    config: DemandConfig | None = None,
    baseline_days: int = 365,
    eval_series: int | None = 800,
    seed: int = 0,
) -> dict[str, Any]:
    """Rolling-origin CV: ours vs SeasonalNaive(7) and AutoETS(7) on the same windows.

    At each origin every model sees history up to the cutoff only; ours also sees the planned
    price and promo of the window (a retailer knows its own promotion calendar), never traffic.
    Ours trains on every series; all models are scored on the same ``eval_series`` series
    (a seeded sample, so AutoETS stays affordable on big catalogues) and the same days.
    """
    config = replace(config or DemandConfig(), horizon=horizon)
    dense = densify(history_df).frame
    keys = dense[KEY].drop_duplicates()
    if eval_series is not None and len(keys) > eval_series:
        keys = keys.sample(eval_series, random_state=seed)
    scope = pd.MultiIndex.from_frame(keys)
    last = dense["date"].max()
    cutoffs = [last - pd.Timedelta(days=horizon * k) for k in range(windows, 0, -1)]
    scored, hot_rows = [], []
    for cutoff in cutoffs:
        train = dense[dense["date"] <= cutoff]
        test = dense[
            (dense["date"] > cutoff) & (dense["date"] <= cutoff + pd.Timedelta(days=horizon))
        ]
        planned = test.drop(columns=["qty", "traffic"], errors="ignore")
        ours = DemandModel(config).fit(train).predict(horizon, future_exog=planned)
        recent = train[train["date"] > cutoff - pd.Timedelta(days=baseline_days)]
        recent = recent[pd.MultiIndex.from_frame(recent[KEY]).isin(scope)]
        preds = pd.concat([ours.assign(model="ours"), _baselines(recent, horizon)])
        merged = test[["date", *KEY, "qty"]].merge(preds, on=["date", *KEY], how="inner")
        n_models = merged.groupby(["date", *KEY])["model"].transform("nunique")
        merged = merged[n_models == 1 + len(BASELINES)]  # same rows for every model
        scored.append(merged.assign(cutoff=cutoff))
        hot = _hot_actual(train, test)
        hot_rows.append(merged[merged["sku"].isin(hot)])
    allrows, hotrows = pd.concat(scored), pd.concat(hot_rows)
    report: dict[str, Any] = {
        "windows": windows,
        "horizon": horizon,
        "cutoffs": [str(c.date()) for c in cutoffs],
        "n_series": int(dense.groupby(KEY).ngroups),
        "n_series_scored": int(len(scope)),
        "overall": {m: metrics_table(g) for m, g in allrows.groupby("model")},
        "hot": {m: metrics_table(g) for m, g in hotrows.groupby("model")},
        "per_window": {
            str(c.date()): {m: metrics_table(g)["wape"] for m, g in w.groupby("model")}
            for c, w in allrows.groupby("cutoff")
        },
    }
    ours = report["overall"]["ours"]["wape"]
    report["gates"] = {f"wape_below_{b}": ours < report["overall"][b]["wape"] for b in BASELINES}
    return report


def flat_metrics(report: dict[str, Any]) -> dict[str, float]:
    """``overall_ours_wape``-style flat metrics for MLflow."""
    return {
        f"{scope}_{model}_{name}".lower(): value
        for scope in ("overall", "hot")
        for model, values in report[scope].items()
        for name, value in values.items()
    }


def train_demand(
    data_dir: Path,
    registry: RegistryPort | None = None,
    config: DemandConfig | None = None,
    windows: int = 3,
    horizon: int = 14,
) -> dict[str, Any]:
    """Backtest, fit on all history, register ``ordersight-demand`` (champion only if gates pass).

    Returns model, metrics, params, report, gates_passed and version (None without a registry).
    """
    config = config or DemandConfig()
    history = read_csv(Path(data_dir) / "history.csv", "history")
    report = backtest(history, windows=windows, horizon=horizon, config=config)
    gates_passed = all(report["gates"].values())
    model = DemandModel(config).fit(history)
    metrics = {
        **flat_metrics(report),
        "ets_weight": model.blend_weight,
        "boosting_rounds": model.rounds,
    }
    params = {**asdict(config), "backtest_windows": windows, "backtest_horizon": horizon}
    version = None
    if registry is not None:
        version = registry.log_and_register(
            MODEL_NAME, model, metrics, params, report, gates_passed
        )
    return {
        "model": model,
        "metrics": metrics,
        "params": params,
        "report": report,
        "gates_passed": gates_passed,
        "version": version,
    }


# -- scale-out ------------------------------------------------------------------------------------
def fit_predict_dask(
    history_df: pd.DataFrame,
    horizon: int = 14,
    config: DemandConfig | None = None,
    client: Any = None,
    partitions: int = 2,
) -> pd.DataFrame:
    """The same features and LightGBM model trained data-parallel with mlforecast on Dask.

    ``client`` is a ``dask.distributed.Client``; returns date, sku, warehouse_id, q10, q50, q90
    and mean, calibrated like the single-machine model: residual quantiles from a backtest on the
    last ``calibration_windows`` (run on the cluster too; one shorter window on a short history,
    :func:`models.demand.backtest_plan`), a Poisson-like spread when history is shorter still,
    and ETS blended in on ordinary days by the weight that backtest earns (ETS runs here, on the
    driver). Its trees keep the configured rounds: a catalogue that needs a cluster holds enough
    to learn them, where the single-machine model may choose fewer in its backtest.
    """
    import dask.dataframe as dd
    from mlforecast.distributed import DistributedMLForecast
    from mlforecast.distributed.models.dask.lgb import DaskLGBMForecast

    config = replace(config or DemandConfig(), horizon=horizon)
    local = DemandModel(config)
    long = local.prepare(history_df)
    x_df = local.future_frame(horizon)
    params = {k: v for k, v in lgbm_params(config).items() if k != "n_jobs"}
    fcst = DistributedMLForecast(
        models={"lgb": DaskLGBMForecast(**params, n_jobs=1)},
        engine=client,
        num_partitions=partitions,
        **mlforecast_kwargs(config),
    )
    ddf = dd.from_pandas(long, npartitions=partitions)
    calibration, weight = pd.DataFrame(), 0.0
    plan = backtest_plan(long, config)
    if plan is not None:
        windows, days = plan
        cv = fcst.cross_validation(
            ddf, n_windows=windows, h=days, step_size=days, refit=False, **fit_options()
        ).compute()
        calibration, weight = calibrate(cv, long)
    fcst.fit(ddf, **fit_options())
    x_ddf = dd.from_pandas(x_df, npartitions=partitions)
    raw = fcst.predict(horizon, X_df=x_ddf).compute()
    opinion = second_opinion(long, x_df, horizon) if weight else None
    return forecast_frame(raw, local.series_ids, calibration, local.last_date, opinion, weight)
