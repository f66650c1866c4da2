"""Reference data as positional arrays for the order feature frame, built once per version.

Catalog values by SKU row, stock by (SKU, warehouse), recent velocity and price from history.
Built lazily and cached on the ``ReferenceData`` object itself (no module-level state).
"""

from __future__ import annotations

import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from ordersight.reference import STAGE_IN_NAME, ReferenceData

__all__ = [
    "ReferenceIndex",
    "closest_sku",
    "reference_index",
    "sku_key",
    "stage_siblings",
]

VELOCITY_DAYS = 7  # recent sales velocity = mean daily qty over the last week of history
PRICE_DAYS = 28  # recent price = qty-weighted mean history price over the last four weeks
# an unknown SKU this close (rapidfuzz ratio, separators and case ignored) to one catalog SKU,
# and clearly closer to it than to any other, is taken for a slip of it (MILK-A2-S3-9OO)
SKU_NEAR, SKU_MARGIN = 90.0, 5.0
_NOT_ALNUM = re.compile(r"[\W_]+")


@dataclass(frozen=True)
class ReferenceIndex:
    """Reference data as positional numpy arrays: SKUs by row, warehouses by column."""

    key: tuple[int, ...]
    sku_pos: dict[str, int]
    # sku_key → row, for an order line writing a catalog SKU in another case or with spaces;
    # SKUs of the catalog that differ only so are left out (the line is then unknown)
    sku_by_key: dict[str, int]
    # the catalog's SKUs without separators or case (see :func:`closest_sku`), unique ones only
    sku_compact: dict[str, int]
    list_price: np.ndarray
    cost: np.ndarray
    floor: np.ndarray
    stage: np.ndarray
    # (row, stage) → the row of the same product at that stage (see :func:`stage_siblings`)
    stage_sibling: dict[tuple[int, int], int]
    max_qty: np.ndarray
    category: np.ndarray  # catalog category per SKU (object; None where blank)
    recent_price: np.ndarray
    skus: np.ndarray
    wh_ids: np.ndarray
    wh_pos: dict[str, int]
    # sku_key of a warehouse's id or name → column, for orders from systems that write the
    # warehouse in another case or by its name (杭州仓); ambiguous spellings are left out
    wh_by_key: dict[str, int]
    wh_lon: np.ndarray
    wh_lat: np.ndarray
    on_hand: np.ndarray  # (n_sku, n_wh); a missing stock row is zero stock
    reserved: np.ndarray
    in_transit: np.ndarray
    velocity: np.ndarray  # (n_sku, n_wh) recent daily sales; NaN without history
    stock_as_of: float  # epoch seconds the stock numbers were taken (see ReferenceData)
    # closest_sku's answers: the same unmapped SKU comes back on every order of its product
    sku_fixes: dict[str, str | None] = field(default_factory=dict)


def sku_key(sku: str) -> str:
    """A SKU as channels agree on it: case and surrounding spaces ignored (" fd-0039" = FD-0039)."""
    return sku.strip().upper()


def _compact(sku: str) -> str:
    return _NOT_ALNUM.sub("", sku).upper()


def closest_sku(sku: str, idx: ReferenceIndex) -> str | None:
    """The catalog SKU an unknown one most likely means: the same but for separators and case
    (MILKA2S3900), else the one clearly closest to it (a typed slip); None where the catalog has
    nothing like it (a new product). Called for unknown lines only: a scan of the catalog."""
    if sku in idx.sku_fixes:
        return idx.sku_fixes[sku]
    key = _compact(sku)
    row = idx.sku_compact.get(key)
    if row is None and key:
        near = process.extract(
            key, list(idx.sku_compact), scorer=fuzz.ratio, limit=2, score_cutoff=SKU_NEAR
        )
        if len(near) == 1 or (near and near[0][1] - near[1][1] >= SKU_MARGIN):
            row = idx.sku_compact[near[0][0]]
    fix = idx.sku_fixes[sku] = None if row is None else str(idx.skus[row])
    return fix


def _unique_keys(skus: np.ndarray, key: Callable[[str], str]) -> dict[str, int]:
    """key(SKU) → row, for keys only one SKU of the catalog has (two SKUs that differ only in
    what ``key`` drops are left out: a line so written stays unknown)."""
    keys = [key(str(s)) for s in skus]
    seen = Counter(keys)
    return {k: row for row, k in enumerate(keys) if seen[k] == 1}


def _ref_key(ref: ReferenceData) -> tuple[int, ...]:
    history = ref.extra.get("history")
    return (id(ref.catalog), id(ref.stock), id(ref.warehouses), id(history), hash(ref.version))


def reference_index(ref: ReferenceData) -> ReferenceIndex:
    """The arrays for ``ref``, built once and kept in ``ref.extra`` until a frame is replaced.

    Callers that update reference data assign new frames (never mutate in place), which changes
    the key and rebuilds the index.
    """
    cached = ref.extra.get("_order_index")
    if isinstance(cached, ReferenceIndex) and cached.key == _ref_key(ref):
        return cached
    index = _build_index(ref)
    ref.extra["_order_index"] = index  # type: ignore[assignment]
    return index


