"""Pre-positioning optimiser: feasible (stock, capacity), moves toward demand, deterministic;
the demand it plans for: regional shares from history, horizon spread, spare-stock buffer."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ordersight.allocation import (
    REC_COLUMNS,
    history_shares,
    horizon_demand,
    hot_skus,
    recommend,
    resplit,
    spare_buffer,
)

WAREHOUSES = pd.DataFrame(
    {
        "warehouse_id": ["BJ", "CD", "GZ", "SH"],
        "name": ["北京", "成都", "广州", "上海"],
        "adcode": ["110105", "510104", "440106", "310115"],
        "lon": [116.40, 104.07, 113.26, 121.47],
        "lat": [39.90, 30.67, 23.13, 31.23],
        "capacity_units": [100_000, 100_000, 100_000, 100_000],
    }
)


def _forecast(daily: dict[str, dict[str, float]], days: int = 14) -> pd.DataFrame:
    dates = pd.date_range("2025-10-28", periods=days)
    rows = [
        {"date": d, "sku": sku, "warehouse_id": wh, "q10": 0.6 * q, "q50": q, "q90": 1.4 * q}
        for sku, per_wh in daily.items()
        for wh, q in per_wh.items()
        for d in dates
    ]
    return pd.DataFrame(rows)


def _stock(rows: list[tuple[str, str, int, int]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["warehouse_id", "sku", "on_hand", "reserved"])
    return frame.assign(in_transit=0)


def _after(stock: pd.DataFrame, recs: pd.DataFrame) -> pd.Series:
    units = stock.set_index(["warehouse_id", "sku"])["on_hand"].astype(float).to_dict()
    for r in recs.itertuples():
        units[(r.from_warehouse, r.sku)] = units.get((r.from_warehouse, r.sku), 0) - r.qty
        units[(r.to_warehouse, r.sku)] = units.get((r.to_warehouse, r.sku), 0) + r.qty
    return pd.Series(units)


def test_moves_stock_toward_demand_and_never_below_available():
    fc = _forecast({"MILK": {"CD": 50, "SH": 2, "BJ": 2, "GZ": 2}})
    stock = _stock([("SH", "MILK", 1400, 300), ("BJ", "MILK", 40, 0)])
    recs = recommend(fc, stock, WAREHOUSES)
    assert list(recs.columns[: len(REC_COLUMNS)]) == REC_COLUMNS
    into_cd = recs[recs["to_warehouse"] == "CD"]["qty"].sum()
    need = horizon_demand(fc).set_index(["sku", "warehouse_id"]).loc[("MILK", "CD"), "q90"]
    assert into_cd >= need - 1  # the q90 near CD is covered, not just the median...
    after = _after(stock, recs).xs("MILK", level=1)
    spare = 1100 + 40 - horizon_demand(fc)["q90"].sum()  # ...and spare stock follows demand
    assert after["CD"] == pytest.approx(need + spare * 50 / 56, abs=2)
    moved_out = recs.groupby("from_warehouse")["qty"].sum()
    assert moved_out.get("SH", 0) <= 1400 - 300  # reserved units never move
    assert moved_out.get("BJ", 0) <= 40
    assert (recs["expected_gain"] > 0).all() and (recs["km_saved_per_unit"] > 0).all()
    assert recs["rec_id"].is_unique


def test_capacity_is_respected():
    wh = WAREHOUSES.assign(capacity_units=[100_000, 700, 100_000, 100_000])
    fc = _forecast({"MILK": {"CD": 80}, "TV": {"CD": 30}})
    stock = _stock([("SH", "MILK", 5000, 0), ("SH", "TV", 5000, 0), ("CD", "TV", 100, 0)])
    recs = recommend(fc, stock, wh)
    after = _after(stock, recs)
    assert after.xs("CD", level=0).sum() <= 700
    assert after.xs("CD", level=0).sum() >= 650  # the room is used, not left empty
    assert (after >= 0).all()


def test_no_moves_when_stock_already_sits_with_demand():
    fc = _forecast({"MILK": {"SH": 10, "BJ": 10}})
    stock = _stock([("SH", "MILK", 500, 0), ("BJ", "MILK", 500, 0)])
    assert recommend(fc, stock, WAREHOUSES).empty


def test_demand_regions_redirect_demand_to_where_buyers_are():
    fc = _forecast({"MILK": {"SH": 20}})  # shipped from SH so far...
    stock = _stock([("SH", "MILK", 2000, 0)])
    buyers = pd.DataFrame({"adcode": ["440106", "440305"], "weight": [3.0, 1.0]})  # ...to Guangdong
    recs = recommend(fc, stock, WAREHOUSES, demand_regions=buyers, split_by_regions=True)
    assert set(recs["to_warehouse"]) == {"GZ"}
    assert recs["qty"].sum() == 2000  # no buyer near SH: every unit sells better in GZ


def test_deterministic_and_service_quantile_matters():
    fc = _forecast({"MILK": {"CD": 30, "GZ": 30}})
    fc["q90"] = np.where(fc["warehouse_id"] == "CD", 60.0, 33.0)  # CD far less certain
    stock = _stock([("SH", "MILK", 1000, 0)])
    first, second = recommend(fc, stock, WAREHOUSES), recommend(fc, stock, WAREHOUSES)
    pd.testing.assert_frame_equal(first, second)
    low = recommend(fc, stock, WAREHOUSES, service_quantile="q50")
    into = {q: r.groupby("to_warehouse")["qty"].sum() for q, r in (("q90", first), ("q50", low))}
    assert into["q50"]["CD"] == pytest.approx(500, abs=1)  # medians, then spare by median
    assert into["q90"]["CD"] > into["q50"]["CD"] + 40  # CD's wider q90 is covered first


def test_shortage_sends_every_unit_where_it_sells():
    fc = _forecast({"MILK": {"CD": 10, "GZ": 10, "BJ": 10}})
    stock = _stock([("SH", "MILK", 150, 0)])  # a third of the median demand, none sold near SH
    recs = recommend(fc, stock, WAREHOUSES)
    got = recs.groupby("to_warehouse")["qty"].sum()
    assert got.sum() == 150 and set(got.index) <= {"CD", "GZ", "BJ"}
    assert (got <= 10 * 14).all()  # no region gets more than it will sell


def test_hot_skus_flag_uplift_with_reason():
    fc = _forecast({"HOT": {"SH": 30}, "FLAT": {"SH": 10}, "TINY": {"SH": 0.05}})
    dates = pd.date_range("2025-09-30", periods=28)
    history = pd.DataFrame(
        {
            "date": np.tile(dates, 3),
            "sku": np.repeat(["HOT", "FLAT", "TINY"], 28),
            "warehouse_id": "SH",
            "qty": np.repeat([10.0, 10.0, 0.01], 28),
        }
    )
    hot = hot_skus(fc, history).set_index("sku")
    assert hot.loc["HOT", "is_hot"] and "3.0x" in hot.loc["HOT", "reason"]
    assert not hot.loc["FLAT", "is_hot"] and not hot.loc["TINY", "is_hot"]
    assert hot["share"].sum() == pytest.approx(1.0)


def test_small_moves_are_consolidated_not_made():
    # one big market; BJ's 3 units are the cheapest to send there, GZ wants a couple more
    fc = _forecast({"MILK": {"CD": 30, "GZ": 0.2, "SH": 0.2}})
    stock = _stock([("SH", "MILK", 700, 0), ("GZ", "MILK", 2, 0), ("BJ", "MILK", 3, 0)])
    every = recommend(fc, stock, WAREHOUSES, min_qty=1)
    assert set(every.loc[every["qty"] < 5, "from_warehouse"]) == {"BJ", "SH"}  # two dribbles
    plan = recommend(fc, stock, WAREHOUSES, min_qty=5)
    assert (plan["qty"] >= 5).all() and len(plan) < len(every)
    assert "BJ" not in set(plan["from_warehouse"])
    into = {name: r.groupby("to_warehouse")["qty"].sum() for name, r in (("1", every), ("5", plan))}
    assert into["5"]["CD"] == into["1"]["CD"]  # solved again: SH sends BJ's 3 in its own lot
    pd.testing.assert_frame_equal(recommend(fc, stock, WAREHOUSES), plan)  # 5 is the default


def test_spare_stock_is_spread_by_expected_demand():
    median = np.array([[30.0, 10.0, 0.0]])
    demand = np.array([[40.0, 15.0, 0.0]])
    buffer = spare_buffer(median, demand, np.array([[100.0, 0.0, 15.0]]))[:, :, 0]
    np.testing.assert_allclose(buffer, [[45.0, 15.0, 0.0]])  # 60 spare units, 3 : 1 : 0


def test_history_shares_are_long_run_but_follow_a_local_surge():
    dates = pd.date_range("2025-01-01", periods=200)
    rng = np.random.default_rng(0)
    steady = [(d, "A", w, q) for d in dates for w, q in (("BJ", 30), ("SH", 10))]
    surge = [(d, "B", "BJ", 20) for d in dates] + [
        (d, "B", "SH", 20 if i < 172 else 80) for i, d in enumerate(dates)
    ]
    history = pd.DataFrame(steady + surge, columns=["date", "sku", "warehouse_id", "qty"])
    history["qty"] = rng.poisson(history["qty"])
    shares = history_shares(history)
    assert shares.loc["A", "BJ"] == pytest.approx(0.75, abs=0.02)
    assert shares.loc["B", "SH"] == pytest.approx(0.8, abs=0.03)  # the last 28 days, not 0.55
    assert shares.sum(axis=1).to_numpy() == pytest.approx([1.0, 1.0])


def test_resplit_keeps_totals_and_unknown_skus():
    median, upper = np.array([[10.0, 30.0], [5.0, 5.0]]), np.array([[14.0, 33.0], [7.0, 7.0]])
    shares = np.array([[3.0, 1.0], [np.nan, np.nan]])
    new_median, new_upper = resplit(median, upper, shares)
    np.testing.assert_allclose(new_median, [[30.0, 10.0], [5.0, 5.0]])
    np.testing.assert_allclose(new_upper[1], upper[1])
    spread = new_upper[0] - new_median[0]  # variances add up to the SKU's: 4² + 3²
    assert (spread**2).sum() == pytest.approx(25.0)


def test_horizon_spread_sits_between_independent_and_fully_correlated_days():
    fc = _forecast({"MILK": {"SH": 10}})  # q90 - q50 = 4 a day for 14 days
    for rho, spread in ((0.0, 4 * np.sqrt(14)), (1.0, 4 * 14)):
        got = horizon_demand(fc, correlation=rho)["q90"].iloc[0] - 140
        assert got == pytest.approx(spread)
    middle = horizon_demand(fc)["q90"].iloc[0] - 140
    assert 4 * np.sqrt(14) < middle < 4 * 14
