"""Demand model quality on a small demo world: beats SeasonalNaive and AutoETS on the same
rolling-origin windows. Its pre-positioning plan, replayed on held-out orders of the session's
small world, ships more units locally, over fewer km and in less outbound time than no plan, and
as locally as a naive split of stock by last month's sales for less transfer cost."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from features.demand import KEY
from models.demand import DemandConfig, DemandModel
from ordersight.reference import read_csv
from training.forecast import backtest
from training.policy import order_lines, policy_backtest

pytestmark = pytest.mark.slow
N_SKUS = 30
CONFIG = DemandConfig(horizon=14, n_estimators=100, calibration_windows=1)


@pytest.fixture(scope="module")
def top_skus(small_world: Path) -> list[str]:
    """The best-selling SKUs by ordered units (a slice keeps the suite fast)."""
    lines = order_lines(small_world / "orders.jsonl", small_world / "truth.csv")
    return lines.groupby("sku")["qty"].sum().nlargest(N_SKUS).index.sort_values().tolist()


@pytest.fixture(scope="module")
def report(small_world: Path, top_skus: list[str]) -> dict:
    history = read_csv(small_world / "history.csv", "history")
    return backtest(history[history["sku"].isin(top_skus)], windows=2, horizon=14, config=CONFIG)


def test_wape_beats_baselines_on_same_windows(report):
    overall = report["overall"]
    assert set(overall) == {"ours", "SeasonalNaive", "AutoETS"}
    assert overall["ours"]["wape"] < overall["SeasonalNaive"]["wape"]
    assert overall["ours"]["wape"] < overall["AutoETS"]["wape"]
    assert all(report["gates"].values())
    assert len(report["per_window"]) == 2


def test_quantiles_are_calibrated_and_hot_skus_scored(report):
    ours = report["overall"]["ours"]
    assert 0.65 <= ours["coverage_80"] <= 0.95  # q10–q90 should hold ~80 % of actual days
    assert ours["pinball"] < report["overall"]["AutoETS"]["pinball"]
    assert abs(ours["bias"]) < 0.3
    hot = report["hot"]
    assert hot["ours"]["wape"] < hot["SeasonalNaive"]["wape"]


def test_plan_beats_no_plan_and_naive_split_on_held_out_orders(small_world):
    lines = order_lines(small_world / "orders.jsonl", small_world / "truth.csv")
    skus = lines.groupby("sku")["qty"].sum().nlargest(N_SKUS).index.sort_values().tolist()
    result = policy_backtest(small_world, horizon=14, config=CONFIG, skus=skus, windows=3)
    plans = result["plans"]
    assert len(result["windows"]) == 3 and result["order_lines"] > 500 and result["moves"] > 0
    assert len({p["units_ordered"] for p in plans.values()}) == 1  # same orders, same stock
    assert len({round(p["fill_rate"], 9) for p in plans.values()}) == 1
    ours, naive, none = plans["ours"], plans["naive"], plans["none"]
    assert all(result["beats"]["none"][m] for m in ("local_share", "mean_km", "mean_outbound_h"))
    assert ours["local_share"] > none["local_share"] + 0.02
    # against the naive split the held-out sample's noise decides locality either way by up to
    # ~0.6 points (README): as local within that noise, for less than the naive split's transfers
    assert ours["local_share"] > naive["local_share"] - 0.01
    assert ours["mean_km"] < naive["mean_km"] * 1.02
    assert ours["total_cost"] < naive["total_cost"]
    assert all(w["stock_scale"] > 0 for w in result["windows"])


def _made_elsewhere(days: int, seed: int, n_series: int = 30) -> pd.DataFrame:
    """A shop's short history, not our demo world's: smooth Poisson series, each with its own
    level (a random walk) and its own weekly cycle, no festival, price or promo."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2025-03-03", periods=days)
    t = np.arange(days)
    frames = []
    for s in range(n_series):
        level = rng.gamma(2.0, 5.0) * np.exp(np.cumsum(rng.normal(0, 0.02, days)))
        week = 1 + 0.3 * np.sin(2 * np.pi * t / 7 + rng.uniform(0, 2 * np.pi))
        qty = rng.poisson(level * week).astype(float)
        frames.append(
            pd.DataFrame({"date": dates, "sku": f"S{s:02d}", "warehouse_id": "W1", "qty": qty})
        )
    return pd.concat(frames, ignore_index=True)


