"""Policy backtest: replay held-out orders against three stock placements.

Plans compared on the same orders and the same total stock per SKU:
- ``none``: stock stays where ``stock.csv`` has it (no pre-positioning);
- ``naive``: each SKU's stock split across warehouses by last month's sales;
- ``ours``: ``stock.csv`` plus the optimiser's moves from a forecast made at the cutoff.

Each order line ships from the nearest warehouse (to the buyer's true district) that still has
the SKU, in time order. Outbound time model: hours = HANDLING_H + km / SPEED_KMH (pick-pack at
the warehouse, then line-haul and sorting at an effective speed), applied per shipped unit.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from models.demand import DemandConfig, DemandModel
from ordersight.allocation import CostModel, horizon_demand, recommend
from ordersight.gazetteer import haversine_km, load_gazetteer
from ordersight.reference import read_csv

__all__ = ["OutboundModel", "apply_moves", "naive_plan", "order_lines", "policy_backtest", "replay"]


@dataclass(frozen=True)
class OutboundModel:
    handling_h: float = 1.5
    speed_kmh: float = 80.0

    def hours(self, km: np.ndarray) -> np.ndarray:
        return self.handling_h + km / self.speed_kmh


def order_lines(orders_path: Path, truth_path: Path) -> pd.DataFrame:
    """One row per order line: created_at (naive local time), adcode (true district), sku, qty."""
    truth = pd.read_csv(truth_path, dtype={"order_id": str, "adcode": str})
    rows = []
    with Path(orders_path).open(encoding="utf-8") as fh:
        for line in fh:
            order = json.loads(line)
            for item in order["lines"]:
                rows.append((order["order_id"], order["created_at"], item["sku"], item["qty"]))
    lines = pd.DataFrame(rows, columns=["order_id", "created_at", "sku", "qty"])
    stamps = pd.to_datetime(lines["created_at"], utc=True, format="mixed")
    lines["created_at"] = stamps.dt.tz_convert("Asia/Shanghai").dt.tz_localize(None)
    out = lines.merge(truth[["order_id", "adcode"]], on="order_id", how="inner")
    out["adcode"] = out["adcode"].str.slice(0, 6)
    return out.sort_values(["created_at", "order_id"], ignore_index=True)


def _distances(lines: pd.DataFrame, warehouses: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """District × warehouse km for the districts in ``lines`` (row order of ``codes``)."""
    gaz = load_gazetteer()
    codes = np.array(sorted(lines["adcode"].unique()))
    dist = np.array(
        [
            [haversine_km(gaz[c].lon, gaz[c].lat, w.lon, w.lat) for w in warehouses.itertuples()]
            for c in codes
        ]
    )
    return codes, dist


def replay(
    lines: pd.DataFrame,
    stock: dict[tuple[str, str], float],
    warehouses: pd.DataFrame,
    outbound: OutboundModel | None = None,
) -> dict[str, float]:
    """Ship every line from the nearest warehouse holding the SKU; unfilled units are counted.

    ``local_share`` = ordered units shipped from the warehouse nearest the buyer's district
    (an unfilled unit is not a local fulfilment); distances and hours are per shipped unit.
    """
    outbound = outbound or OutboundModel()
    wh = warehouses.sort_values("warehouse_id", ignore_index=True)
    wh_ids = wh["warehouse_id"].tolist()
    codes, dist = _distances(lines, wh)
    row_of = {c: i for i, c in enumerate(codes)}
    order = np.argsort(dist, axis=1, kind="stable")
    left = dict(stock)
    shipped_km, local, ordered, shipped = [], 0.0, 0.0, 0.0
    for adcode, sku, qty in zip(lines["adcode"], lines["sku"], lines["qty"], strict=True):
        r = row_of[adcode]
        need = float(qty)
        ordered += need
        for w in order[r]:
            have = left.get((wh_ids[w], sku), 0.0)
            take = min(have, need)
            if take <= 0:
                continue
            left[(wh_ids[w], sku)] = have - take
            shipped_km.append(np.full(int(np.ceil(take)), dist[r, w]))
            shipped += take
            local += take if w == order[r][0] else 0.0
            need -= take
            if need <= 0:
                break
    km = np.concatenate(shipped_km) if shipped_km else np.zeros(1)
    return {
        "local_share": local / max(ordered, 1e-9),
        "mean_km": float(km.mean()),
        "mean_outbound_h": float(outbound.hours(km).mean()),
        "fill_rate": shipped / max(ordered, 1e-9),
        "units_ordered": ordered,
    }


def _available(stock: pd.DataFrame, scale: float) -> dict[tuple[str, str], float]:
    units = np.floor((stock["on_hand"] - stock["reserved"]).clip(lower=0) * scale)
    return dict(zip(zip(stock["warehouse_id"], stock["sku"], strict=True), units, strict=True))


def naive_plan(stock: pd.DataFrame, history: pd.DataFrame) -> dict:
    """Each SKU's total available stock split by its warehouses' sales over the last 28 days."""
    recent = history[history["date"] > history["date"].max() - pd.Timedelta(days=28)]
    sales = recent.groupby(["sku", "warehouse_id"])["qty"].sum()
    total = _available(stock, 1.0)
    per_sku: dict[str, float] = {}
    for (_, sku), units in total.items():
        per_sku[sku] = per_sku.get(sku, 0.0) + units
    plan: dict[tuple[str, str], float] = {}
    for sku, units in per_sku.items():
        if sku not in sales.index.get_level_values(0):
            plan.update({k: v for k, v in total.items() if k[1] == sku})
            continue
        exact = sales.loc[sku] / sales.loc[sku].sum() * units
        whole = np.floor(exact)
        extra = (exact - whole).sort_values(ascending=False, kind="stable").index
        whole[extra[: int(units - whole.sum())]] += 1  # largest remainders: no unit is lost
        plan.update({(wh, sku): float(q) for wh, q in whole.items()})
    return plan


def transfer_cost(base: dict, plan: dict, warehouses: pd.DataFrame, costs: CostModel) -> dict:
    """Units a plan moves and their transfer cost (unit·km equivalents), each SKU's deficits
    filled from the nearest surplus warehouse, priced like the optimiser prices transfers."""
    pos = {w.warehouse_id: (w.lon, w.lat) for w in warehouses.itertuples()}
    delta = pd.Series(plan).sub(pd.Series(base), fill_value=0.0)
    units, cost = 0.0, 0.0
    for _, change in delta.groupby(level=1):
        give = {w: -v for (w, _), v in change.items() if v < 0}
        for (dst, _), want in change[change > 0].items():
            for src in sorted(give, key=lambda w: haversine_km(*pos[w], *pos[dst])):
                take = min(want, give[src])
                km = haversine_km(*pos[src], *pos[dst])
                units += take
                cost += take * (costs.transfer_per_km * km + costs.transfer_fixed)
                give[src] -= take
                want -= take
                if want <= 0:
                    break
    return {"units_moved": units, "transfer_cost": cost}


def apply_moves(placement: dict, moves: pd.DataFrame) -> dict:
    """Stock placement after the recommended transfers."""
    out = dict(placement)
    for sku, src, dst, qty in zip(
        moves["sku"], moves["from_warehouse"], moves["to_warehouse"], moves["qty"], strict=True
    ):
        moved = min(float(qty), out.get((src, sku), 0.0))
        out[(src, sku)] = out.get((src, sku), 0.0) - moved
        out[(dst, sku)] = out.get((dst, sku), 0.0) + moved
    return out


def thinned_target(forecast: pd.DataFrame, scale: float, service_quantile: str) -> pd.DataFrame:
    """Per SKU × warehouse horizon demand at the service level, for orders that are a ``scale``
    sample of demand: thinning adds Poisson noise, so the spread is sqrt(mean + forecast var)."""
    sums = horizon_demand(forecast, "q90")
    mean = scale * sums["q50"]
    spread = np.sqrt(mean + (scale * (sums["q90"] - sums["q50"]) / 1.2816) ** 2)
    z = 0.0 if service_quantile == "q50" else 1.2816
    return sums.assign(date=forecast["date"].min(), q50=mean, q90=mean + z * spread, q10=0.0)


def policy_backtest(
    data_dir: Path,
    horizon: int = 14,
    config: DemandConfig | None = None,
    service_quantile: str = "q90",
    skus: list[str] | None = None,
    costs: CostModel | None = None,
) -> dict[str, Any]:
    """Hold out the last ``horizon`` days: forecast and plan at the cutoff, replay the orders.

    Stock is scaled by (ordered units ÷ history units) in the window so that the order sample
    and the stock keep the world's ratio; the scale is the same for every plan. ``skus``
    restricts everything to those SKUs (small, fast checks).
    """
    data_dir = Path(data_dir)
    history = read_csv(data_dir / "history.csv", "history")
    stock = read_csv(data_dir / "stock.csv", "stock")
    warehouses = read_csv(data_dir / "warehouses.csv", "warehouses")
    lines = order_lines(data_dir / "orders.jsonl", data_dir / "truth.csv")
    if skus is not None:
        keep = set(skus)
        history = history[history["sku"].isin(keep)]
        stock = stock[stock["sku"].isin(keep)]
        lines = lines[lines["sku"].isin(keep)]
    cutoff = history["date"].max() - pd.Timedelta(days=horizon)
    past, future = history[history["date"] <= cutoff], history[history["date"] > cutoff]
    day = lines["created_at"].dt.normalize()
    held = lines[(day > cutoff) & (day <= cutoff + pd.Timedelta(days=horizon))]
    scale = float(held["qty"].sum()) / max(float(future["qty"].sum()), 1.0)
    model = DemandModel(DemandConfig(horizon=horizon) if config is None else config).fit(past)
    planned = future.drop(columns=["qty", "traffic"], errors="ignore")
    forecast = model.predict(horizon, future_exog=planned)
    before = lines[(day <= cutoff) & (day > cutoff - pd.Timedelta(days=90))]
    regions = before.groupby(["sku", "adcode"], as_index=False)["qty"].sum()
    regions = regions.rename(columns={"qty": "weight"})
    scaled = stock.assign(
        on_hand=np.floor((stock["on_hand"] - stock["reserved"]).clip(lower=0) * scale),
        reserved=0,
        in_transit=0,
    )
    plan_demand = thinned_target(forecast, scale, service_quantile)
    moves = recommend(
        plan_demand, scaled, warehouses, history=past, demand_regions=regions, costs=costs
    )
    base = _available(scaled, 1.0)
    plans = {"none": base, "naive": naive_plan(scaled, past), "ours": apply_moves(base, moves)}
    costs = costs or CostModel()
    results = {name: replay(held, plan, warehouses) for name, plan in plans.items()}
    for name, plan in plans.items():
        result = results[name]
        result.update(transfer_cost(base, plan, warehouses, costs))
        shipping = result["mean_km"] * result["fill_rate"] * result["units_ordered"]
        result["total_cost"] = costs.ship_per_km * shipping + result["transfer_cost"]
    ours = results["ours"]
    return {
        "cutoff": str(cutoff.date()),
        "horizon": horizon,
        "order_lines": int(len(held)),
        "stock_scale": scale,
        "moves": int(len(moves)),
        "plans": results,
        "beats": {
            b: {
                m: bool(ours[m] > results[b][m])
                if m == "local_share"
                else bool(ours[m] < results[b][m])
                for m in ("local_share", "mean_km", "mean_outbound_h", "total_cost")
            }
            for b in ("none", "naive")
        },
        "outbound_model": "hours = 1.5 h pick-pack + km / 80 km/h",
        "cost_model": "total = shipped unit·km + transfers (0.25 per unit·km + 40 per unit)",
    }
