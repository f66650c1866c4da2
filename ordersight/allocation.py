"""Hot-SKU detection and stock pre-positioning (pure: frames in, frames out, no I/O).

The optimiser is one linear programme (HiGHS) over every SKU at once, because warehouse capacity
couples them: move stock from where it sits to the warehouses nearest the expected buyers so the
service-quantile demand of each region ships from close by, at the least total cost of customer
shipping (unit·km) plus inter-warehouse transfers (cheaper per km: bulk line-haul, plus handling).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import linprog

from ordersight.gazetteer import haversine_km, load_gazetteer

__all__ = [
    "REC_COLUMNS",
    "CostModel",
    "horizon_demand",
    "hot_skus",
    "recommend",
    "region_distances",
]

LADDER = np.arange(1, 20) / 20  # demand quantiles 5 %, 10 %, … 95 % that cut demand into tiers
REC_COLUMNS = ["rec_id", "sku", "from_warehouse", "to_warehouse", "qty", "reason", "expected_gain"]


@dataclass(frozen=True)
class CostModel:
    """Costs in km-equivalents per unit; ``local_km`` is the mean last-mile inside a catchment."""

    ship_per_km: float = 1.0
    transfer_per_km: float = 0.25
    transfer_fixed: float = 40.0
    unmet_penalty: float = 1e5
    local_km: float = 30.0


# -- hot SKUs -------------------------------------------------------------------------------------
def hot_skus(
    forecast: pd.DataFrame,
    history: pd.DataFrame | None = None,
    uplift_min: float = 1.3,
    surge_min: float = 0.3,
    top_share: float = 0.05,
) -> pd.DataFrame:
    """Per SKU: forecast vs baseline uplift, share of volume, traffic surge, ``is_hot``, ``reason``.

    Baseline is the last 28 days of history (all warehouses); without history, the first forecast
    week stands in, so a festival later in the horizon still shows as uplift.
    """
    daily = forecast.groupby(["sku", "date"])["q50"].sum().groupby("sku")
    fc_daily = daily.mean()
    share = fc_daily / max(float(fc_daily.sum()), 1e-9)
    if history is not None and len(history):
        recent = history[history["date"] > history["date"].max() - pd.Timedelta(days=28)]
        base = recent.groupby("sku")["qty"].sum() / 28
    else:
        base = daily.apply(lambda s: s.iloc[:7].mean())
    base = base.reindex(fc_daily.index).fillna(0.0)
    uplift = fc_daily / base.clip(lower=0.1)
    surge = pd.Series(0.0, index=fc_daily.index)
    if history is not None and "traffic" in history and history["traffic"].notna().any():
        end = history["date"].max()
        last7 = history[history["date"] > end - pd.Timedelta(days=7)]
        prior = history[
            (history["date"] <= end - pd.Timedelta(days=7))
            & (history["date"] > end - pd.Timedelta(days=35))
        ]
        ratio = last7.groupby("sku")["traffic"].mean() / prior.groupby("sku")["traffic"].mean()
        surge = (ratio - 1).reindex(fc_daily.index).fillna(0.0)
    top = share.rank(ascending=False, method="first") <= max(
        1, int(np.ceil(len(share) * top_share))
    )
    fair = share >= 0.2 / max(len(share), 1)  # ignore uplift of SKUs that barely sell
    by_uplift = (uplift >= uplift_min) & fair
    by_surge = (surge >= surge_min) & fair
    by_share = top & (uplift >= 1.1)
    out = pd.DataFrame(
        {
            "sku": fc_daily.index,
            "forecast_daily": fc_daily.to_numpy(),
            "baseline_daily": base.to_numpy(),
            "uplift": uplift.to_numpy(),
            "share": share.to_numpy(),
            "traffic_surge": surge.to_numpy(),
            "is_hot": (by_uplift | by_surge | by_share).to_numpy(),
        }
    )
    reasons = []
    for row, u, s, t in zip(out.itertuples(), by_uplift, by_surge, by_share, strict=True):
        parts = [f"forecast {row.uplift:.1f}x its 28-day baseline"] if u else []
        parts += [f"traffic +{row.traffic_surge:.0%} last week"] if s else []
        parts += [f"top seller ({row.share:.1%} of volume, rising)"] if t else []
        reasons.append("; ".join(parts))
    out["reason"] = reasons
    return out.sort_values("sku", ignore_index=True)


# -- geography ------------------------------------------------------------------------------------
def region_distances(
    warehouses: pd.DataFrame, demand_regions: pd.DataFrame | None, local_km: float = 30.0
) -> tuple[np.ndarray, pd.DataFrame | None]:
    """Warehouse × catchment shipping distance (km) and each district's catchment.

    A catchment is the set of districts nearest to one warehouse. With ``demand_regions``
    (adcode, weight[, lon, lat]: where past orders came from) the distance is the demand-weighted
    mean over the catchment's districts; without, warehouse-to-warehouse plus ``local_km``.
    """
    lon, lat = warehouses["lon"].to_numpy(float), warehouses["lat"].to_numpy(float)
    wh = np.array(
        [
            [haversine_km(a, b, c, d) for c, d in zip(lon, lat, strict=True)]
            for a, b in zip(lon, lat, strict=True)
        ]
    )
    if demand_regions is None or demand_regions.empty:
        return wh + local_km, None
    regions = demand_regions.copy()
    if "lon" not in regions:
        gaz = load_gazetteer()
        regions["lon"] = [gaz[str(a)].lon for a in regions["adcode"]]
        regions["lat"] = [gaz[str(a)].lat for a in regions["adcode"]]
    keyed = regions[["adcode", "lon", "lat"]].drop_duplicates("adcode").reset_index(drop=True)
    to_dist = np.array(
        [
            [haversine_km(a, b, c, d) for c, d in zip(keyed["lon"], keyed["lat"], strict=True)]
            for a, b in zip(lon, lat, strict=True)
        ]
    )  # warehouse × district
    keyed["catchment"] = to_dist.argmin(axis=0)
    weight = regions.groupby("adcode")["weight"].sum().reindex(keyed["adcode"]).to_numpy()
    dist = np.empty_like(wh)
    for c in range(len(lon)):
        mask = keyed["catchment"].to_numpy() == c
        w = weight[mask] if mask.any() and weight[mask].sum() > 0 else None
        dist[:, c] = (
            np.average(to_dist[:, mask], axis=1, weights=w) if mask.any() else wh[:, c] + local_km
        )
    return dist, keyed[["adcode", "catchment"]]


def _regional_demand(
    demand: pd.DataFrame,
    wh_ids: list[str],
    demand_regions: pd.DataFrame | None,
    catchments: pd.DataFrame | None,
) -> pd.DataFrame:
    """SKU × catchment demand: the forecast's own warehouse split, or redistributed by the
    districts past orders came from (per SKU where ``demand_regions`` has a sku column)."""
    table = demand.pivot_table(index="sku", columns="warehouse_id", values="qty", aggfunc="sum")
    table = table.reindex(columns=wh_ids).fillna(0.0)
    if catchments is None or demand_regions is None:
        return table
    regions = demand_regions.merge(catchments, on="adcode")
    overall = regions.groupby("catchment")["weight"].sum().reindex(range(len(wh_ids))).fillna(0)
    shares = pd.DataFrame(
        np.tile(overall.to_numpy() / overall.sum(), (len(table), 1)), index=table.index
    )
    if "sku" in regions:
        per = regions.pivot_table(index="sku", columns="catchment", values="weight", aggfunc="sum")
        per = per.reindex(columns=range(len(wh_ids))).fillna(0.0)
        per = per[per.sum(axis=1) > 0]
        per = per.div(per.sum(axis=1), axis=0).reindex(table.index).dropna()
        shares.loc[per.index] = per.to_numpy()
    totals = table.sum(axis=1).to_numpy()[:, None]
    return pd.DataFrame(shares.to_numpy() * totals, index=table.index, columns=wh_ids)


def horizon_demand(forecast: pd.DataFrame, service_quantile: str = "q90") -> pd.DataFrame:
    """Per SKU × warehouse: median and service-level demand over the whole horizon.

    Summing daily q90s would ask for the q90 of every day at once (far too much stock); days are
    taken as independent instead: Σq50 + sqrt(Σ(q_s − q50)²), the usual safety-stock rule.
    """
    frame = forecast.assign(_gap=(forecast[service_quantile] - forecast["q50"]) ** 2)
    out = frame.groupby(["sku", "warehouse_id"], as_index=False)[["q50", "_gap"]].sum()
    sign = -1.0 if service_quantile in {"q10", "q25"} else 1.0
    out[service_quantile] = (out["q50"] + sign * np.sqrt(out.pop("_gap"))).clip(lower=0)
    return out


def demand_ladder(
    median: np.ndarray, upper: np.ndarray, service: float
) -> tuple[np.ndarray, np.ndarray]:
    """Demand cut at quantiles up to ``service`` (normal around the median, spread from q90):
    tier sizes (S, C, K) and, per tier, the chance its units are needed (1 − lower quantile).

    Penalising unmet units by that chance makes the LP a newsvendor allocation: when stock is
    short, each unit goes where it is most likely to be bought, not to an arbitrary region.
    """
    probs = LADDER[service + 1e-9 >= LADDER]
    sd = np.clip(upper - median, 0, None) / NormalDist().inv_cdf(0.9)
    z = np.array([NormalDist().inv_cdf(p) for p in probs])
    cuts = np.clip(median[:, :, None] + sd[:, :, None] * z, 0, None)
    sizes = np.diff(np.maximum.accumulate(cuts, axis=2), axis=2, prepend=0.0)
    return sizes, 1.0 - np.concatenate([[0.0], probs[:-1]])


# -- optimiser ------------------------------------------------------------------------------------
def _solve(
    tiers: np.ndarray,
    movable: np.ndarray,
    serve: np.ndarray,
    room: np.ndarray,
    ship: np.ndarray,
    transfer: np.ndarray,
    penalties: np.ndarray,
) -> np.ndarray:
    """LP over x[s,i,j] (moves), y[s,j,c] (planned shipments), u[s,c,k] (unmet demand of tier k,
    at most the tier's size, dearer for the first tiers); returns x.

    Tiers come from :func:`demand_ladder`, so a shortage is shared by the chance each unit sells.
    Stock beyond the service level stays put: a unit needed < 10 % of the time rarely repays
    its transfer.
    """
    n_s, n_w, n_k = tiers.shape
    nx, nu = n_s * n_w * n_w, n_s * n_w * n_k
    s, i, j = np.meshgrid(np.arange(n_s), np.arange(n_w), np.arange(n_w), indexing="ij")
    s, i, j = s.ravel(), i.ravel(), j.ravel()
    xi = np.arange(nx)  # x[s,i,j] and y[s,j=i,c=j] share the (s, first, second) layout
    yi = nx + xi
    ui = 2 * nx + np.arange(nu)
    cost = np.concatenate([transfer[i, j], ship[i, j], np.tile(penalties, n_s * n_w)])
    upper = np.concatenate(
        [np.where(i == j, 0.0, movable[s, i]), np.full(nx, np.inf), tiers.ravel()]
    )
    one = np.ones(nx)
    serve_row, cap_row = n_s * n_w, 2 * n_s * n_w
    blocks = [  # (row, column, coefficient) triplets of the ≤ constraints
        (s * n_w + i, xi, one),  # out of (s,i): sum_j x[s,i,j] <= movable[s,i]
        (serve_row + s * n_w + i, yi, one),  # serve (s,j): sum_c y[s,j,c] - in + out <= serve
        (serve_row + s * n_w + j, xi, -one),
        (serve_row + s * n_w + i, xi, one),
        (cap_row + j, xi, one),  # capacity j: in - out <= room[j]
        (cap_row + i, xi, -one),
    ]
    rows, cols, vals = (np.concatenate(part) for part in zip(*blocks, strict=True))
    a_ub = sparse.csr_matrix((vals, (rows, cols)), shape=(cap_row + n_w, 2 * nx + nu))
    b_ub = np.concatenate([movable.ravel(), serve.ravel(), room])
    eq_rows = np.concatenate([s * n_w + j, np.arange(nu) // n_k])  # demand (s,c)
    a_eq = sparse.csr_matrix(
        (np.ones(nx + nu), (eq_rows, np.concatenate([yi, ui]))), shape=(n_s * n_w, 2 * nx + nu)
    )
    res = linprog(
        cost,
        A_ub=a_ub,
        b_ub=b_ub,
        A_eq=a_eq,
        b_eq=tiers.sum(axis=2).ravel(),
        bounds=np.column_stack([np.zeros(len(cost)), upper]),
        method="highs",
    )
    if res.status != 0:
        raise RuntimeError(f"pre-positioning LP failed: {res.message}")
    return res.x[:nx].reshape(n_s, n_w, n_w)


def _round_moves(x: np.ndarray, movable: np.ndarray) -> np.ndarray:
    """Whole units that keep each source's total moved (rounded, ≤ movable): floors, then the
    largest fractional parts get the remaining units. Plain flooring drops most small moves."""
    whole = np.floor(x + 1e-6)
    frac = np.where(whole > x - 1e-6, 0.0, x - whole)
    target = np.minimum(np.round(x.sum(axis=2) + 1e-9), movable)
    left = (target - whole.sum(axis=2)).astype(int)
    for s, i in zip(*np.nonzero(left > 0), strict=True):
        best = np.argsort(-frac[s, i], kind="stable")[: left[s, i]]
        whole[s, i, best[frac[s, i, best] > 0]] += 1
    return whole


def _fit_capacity(moves: np.ndarray, load: np.ndarray, capacity: np.ndarray) -> np.ndarray:
    """Trim inbound moves where rounding left a warehouse over its capacity."""
    limit = np.maximum(capacity, load)
    for j in range(moves.shape[1]):
        inbound = moves[:, :, j]
        excess = load[j] + inbound.sum() - moves[:, j, :].sum() - limit[j]
        for flat in np.argsort(-inbound, axis=None, kind="stable"):
            if excess <= 0:
                break
            s, i = np.unravel_index(flat, inbound.shape)
            cut = min(inbound[s, i], excess)
            inbound[s, i] -= cut
            excess -= cut
    return moves


def _stock_matrix(stock: pd.DataFrame, skus: list[str], wh_ids: list[str], expr) -> np.ndarray:
    frame = stock.assign(v=expr(stock)).pivot_table(
        index="sku", columns="warehouse_id", values="v", aggfunc="sum"
    )
    return frame.reindex(index=skus, columns=wh_ids).fillna(0.0).clip(lower=0).to_numpy(float)


def recommend(
    forecast: pd.DataFrame,
    stock: pd.DataFrame,
    warehouses: pd.DataFrame,
    catalog: pd.DataFrame | None = None,
    service_quantile: str = "q90",
    history: pd.DataFrame | None = None,
    demand_regions: pd.DataFrame | None = None,
    costs: CostModel | None = None,
    min_qty: int = 1,
    split_by_regions: bool = False,
) -> pd.DataFrame:
    """CONTRACT §4 recommendation rows (+ is_hot, category, forecast_qty, km_saved_per_unit).

    Demand per SKU × catchment is the forecast's ``service_quantile`` over all its dates (see
    :func:`horizon_demand`; median demand is covered first when stock is short).
    ``demand_regions`` (adcode, weight[, sku]: where past orders came from) sets the shipping
    distance of each catchment; with ``split_by_regions`` it also re-splits each SKU's total
    demand by those weights (for histories keyed by shipping, not buyer, warehouse).
    Moves are whole units; ``expected_gain`` is the net cost saved in unit·km equivalents.
    """
    costs = costs or CostModel()
    wh = warehouses.sort_values("warehouse_id", ignore_index=True)
    wh_ids = wh["warehouse_id"].astype(str).tolist()
    ship, catchments = region_distances(wh, demand_regions, costs.local_km)
    fc = forecast[forecast["warehouse_id"].isin(wh_ids)]
    per = horizon_demand(fc, "q90")
    split_by = demand_regions if split_by_regions else None
    tables = [
        _regional_demand(per.rename(columns={col: "qty"}), wh_ids, split_by, catchments)
        for col in ("q50", "q90")
    ]
    skus = sorted(set(tables[0].index) & set(stock["sku"]))
    if not skus:
        return pd.DataFrame(columns=REC_COLUMNS)
    median, upper = (t.reindex(skus).to_numpy(float) for t in tables)
    tiers, need = demand_ladder(median, upper, float(service_quantile.lstrip("q")) / 100)
    demand = tiers.sum(axis=2)
    movable = np.floor(_stock_matrix(stock, skus, wh_ids, lambda s: s["on_hand"] - s["reserved"]))
    serve = _stock_matrix(
        stock, skus, wh_ids, lambda s: s["on_hand"] - s["reserved"] + s["in_transit"]
    )
    load = stock.assign(v=stock["on_hand"] + stock["in_transit"]).groupby("warehouse_id")["v"].sum()
    capacity = wh.set_index("warehouse_id")["capacity_units"].astype(float)
    room = (capacity - load.reindex(wh_ids).fillna(0)).clip(lower=0).reindex(wh_ids).to_numpy()
    wh_km = region_distances(wh, None, 0.0)[0]
    transfer = costs.transfer_per_km * wh_km + costs.transfer_fixed
    penalties = need * costs.unmet_penalty
    x = _solve(tiers, movable, serve, room, costs.ship_per_km * ship, transfer, penalties)
    moves = _fit_capacity(
        _round_moves(x, movable),
        load.reindex(wh_ids).fillna(0).to_numpy(),
        capacity.reindex(wh_ids).to_numpy(),
    )
    plan = _Plan(skus, wh_ids, ship, transfer, demand, movable, serve)
    return _rows(moves, plan, forecast, history, catalog, service_quantile, min_qty, costs)


@dataclass(frozen=True)
class _Plan:
    """The optimiser's inputs that explain each move (arrays indexed sku × warehouse)."""

    skus: list[str]
    wh_ids: list[str]
    ship: np.ndarray
    transfer: np.ndarray
    demand: np.ndarray
    movable: np.ndarray
    serve: np.ndarray