MODELS = ("ours", "AutoETS", "SeasonalNaive")


def _three_draws(days: int) -> list[dict]:
    """The overall backtest report of the last 14 of ``days`` in three shops made elsewhere."""
    return [
        backtest(
            _made_elsewhere(days, seed), windows=1, horizon=14, config=DemandConfig(horizon=14)
        )["overall"]
        for seed in (1, 2, 3)
    ]


@pytest.mark.parametrize("days", [28, 42])
def test_short_histories_made_elsewhere_are_forecast_as_well_as_autoets(days: int) -> None:
    """Two and four weeks of history, then 14 days held out (three draws). With the plain log1p
    target the trees pulled every series toward the few levels their leaves hold: WAPE 0.40
    against AutoETS's 0.35 on two weeks; the target less each series' mean gives 0.34 (0.35 with
    the first week's rows kept, their weekly lag missing)."""
    reports = _three_draws(days)
    ours, ets, naive = ([r[model]["wape"] for r in reports] for model in MODELS)
    assert np.mean(ours) <= 1.03 * np.mean(ets), (ours, ets)
    assert np.mean(ours) < np.mean(naive), (ours, naive)


@pytest.mark.parametrize("days", [56, 70])
def test_six_to_eleven_weeks_calibrate_on_a_short_backtest(days: int) -> None:
    """Six and eight weeks of history, 14 days held out (three draws). Too short for the
    configured backtest, such a fit had no residuals: quantiles a Poisson guess around the
    median and the mean the median, WAPE 0.291 / 0.288 against AutoETS's 0.257 / 0.262, the
    mean −7 / −4 % under what sold. One two-week window after four weeks to fit on
    (``backtest_plan``) gives 0.263 / 0.264 and −2 / 0 %, ETS's weight earned too."""
    reports = _three_draws(days)
    ours, ets, _ = ([r[model]["wape"] for r in reports] for model in MODELS)
    bias = [r["ours"]["mean_bias"] for r in reports]
    assert np.mean(ours) <= 1.03 * np.mean(ets), (ours, ets)
    assert abs(np.mean(bias)) <= 0.03, bias


def _one_warehouse(series: list[np.ndarray], start: str = "2025-01-01") -> pd.DataFrame:
    """Daily series S00, S01 … of one warehouse, from ``start``."""
    dates = pd.date_range(start, periods=len(series[0]))
    return pd.concat(
        [
            pd.DataFrame({"date": dates, "sku": f"S{s:02d}", "warehouse_id": "W1", "qty": qty})
            for s, qty in enumerate(series)
        ],
        ignore_index=True,
    )


def _last_fortnight_held_out(history: pd.DataFrame) -> dict:
    """Every series scored on its last 14 days, each model fit on the days before."""
    config = DemandConfig(horizon=14)
    return backtest(history, windows=1, horizon=14, config=config, eval_series=None)["overall"]


def test_products_launched_mid_history_are_forecast_from_their_launch() -> None:
    """An export listing every day lists zeros before each product's launch. Counted as demand,
    they dragged each series' level down: WAPE 0.28 / 0.35 against AutoETS's 0.26 / 0.26 (two
    draws of 40 series launched 20 to 60 days before the cut); from the first sale 0.25 / 0.25,
    AutoETS 0.24 / 0.25."""
    ours, ets = [], []
    for seed in (1, 2):
        rng = np.random.default_rng(seed)
        days, series = 194, []
        for _ in range(40):
            start, rate = rng.integers(days - 74, days - 34), rng.gamma(2.0, 5.0)
            qty = np.zeros(days)
            qty[start:] = rng.poisson(rate, days - start)
            series.append(qty)
        report = _last_fortnight_held_out(_one_warehouse(series))
        ours.append(report["ours"]["wape"])
        ets.append(report["AutoETS"]["wape"])
    assert np.mean(ours) <= 1.06 * np.mean(ets), (ours, ets)


