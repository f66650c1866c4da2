"""Daily demand per SKU × warehouse region: the process both history.csv and the orders follow.

λ(s, w, t) = base(s) · share(s, w) · weekly · trend · life cycle · festivals · promotions · hot.
Festival dates come from ``chinese_calendar`` (Spring Festival moves every year); traffic is
the same curve shifted ``TRAFFIC_LEAD`` days earlier, so page views foreshadow sales.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import chinese_calendar
import numpy as np
import pandas as pd

TRAFFIC_LEAD = 4  # days by which traffic leads demand
VISITS_PER_UNIT = 18.0
MARKDOWN_SHARE = 0.15  # SKUs on a standing markdown
CATEGORY_BASE = {  # mean daily units per SKU nationwide
    "infant_formula": 14.0, "mother_baby": 9.0, "appliances": 3.0, "beauty": 8.0,
    "food": 12.0, "3c": 3.5,
}  # fmt: skip
WEEKEND = {"infant_formula": 1.0, "mother_baby": 1.05, "appliances": 1.15, "beauty": 1.2,
           "food": 1.15, "3c": 1.2}  # fmt: skip
GIFT_CATEGORIES = {"food", "beauty", "3c"}


@dataclass
class Demand:
    """Demand intensities and realised quantities on the (sku, warehouse, day) grid."""

    dates: pd.DatetimeIndex
    lam: np.ndarray  # float (S, W, T)
    qty: np.ndarray  # int (S, W, T)
    traffic: np.ndarray  # int (S, W, T)
    price: np.ndarray  # float (S, T) selling price
    promo: np.ndarray  # bool (S, T)
    festival: np.ndarray  # float (T,) multiplier used for discount depth
    hot: list[str]


def festival_curve(dates: pd.DatetimeIndex) -> tuple[np.ndarray, np.ndarray]:
    """(online shopping multiplier, gift-season multiplier) per day."""
    mult = np.ones(len(dates))
    gift = np.ones(len(dates))
    for i, day in enumerate(dates.date):
        m, d = day.month, day.day
        if m == 6 and 1 <= d <= 18:
            mult[i] = 1.3 + (1.7 if d >= 16 else 0.0) + (1.0 if d == 18 else 0.0)
        elif m == 10 and d >= 20 or m == 11 and d <= 11:
            mult[i] = 1.25 + (0.5 if m == 11 else 0.0) + (3.0 if (m, d) == (11, 11) else 0.0)
        elif m == 12 and 10 <= d <= 12:
            mult[i] = 1.4 + (0.8 if d == 12 else 0.0)
        name = chinese_calendar.get_holiday_detail(day)[1]
        if name == "Spring Festival":
            mult[i] *= 0.35  # couriers stop
        elif name == "National Day":
            mult[i] *= 0.85
    # gift season: the three weeks before Spring Festival and before Mid-autumn
    for i, day in enumerate(dates.date):
        for ahead in range(1, 22):
            name = chinese_calendar.get_holiday_detail(day + timedelta(days=ahead))[1]
            if name in {"Spring Festival", "Mid-autumn Festival"}:
                gift[i] = 1.6 if name == "Spring Festival" else 1.3
                break
    return mult, gift


def simulate_demand(
    catalog: pd.DataFrame,
    wh_share: np.ndarray,
    start: date,
    days: int,
    rng: np.random.Generator,
    n_hot: int = 6,
) -> Demand:
    """Simulate the whole grid at once with numpy (S × W × T arrays)."""
    n_sku, n_wh = len(catalog), len(wh_share)
    dates = pd.date_range(start, periods=days, freq="D")
    t = np.arange(days) / 365.0
    cats = catalog["category"].to_numpy()
    base = np.array([CATEGORY_BASE[c] for c in cats]) * rng.lognormal(0, 0.8, n_sku)
    intermittent = rng.random(n_sku) < 0.15
    base[intermittent] = rng.uniform(0.05, 0.6, intermittent.sum())
    share = wh_share[None, :] * rng.lognormal(0, 0.3, (n_sku, n_wh))
    share /= share.sum(axis=1, keepdims=True)

    weekday = dates.dayofweek.to_numpy()
    weekly = np.ones((n_sku, days))
    for c, lift in WEEKEND.items():
        weekly[np.ix_(cats == c, weekday >= 5)] = lift
    trend = np.exp(rng.normal(0.05, 0.2, n_sku)[:, None] * t[None, :])
    life = np.ones((n_sku, days))
    launch = rng.random(n_sku) < 0.12
    for s in np.flatnonzero(launch):
        day0 = rng.integers(days // 5, days * 3 // 4)
        life[s] = 1 / (1 + np.exp(-(np.arange(days) - day0 - 20) / 8))
    retire = ~launch & (rng.random(n_sku) < 0.08)
    for s in np.flatnonzero(retire):
        day0 = rng.integers(days // 3, days)
        life[s] = 1 / (1 + np.exp((np.arange(days) - day0) / 15))

    mult, gift = festival_curve(dates)
    season = np.where(np.isin(cats, list(GIFT_CATEGORIES))[:, None], gift[None, :], 1.0)
    promo = np.zeros((n_sku, days), dtype=bool)
    for s in range(n_sku):
        for _ in range(rng.poisson(days / 90)):
            day0 = rng.integers(0, days)
            promo[s, day0 : day0 + rng.integers(3, 8)] = True
    depth = np.where(promo, rng.uniform(0.08, 0.22, (n_sku, 1)), 0.0)
    depth = np.maximum(depth, np.clip((mult[None, :] - 1) * 0.06, 0, 0.2))
    # a standing markdown (清仓, 折扣款) on some SKUs: sold far under list, where the price
    # floor allows (orders.price_line never sells under it)
    markdown = np.where(rng.random(n_sku) < MARKDOWN_SHARE, rng.uniform(0.2, 0.55, n_sku), 0.0)
    depth = np.maximum(depth, markdown[:, None])
    price = np.round(catalog["list_price"].to_numpy()[:, None] * (1 - depth), 2)
    promo_lift = np.where(promo, rng.uniform(1.5, 2.5, (n_sku, 1)), 1.0)

    hot_idx = rng.choice(np.flatnonzero(~intermittent), size=min(n_hot, n_sku), replace=False)
    hot = np.ones((n_sku, n_wh, days))
    for s in hot_idx:
        day0 = rng.integers(days // 2, max(days // 2 + 1, days - 30))
        surge = 1 + rng.uniform(2.0, 5.0) / (1 + np.exp(-(np.arange(days) - day0) / 4))
        focus = rng.choice(n_wh, size=rng.integers(1, 4), replace=False)  # viral in a few regions
        hot[s, focus, :] = surge

    per_sku = base[:, None] * weekly * trend * life * season * mult[None, :] * promo_lift
    lam = per_sku[:, None, :] * share[:, :, None] * hot
    gamma = rng.gamma(4.0, 0.25, lam.shape)  # negative-binomial noise
    qty = rng.poisson(lam * gamma)
    ahead = np.concatenate(
        [lam[:, :, TRAFFIC_LEAD:], np.repeat(lam[:, :, -1:], TRAFFIC_LEAD, 2)], 2
    )
    noise = rng.lognormal(0, 0.15, lam.shape)
    traffic = np.round(ahead * VISITS_PER_UNIT * noise + rng.poisson(3, lam.shape)).astype(np.int64)
    skus = catalog["sku"].to_numpy()
    return Demand(dates, lam, qty, traffic, price, promo, mult, [str(skus[s]) for s in hot_idx])


def history_frame(demand: Demand, skus: np.ndarray, warehouses: np.ndarray) -> pd.DataFrame:
    """Long history.csv frame; only rows with demand are kept (missing dates = zero demand)."""
    s_idx, w_idx, t_idx = np.nonzero(demand.qty)
    frame = pd.DataFrame(
        {
            "date": demand.dates.strftime("%Y-%m-%d").to_numpy()[t_idx],
            "sku": skus[s_idx],
            "warehouse_id": warehouses[w_idx],
            "qty": demand.qty[s_idx, w_idx, t_idx],
            "price": demand.price[s_idx, t_idx],
            "promo": demand.promo[s_idx, t_idx].astype(int),
            "traffic": demand.traffic[s_idx, w_idx, t_idx],
        }
    )
    return frame.sort_values(["date", "sku", "warehouse_id"], kind="stable").reset_index(drop=True)