def _build_index(ref: ReferenceData) -> ReferenceIndex:
    cat = ref.catalog.drop_duplicates("sku", keep="last").reset_index(drop=True)
    skus = cat["sku"].astype(str).to_numpy()
    sku_pos = {s: i for i, s in enumerate(skus)}
    sku_by_key, sku_compact = _unique_keys(skus, sku_key), _unique_keys(skus, _compact)
    wh = ref.warehouses.reset_index(drop=True)
    wh_ids = wh["warehouse_id"].astype(str).to_numpy()
    wh_pos = {w: i for i, w in enumerate(wh_ids)}
    names = [(sku_key(w), i) for i, w in enumerate(wh_ids)]
    names += [(sku_key(str(w)), i) for i, w in enumerate(wh["name"]) if isinstance(w, str) and w]
    spelled = Counter(key for key, _ in dict.fromkeys(names))
    wh_by_key = {key: i for key, i in names if spelled[key] == 1}
    shape = (len(skus), len(wh_ids))
    mats = {c: np.zeros(shape) for c in ("on_hand", "reserved", "in_transit")}
    st = ref.stock
    r = st["sku"].astype(str).map(sku_pos)
    c = st["warehouse_id"].astype(str).map(wh_pos)
    ok = (r.notna() & c.notna()).to_numpy()
    ri, ci = r[ok].astype(int).to_numpy(), c[ok].astype(int).to_numpy()
    for col, mat in mats.items():
        mat[ri, ci] = st.loc[ok, col].to_numpy(dtype=float)
    velocity, recent_price = _history_signals(ref.extra.get("history"), sku_pos, wh_pos, shape)

    def num(col: str) -> np.ndarray:
        return pd.to_numeric(cat[col], errors="coerce").to_numpy(dtype=float)

    return ReferenceIndex(
        key=_ref_key(ref),
        sku_pos=sku_pos,
        sku_by_key=sku_by_key,
        sku_compact=sku_compact,
        list_price=np.where(num("list_price") > 0, num("list_price"), np.nan),
        cost=np.where(num("cost") > 0, num("cost"), np.nan),
        floor=np.where(num("price_floor") > 0, num("price_floor"), np.nan),
        stage=num("stage"),
        stage_sibling=stage_siblings(cat["name"], cat["category"], num("stage")),
        max_qty=num("max_qty_per_order"),
        category=cat["category"].astype(object).where(cat["category"].notna(), None).to_numpy(),
        recent_price=recent_price,
        skus=skus,
        wh_ids=wh_ids,
        wh_pos=wh_pos,
        wh_by_key=wh_by_key,
        wh_lon=pd.to_numeric(wh["lon"]).to_numpy(dtype=float),
        wh_lat=pd.to_numeric(wh["lat"]).to_numpy(dtype=float),
        velocity=velocity,
        stock_as_of=time.time() if ref.stock_as_of is None else ref.stock_as_of,
        on_hand=mats["on_hand"],
        reserved=mats["reserved"],
        in_transit=mats["in_transit"],
    )


def stage_siblings(
    names: pd.Series, categories: pd.Series, stages: np.ndarray
) -> dict[tuple[int, int], int]:
    """(row, stage) → the row selling the same formula at that stage: the same category and the
    same name but for the stage written in it once (a2至初1段…900g and a2至初3段…900g). A name
    without its stage, or with it twice, has no siblings (the suggestion is then left out)."""
    lines: dict[tuple[str, str], dict[int, int]] = defaultdict(dict)
    for row, (name, category, stage) in enumerate(zip(names, categories, stages, strict=True)):
        if not isinstance(name, str) or np.isnan(stage):
            continue
        product, written = STAGE_IN_NAME.subn("#", " ".join(name.lower().split()))
        if written == 1:
            lines[(str(category), product)].setdefault(int(stage), row)
    return {
        (row, stage): other
        for line in lines.values()
        for row in line.values()
        for stage, other in line.items()
        if other != row
    }


def _history_signals(
    history: pd.DataFrame | None,
    sku_pos: dict[str, int],
    wh_pos: dict[str, int],
    shape: tuple[int, int],
) -> tuple[np.ndarray, np.ndarray]:
    """Recent daily velocity per (sku, warehouse) and recent mean price per SKU from history."""
    velocity = np.full(shape, np.nan)
    price = np.full(shape[0], np.nan)
    if history is None or history.empty:
        return velocity, price
    dates = pd.to_datetime(history["date"])
    last = dates.max()
    week = history[dates > last - pd.Timedelta(days=VELOCITY_DAYS)]
    r = week["sku"].astype(str).map(sku_pos)
    c = week["warehouse_id"].astype(str).map(wh_pos)
    ok = (r.notna() & c.notna()).to_numpy()
    velocity[:] = 0.0
    np.add.at(
        velocity,
        (r[ok].astype(int).to_numpy(), c[ok].astype(int).to_numpy()),
        week.loc[ok, "qty"].to_numpy(dtype=float) / VELOCITY_DAYS,
    )
    if "price" in history.columns:
        month = history[(dates > last - pd.Timedelta(days=PRICE_DAYS)) & history["price"].notna()]
        weight = month["qty"].clip(lower=1e-9)
        grouped = (month["price"] * weight).groupby(month["sku"].astype(str)).sum()
        mean = grouped / weight.groupby(month["sku"].astype(str)).sum()
        pos = mean.index.map(sku_pos)
        keep = pos.notna()
        price[pos[keep].astype(int)] = mean.to_numpy()[keep]
    return velocity, price