def _first_year_with_double_eleven(seed: int) -> pd.DataFrame:
    """30 series of a shop's first year (2024-11-01 … 2025-11-16), each with its own level and
    weekly cycle, selling 5× on 11-11 and 2× the day before and after."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2024-11-01", "2025-11-16")
    lift = np.ones(len(dates))
    for day, times in ((10, 2.0), (11, 5.0), (12, 2.0)):
        lift[(dates.month == 11) & (dates.day == day)] = times
    t = np.arange(len(dates))
    series = []
    for _ in range(30):
        week = 1 + 0.3 * np.sin(2 * np.pi * t / 7 + rng.uniform(0, 2 * np.pi))
        series.append(rng.poisson(rng.gamma(2.0, 5.0) * week * lift).astype(float))
    return _one_warehouse(series, start="2024-11-01")


def test_a_one_year_history_learns_double_eleven_from_its_first_weeks() -> None:
    """A year of history whose only 双11 lies in its first weeks, the next one held out. Those
    rows' long lags reach before the first day; dropped (mlforecast's default), the model never saw
    a 双11: WAPE 0.44 / 0.43 like AutoETS's 0.44 / 0.41, and 37 / 34 % of the three festival
    days' units forecast. Kept, with the lags missing: 0.31 / 0.30, and 70 / 64 %."""
    ours, ets, caught = [], [], []
    for seed in (1, 2):
        history = _first_year_with_double_eleven(seed)
        report = _last_fortnight_held_out(history)
        ours.append(report["ours"]["wape"])
        ets.append(report["AutoETS"]["wape"])
        before = history[history["date"] <= "2025-11-02"]
        forecast = DemandModel(DemandConfig(horizon=14)).fit(before).predict(14)
        festival = forecast[forecast["date"].dt.day.isin([10, 11, 12])]["mean"].sum()
        sold = history[history["date"].between("2025-11-10", "2025-11-12")]["qty"].sum()
        caught.append(festival / sold)
    assert np.mean(ours) <= 0.85 * np.mean(ets), (ours, ets)
    assert min(caught) >= 0.55, caught


def test_the_expected_demand_of_intermittent_series_is_unbiased() -> None:
    """60 slow movers made elsewhere, each selling on 5 to 50 % of days. Their median day sells
    nothing, so the daily medians sum to a fifth of what sells; the forecast's ``mean`` column
    is what a planner totals. Two draws: volume bias of the median −0.87 / −0.79, of the mean
    −0.14 / +0.16. Their backtest runs over 618: with no level shift at all the mean was +0.59
    over (the trees' mean of log demand, not its median, raised by the smear)."""
    for seed in (1, 2):
        rng = np.random.default_rng(seed)
        series = []
        for _ in range(60):
            sells = rng.random(194) < rng.uniform(0.05, 0.5)
            series.append((sells * rng.geometric(rng.uniform(0.4, 0.9), 194)).astype(float))
        report = _last_fortnight_held_out(_one_warehouse(series))["ours"]
        assert report["bias"] < -0.5, report
        assert abs(report["mean_bias"]) < 0.25, report


def _plain_series(rng: np.random.Generator, days: int, step: bool) -> np.ndarray:
    """A level with its own weekly cycle and Poisson noise; ``step``: the level halves or doubles
    three to six weeks before the end."""
    t = np.arange(days)
    phase = rng.uniform(0, 2 * np.pi)
    level = rng.gamma(2.0, 5.0) * (1 + 0.3 * np.sin(2 * np.pi * t / 7 + phase))
    if step:
        level *= np.where(t >= days - rng.integers(20, 42), rng.choice([0.5, 2.0]), 1.0)
    return rng.poisson(level).astype(float)