def _rows(
    moves: np.ndarray,
    plan: _Plan,
    forecast: pd.DataFrame,
    history: pd.DataFrame | None,
    catalog: pd.DataFrame | None,
    service_quantile: str,
    min_qty: int,
    costs: CostModel,
) -> pd.DataFrame:
    s, i, j = np.nonzero(moves >= min_qty)
    qty = moves[s, i, j].astype(int)
    ship, demand = plan.ship, plan.demand
    km_saved = ship[i, j] - ship[j, j]  # the moved units serve buyers near the destination
    gain = qty * (costs.ship_per_km * km_saved - plan.transfer[i, j])
    hot = hot_skus(forecast, history).set_index("sku")
    first = pd.Timestamp(forecast["date"].min()).strftime("%Y%m%d")
    out = pd.DataFrame(
        {
            "sku": np.array(plan.skus)[s],
            "from_warehouse": np.array(plan.wh_ids)[i],
            "to_warehouse": np.array(plan.wh_ids)[j],
            "qty": qty,
            "expected_gain": np.round(gain, 1),
            "km_saved_per_unit": np.round(km_saved, 1),
            "forecast_qty": np.round(demand[s, j], 1),
        }
    )
    out["is_hot"] = out["sku"].map(hot["is_hot"]).fillna(False).astype(bool)
    hot_reason = out["sku"].map(hot["reason"]).fillna("")
    out["rec_id"] = [
        "R"
        + hashlib.sha1(f"{first}|{r.sku}|{r.from_warehouse}|{r.to_warehouse}".encode()).hexdigest()[
            :12
        ]
        for r in out.itertuples()
    ]
    days = forecast["date"].nunique()
    out["reason"] = [
        (f"{h}. " if h else "")
        + f"{r.to_warehouse} expects {d:,.0f} units ({service_quantile}, {days} days) and holds "
        f"{have:,.0f}; {r.from_warehouse} has {m:,.0f} movable; ships {r.km_saved_per_unit:,.0f} "
        "km closer"
        for r, h, d, have, m in zip(
            out.itertuples(),
            hot_reason,
            demand[s, j],
            plan.serve[s, j],
            plan.movable[s, i],
            strict=True,
        )
    ]
    if catalog is not None and "category" in catalog:
        out["category"] = out["sku"].map(catalog.set_index("sku")["category"])
    out = out.sort_values(["expected_gain", "rec_id"], ascending=[False, True], ignore_index=True)
    extra = [c for c in out.columns if c not in REC_COLUMNS]
    return out[REC_COLUMNS + extra]