@pytest.mark.parametrize(("step", "gate"), [(False, 1.03), (True, 1.0)])
def test_plain_histories_made_elsewhere_take_in_ets_on_ordinary_days(step: bool, gate: float):
    """Half a year of 40 series with no festival, holiday or promotion in their sales
    (2025-02-20 … 08-18, the last 14 days held out): smooth, or with a level that halves or
    doubles weeks before the cut. ETS reads a series' own level with less variance than trees
    that pool all of them; its weight is earned in the fit's backtest. Two draws each, WAPE:
    smooth, the trees alone 0.263 / 0.268, blended 0.235 / 0.254, AutoETS 0.232 / 0.252;
    stepped, the trees alone 0.288 / 0.433 (the mean +22 / +18 % over what sold), blended
    0.248 / 0.254 (+8 / +5 %), AutoETS 0.270 / 0.263."""
    ours, ets = [], []
    for seed in (1, 2):
        rng = np.random.default_rng(seed)
        series = [_plain_series(rng, 180, step) for _ in range(40)]
        report = _last_fortnight_held_out(_one_warehouse(series, start="2025-02-20"))
        ours.append(report["ours"]["wape"])
        ets.append(report["AutoETS"]["wape"])
    assert np.mean(ours) <= gate * np.mean(ets), (ours, ets)


def _group_wapes(history: pd.DataFrame) -> dict[str, float]:
    """WAPE of the median per group of SKUs (by the first letter), the last 14 days held out."""
    cut = history["date"].max() - pd.Timedelta(days=14)
    model = DemandModel(DemandConfig(horizon=14)).fit(history[history["date"] <= cut])
    held = history[history["date"] > cut].merge(model.predict(14), on=["date", *KEY])
    err = (held["qty"] - held["q50"]).abs().groupby(held["sku"].str[0]).sum()
    return (err / held.groupby(held["sku"].str[0])["qty"].sum()).to_dict()


def test_slow_movers_keep_the_trees_where_fast_movers_take_in_ets(monkeypatch) -> None:
    """A shop of 30 smooth series (F…) and 30 slow movers (S…, 0.1–0.8 a day), half a year, the
    last 14 days held out (two draws). The weight the fast movers earn moved the slow movers'
    medians toward ETS's level, which is their mean: their WAPE 1.05 / 1.07 with the trees
    alone, 1.19 / 1.28 blended. Under a unit a day ETS now moves nothing: 1.05 / 1.07, the
    smooth series 0.236 / 0.256 (0.260 / 0.276 the trees alone)."""
    for seed in (1, 2):
        rng = np.random.default_rng(seed)
        fast = [_plain_series(rng, 180, False) for _ in range(30)]
        slow = [
            (rng.random(180) < rng.uniform(0.1, 0.5)) * rng.integers(1, 3, 180) for _ in range(30)
        ]
        history = _one_warehouse([*fast, *slow], start="2025-02-20")
        history["sku"] = [("F" if int(s[1:]) < 30 else "S") + s[1:] for s in history["sku"]]
        blended = _group_wapes(history)
        with monkeypatch.context() as patch:
            patch.setattr("models.demand.backtest_weight", lambda *args: 0.0)
            trees = _group_wapes(history)
        assert blended["S"] <= 1.01 * trees["S"], (blended, trees)
        assert blended["F"] < trees["F"], (blended, trees)


def test_a_saved_model_keeps_its_ets_weight(tmp_path: Path) -> None:
    """The weight and the weeks ETS reads travel with the model: loaded, it forecasts the same."""
    rng = np.random.default_rng(3)
    history = _one_warehouse([_plain_series(rng, 180, True) for _ in range(20)], "2025-02-20")
    model = DemandModel(DemandConfig(horizon=14, n_estimators=60)).fit(history)
    assert model.blend_weight > 0
    model.save(tmp_path / "demand")
    again = DemandModel.load(tmp_path / "demand")
    assert again.blend_weight == model.blend_weight
    pd.testing.assert_frame_equal(again.predict(14), model.predict(14))
