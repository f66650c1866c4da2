"""The order feature frame: one row per order, the same code in training and serving.

Every model feature is catalog-relative (qty ÷ available, unit ÷ list …) so a model trained on the
demo world carries over to a user's own catalog. The batch is flattened once into line arrays;
per-order aggregates are numpy ``reduceat`` over contiguous line runs, so no pandas work happens
per order. Lines whose SKU is not in the catalog get NaN in catalog-relative values; order
aggregates skip them (``n_unknown_sku`` says they were there). Stock and per-order-limit features
count a line as the order's units of its SKU, so lines split from one SKU are checked together.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import NamedTuple

import numpy as np
import pandas as pd

from features.calendar import promo_season
from features.duplicates import Matches, RecentOrders
from features.order_reference import ReferenceIndex, closest_sku, reference_index, sku_key
from features.stock_ledger import Lines, StockLedger
from ordersight.baby_age import AGE_KEYS, BIRTH_KEYS, declared_months
from ordersight.gazetteer import coords
from ordersight.reference import ReferenceData
from ordersight.schema import KNOWN_CHANNELS, Order, OrderLine

__all__ = ["FEATURES", "order_feature_columns", "order_feature_frame"]

RATIO_CAP = 1000.0  # qty ÷ available when nothing is available
STAGE_AGE_MONTHS: dict[int, tuple[float, float]] = {
    1: (0, 6),
    2: (6, 12),
    3: (12, 36),
    4: (36, 999),
}
# attribute keys, the adapters' first, then other systems' names for the same thing
FLASH_KEYS = ("flash_sale", "is_flash_sale", "seckill", "is_seckill", "秒杀")
FLASH_STOCK_KEYS = ("flash_sale_stock", "seckill_stock", "秒杀库存")  # units promised to sell
# paid by the platform, not the buyer: part of the discount
SUBSIDY_KEYS = ("platform_subsidy", "platform_discount", "平台补贴", "平台优惠")
SHIPPING_KEYS = ("shipping_fee", "postage", "freight", "运费", "邮费")  # postage paid on top
# the attribute columns and the keys each is read from, in order of preference
_ATTRIBUTE_KEYS = {
    "flash": FLASH_KEYS,
    "flash_stock": FLASH_STOCK_KEYS,
    "shipping": SHIPPING_KEYS,
    "subsidy": SUBSIDY_KEYS,
}
_AGE_OR_BIRTH_KEYS = frozenset((*AGE_KEYS, *BIRTH_KEYS))
# every attribute key a feature reads: most orders carry none of them (only a status or such),
# so one set test per order skips the per-key lookups
_READ_KEYS = _AGE_OR_BIRTH_KEYS.union(*_ATTRIBUTE_KEYS.values())
LIST_TOLERANCE = 0.01  # an order list price within 1 % of the norm matches it (as the labels say)
# A paid amount less than one yuan away from what the lines and discounts make is rounding, not a
# mismatch: stores drop the jiao and fen at the till (抹零) and marketplaces round each line's
# share of a coupon to the fen. (The demo world's clean orders once paid exactly, and a model
# trained on them held real orders over a few fen.)
PAID_TOLERANCE = 1.0
# Coupon-stacking policy: the share of goods value discounts may take, ordinary days / festivals.
STACKING_CAP, STACKING_CAP_FESTIVAL = 0.20, 0.30
_FLOAT_MAX = np.finfo(float).max

FEATURES: dict[str, str] = {
    # format
    "n_lines": "number of order lines",
    "n_unknown_sku": "lines whose SKU is not in the catalog",
    "unknown_line": "index of the order's first line whose SKU is not in the catalog",
    "sku_fix": "the catalog SKU that line's most likely means (a slip of one; None if none)",
    "unknown_channel": "1 when the channel has no shipped adapter",
    "unknown_warehouse": "1 when the order names a warehouse that does not exist",
    "paid_missing": "1 when paid_amount is absent",
    # stock (at the sourcing warehouse)
    "available_min": "min over lines of on_hand - reserved",
    "qty_over_available_max": f"max over lines of qty / available (capped at {RATIO_CAP:g})",
    "qty_over_on_hand_max": f"max over lines of qty / on_hand (capped at {RATIO_CAP:g})",
    "lines_short_on_hand": "lines whose qty exceeds on_hand at their sourcing warehouse",
    "lines_short_available": "lines whose qty exceeds on_hand - reserved there",
    "flash_short": "lines whose flash sale promised more units than are available",
    "reserved_share": "max over lines of reserved / on_hand (NaN when nothing on hand)",
    "velocity_over_available": "max over lines of recent daily sales / max(available, 1)",
    "in_transit_cover": "min over lines of (available + in_transit) / qty",
    "is_flash_sale": "1 when the order's attributes mark a flash sale",
    "flash_stock_over_available": "max over lines of the flash sale's promised units / available",
    "sourcing_warehouse": "binding line's warehouse: the order's, else the nearest holding the SKU",
    "alt_warehouse": "nearest other warehouse that can ship all lines (None if none)",
    "split_plan": "{sku: warehouse} when no one warehouse can ship all but each line has one",
    "any_warehouse_can_ship": "1 when some warehouse has stock for every line",
    # price
    "unit_over_list_min": "min over lines of unit_price / catalog list_price",
    "unit_over_list_max": "max over lines of unit_price / catalog list_price",
    "unit_over_cost_min": "min over lines of unit_price / cost",
    "unit_over_floor_min": "min over lines of unit_price / price_floor (NaN without floors)",
    "lines_below_floor": "lines priced below their SKU's price floor (NaN when no line has one)",
    "lines_below_cost": "lines priced below their SKU's cost",
    "unit_over_recent_min": "min over lines of unit_price / the SKU's recent history price",
    "list_mismatch_max": "max over lines of |order list_price / (catalog list_price x the "
    "channel's usual ratio for the SKU, features.channel_prices) - 1|; 0 within 1 %",
    "total_gap_ratio": "|paid - shipping - (sum qty*unit - discounts)| / sum qty*unit; 0 for "
    f"a gap under {PAID_TOLERANCE:g} yuan (rounding)",
    "paid_over_expected_log10": "log10(paid / (sum qty*unit - discounts)); +-2 for fen/yuan "
    "slips; 0 for a gap under the rounding tolerance",
    "discount_depth": "1 - paid / sum qty*catalog list",
    "discount_share": "discounts (merchant discount_amount, unless it is the markdown already in "
    "the unit prices, + platform_subsidy) / sum qty*unit",
    "promo_season": "1 in the 618 (Jun 1-18), 双11 (Oct 20-Nov 11) and 双12 (Dec 10-12) windows",
    "discount_over_cap": "discount_share / the stacking cap of the day (20 %, 30 % in festivals)",
    "unit_ratio_log10_max": "max over lines of |log10(unit / catalog list)| (x100 slips = 2)",
    "expected_paid": "sum qty*unit - discounts + shipping: what paid_amount should be",
    "price_line": "index of the line furthest from its catalog list price (suggestions)",
    "price_line_unit": "that line's unit price",
    "price_line_list": "that line's catalog list price",
    "price_line_cost": "that line's catalog cost",
    "price_line_floor": "that line's catalog price floor",
    # compliance
    "formula_stage_max": "highest infant-formula stage on the order (NaN if none)",
    "baby_age_months": "declared baby age in months (NaN if none)",
    "stage_age_mismatch": "1 when a formula stage does not fit the declared baby age",
    "stage_line": "index of the order's first line whose formula stage does not fit the age",
    "stage_fix_sku": "the catalog's same formula at the stage for the declared age (None if none)",
    "qty_over_limit_max": "max over lines of qty / max_qty_per_order (NaN where no limit)",
    "limit_line": "index of the line furthest over its SKU's per-order limit",
    "limit_fix_qty": "that line's qty less the units over the limit (an int; None if none)",
    "province_adcode": "province adcode of the parsed address (None if not parsed)",
    "city_adcode": "city adcode of the parsed address (None if not parsed)",
    "categories": "catalog categories of the order's known SKUs, '|'-joined, for has_any rules",
    # duplicate
    "dup_same_channel": "earlier orders in the window, same fingerprint, same channel",
    "dup_cross_channel": "earlier orders in the window, same fingerprint, other channels",
    "duplicate_of": "order_id of an earlier match, one on another channel first (None if none)",
}
OBJECT_COLUMNS = [
    "sourcing_warehouse",
    "alt_warehouse",
    "split_plan",
    "province_adcode",
    "city_adcode",
    "categories",
    "sku_fix",
    "stage_fix_sku",
    "limit_fix_qty",
    "duplicate_of",
]
NUMERIC_COLUMNS = [c for c in FEATURES if c not in OBJECT_COLUMNS]  # all float64 in the frame
STOCK_NUMERIC = [  # NaN when there is no warehouse to ship from
    "available_min",
    "qty_over_available_max",
    "qty_over_on_hand_max",
    "lines_short_on_hand",
    "lines_short_available",
    "flash_short",
    "reserved_share",
    "velocity_over_available",
    "in_transit_cover",
    "flash_stock_over_available",
    "any_warehouse_can_ship",
]


def _haversine(
    lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray
) -> np.ndarray:
    p1, p2 = np.radians(lat1), np.radians(lat2)
    h = (
        np.sin((p2 - p1) / 2) ** 2
        + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * np.arcsin(np.sqrt(np.minimum(np.maximum(h, 0), 1)))


def _attr_float(attrs: dict, keys: tuple[str, ...]) -> float:
    for key in keys:
        value = attrs.get(key)
        if value is not None and value != "":
            try:
                return float(value)
            except (TypeError, ValueError):
                return np.nan
    return np.nan


def _declared_age(order: Order) -> float:
    """The baby's age in months on the order's day, however the order declares it (NaN if not)."""
    months = declared_months(order.attributes, order.created_at.date())
    return np.nan if months is None else months


def _attribute_columns(orders: Sequence[Order]) -> dict[str, np.ndarray]:
    """The values features read from ``attributes``, one float column each (NaN where absent):
    ``flash`` (a flash sale mark), ``flash_stock``, ``shipping``, ``subsidy``, ``age`` (months).
    An order is read only for the columns whose keys it names (most name none)."""
    n = len(orders)
    columns = {name: [np.nan] * n for name in (*_ATTRIBUTE_KEYS, "age")}
    for i, order in enumerate(orders):
        attrs = order.attributes
        if not attrs or _READ_KEYS.isdisjoint(attrs):  # no new set for the orders that name none
            continue
        named = attrs.keys() & _READ_KEYS
        for name, keys in _ATTRIBUTE_KEYS.items():
            if not named.isdisjoint(keys):
                columns[name][i] = _attr_float(attrs, keys)
        if not named.isdisjoint(_AGE_OR_BIRTH_KEYS):
            columns["age"][i] = _declared_age(order)
    return {name: np.array(values, dtype=float) for name, values in columns.items()}


def _count(mask: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Lines per order where ``mask`` holds (NaN comparisons are False: no evidence, no count)."""
    return np.add.reduceat(mask.astype(np.int64), starts)


def _nan_to(values: np.ndarray, fill: float) -> np.ndarray:
    """NaN replaced by ``fill``: ``np.nan_to_num`` for arrays that hold no infinities, without
    its per-call overhead (the order path calls these on batches of one)."""
    return np.where(np.isnan(values), fill, values)


def _finite(values: np.ndarray) -> np.ndarray:
    """``np.nan_to_num`` (NaN → 0, ±inf → ±float max) for values from outside, without its
    Python-level overhead (~20 µs a call on the order path)."""
    return _nan_to(np.minimum(np.maximum(values, -_FLOAT_MAX), _FLOAT_MAX), 0.0)


def _ratio(num: np.ndarray, den: np.ndarray, cap: float | None = None) -> np.ndarray:
    """num / den with NaN where den is NaN; den ≤ 0 gives ``cap`` (or NaN without one).

    Called under :func:`order_feature_columns`' one ``np.errstate`` (NaN is the expected answer).
    """
    out = num / np.where(den > 0, den, np.nan)
    if cap is not None:
        out = np.where((den <= 0) & ~np.isnan(num), cap, np.minimum(out, cap))
    return out


def order_feature_frame(
    orders: Sequence[Order],
    ref: ReferenceData,
    recent: RecentOrders | None = None,
    adcodes: Sequence[str | None] | None = None,
) -> pd.DataFrame:
    """Features for a batch of orders (one row each, index = position); see :data:`FEATURES`.

    :func:`order_feature_columns` as one float64 block plus one object block.
    """
    columns = order_feature_columns(orders, ref, recent, adcodes)
    n = len(orders)
    numeric = np.empty((n, len(NUMERIC_COLUMNS)))
    for j, name in enumerate(NUMERIC_COLUMNS):
        numeric[:, j] = columns[name]
    objects = np.empty((n, len(OBJECT_COLUMNS)), dtype=object)
    for j, name in enumerate(OBJECT_COLUMNS):
        objects[:, j] = columns[name]
    return pd.concat(
        [
            pd.DataFrame(numeric, columns=NUMERIC_COLUMNS),
            pd.DataFrame(objects, columns=OBJECT_COLUMNS),
        ],
        axis=1,
    )


# once per batch, not per ratio (hot path); an extreme price (1e9 over 1e-9) overflows to inf,
# which the ratios cap, so none of these is worth a warning in the service's log
@np.errstate(divide="ignore", invalid="ignore", over="ignore")
def order_feature_columns(
    orders: Sequence[Order],
    ref: ReferenceData,
    recent: RecentOrders | None = None,
    adcodes: Sequence[str | None] | None = None,
    texts: Sequence[str] | None = None,
) -> dict[str, np.ndarray]:
    """The features as plain arrays: float64, object ones for :data:`OBJECT_COLUMNS`.

    The scorer's hot path: building a DataFrame per call costs more than the features do.

    ``adcodes`` are the parsed address adcodes (the scorer has them from the address parser);
    they choose the nearest warehouse and sharpen duplicate fingerprints. ``texts`` are the
    address texts the parser read (joined again when not given). ``recent`` is the
    duplicate index: each order is checked against it and then added, in the order given; without
    it the duplicate columns are NaN.
    """
    idx = reference_index(ref)
    n = len(orders)
    counts = np.fromiter((len(o.lines) for o in orders), dtype=np.int64, count=n)
    if n == 0:
        return _typed({}, 0)
    starts = np.cumsum(counts) - counts  # first line of each order (every order has a line)
    line_order = np.repeat(np.arange(n), counts)
    lines = [ln for o in orders for ln in o.lines]
    m = len(lines)
    sku_i = np.fromiter((idx.sku_pos.get(ln.sku, -1) for ln in lines), dtype=np.int64, count=m)
    for j in np.flatnonzero(sku_i < 0).tolist():  # rare: another spelling of a catalog SKU
        sku_i[j] = idx.sku_by_key.get(sku_key(lines[j].sku), -1)
    known = sku_i >= 0
    safe = np.where(known, sku_i, 0)
    qty = np.fromiter((ln.qty for ln in lines), dtype=float, count=m)
    unit = np.fromiter((ln.unit_price for ln in lines), dtype=float, count=m)
    olist = np.fromiter(
        (np.nan if ln.list_price is None else ln.list_price for ln in lines), dtype=float, count=m
    )

    def cat(arr: np.ndarray) -> np.ndarray:
        return np.where(known, arr[safe], np.nan)

    out: dict[str, object] = {
        "n_lines": counts,
        "n_unknown_sku": np.add.reduceat((~known).astype(np.int64), starts),
        "unknown_channel": np.fromiter(
            (o.channel not in KNOWN_CHANNELS for o in orders), dtype=np.int64, count=n
        ),
        "paid_missing": np.fromiter((o.paid_amount is None for o in orders), np.int64, n),
    }
    given = np.fromiter(
        (idx.wh_pos.get(o.warehouse_id, -2) if o.warehouse_id else -1 for o in orders),
        dtype=np.int64,
        count=n,
    )
    for j in np.flatnonzero(given == -2).tolist():  # rare: the warehouse in another spelling
        given[j] = idx.wh_by_key.get(sku_key(orders[j].warehouse_id or ""), -2)
    out["unknown_warehouse"] = (given == -2).astype(np.int64)
    units = _units_of_sku(qty, sku_i, line_order) if m > n else qty  # split lines of one SKU
    attrs = _attribute_columns(orders)
    matches = recent.observe(orders, adcodes, texts) if recent is not None else None
    taking = _taking(idx, orders, recent, matches, qty, line_order)
    stock = _stock_features(
        idx, attrs, adcodes, given, sku_i, known, units, starts, line_order, taking
    )
    out.update(stock)
    # gifts are given away: their price says nothing about the catalog (NaN like unknown SKUs)
    gift = _gift_lines(lines, unit, starts, line_order)

    def price_of(arr: np.ndarray) -> np.ndarray:
        return np.where(gift, np.nan, cat(arr))

    priced = {"unit": unit, "qty": qty, "olist": np.where(gift, np.nan, olist)}
    priced.update(list=price_of(idx.list_price), cost=price_of(idx.cost))
    priced.update(floor=price_of(idx.floor), recent=price_of(idx.recent_price))
    priced["list_value"] = np.where(gift, 0.0, cat(idx.list_price))
    retried = matches.retried if matches is not None else None
    priced["list_norm"] = _channel_list_norms(
        orders, idx, recent, retried, sku_i, priced, line_order
    )
    out.update(_price_features(orders, attrs, priced, starts, line_order))

    stage = cat(idx.stage)
    age = attrs["age"]
    lo = np.full(m, np.nan)
    hi = np.full(m, np.nan)
    for s, (a, b) in STAGE_AGE_MONTHS.items():
        lo[stage == s], hi[stage == s] = a, b
    line_age = age[line_order]
    bad = ~np.isnan(lo) & ~np.isnan(line_age) & ((line_age < lo) | (line_age > hi))
    limit = cat(idx.max_qty)
    over_limit = _ratio(units, limit)
    out["formula_stage_max"] = np.fmax.reduceat(stage, starts)
    out["baby_age_months"] = age
    out["stage_age_mismatch"] = np.maximum.reduceat(bad.astype(np.int64), starts)
    out["qty_over_limit_max"] = np.fmax.reduceat(over_limit, starts)
    out.update(_stage_fixes(idx, bad, age, sku_i, starts, line_order))
    out.update(_sku_fixes(idx, lines, known, starts, line_order))
    out.update(_limit_fixes(over_limit, units, limit, qty, starts, line_order))
    parsed_codes = adcodes if adcodes is not None else [None] * n
    out["province_adcode"] = [(a[:2] + "0000") if a else None for a in parsed_codes]
    out["city_adcode"] = [(a[:4] + "00") if a else None for a in parsed_codes]
    out["categories"] = _categories(idx.category, sku_i, starts, counts)
    if matches is None:
        out["dup_same_channel"] = np.full(n, np.nan)
        out["dup_cross_channel"] = np.full(n, np.nan)
        out["duplicate_of"] = [None] * n
    else:
        out["dup_same_channel"], out["dup_cross_channel"] = matches[:2]
        out["duplicate_of"] = matches.earlier
    return _typed(out, n)


def _channel_list_norms(
    orders: Sequence[Order],
    idx: ReferenceIndex,
    recent: RecentOrders | None,
    retried: np.ndarray | None,
    sku_i: np.ndarray,
    priced: dict[str, np.ndarray],
    line_order: np.ndarray,
) -> np.ndarray:
    """Per line, the list price its channel usually shows for the SKU, as a multiple of the
    catalog's (1 without the order stream, or until the channel has shown its own price).
    ``retried`` marks the orders the stream has seen before: they are not counted again."""
    ratio = priced["olist"] / priced["list"]
    norms = np.ones(len(ratio))
    shown = np.flatnonzero(np.isfinite(ratio))  # lines with a list price of a known SKU
    if recent is None or not len(shown):
        return norms
    owners = line_order[shown]
    channels = [orders[o].channel for o in owners.tolist()]
    keys = list(zip(channels, idx.skus[sku_i[shown]].tolist(), strict=True))
    seen = retried[owners].tolist() if retried is not None else None
    norms[shown] = recent.list_prices.observe(keys, ratio[shown].tolist(), seen)
    return norms


def _list_mismatch(olist: np.ndarray, lst: np.ndarray, line: dict[str, np.ndarray]) -> np.ndarray:
    """|order list ÷ the channel's usual list − 1|, 0 within ``LIST_TOLERANCE``: the demo world's
    clean lines match the catalog exactly, so the trees split just above 0, and float residue
    or a cent of rounding on a real order must not land on the wrong side."""
    gap = np.abs(_ratio(olist, lst * line["list_norm"]) - 1)
    return np.where(gap <= LIST_TOLERANCE, 0.0, gap)


def _units_of_sku(qty: np.ndarray, sku_i: np.ndarray, line_order: np.ndarray) -> np.ndarray:
    """Per line, the order's units of that line's SKU: split lines (a paid line and a gift of the
    same SKU, or a quantity split to slip under a per-order limit) need stock and count against
    the limit together. A line of an unknown SKU keeps its own quantity."""
    own = -1 - np.arange(len(qty))  # a key of its own for each unknown line
    key = np.where(sku_i >= 0, line_order * (int(sku_i.max()) + 1) + sku_i, own)
    _, inverse = np.unique(key, return_inverse=True)
    return np.bincount(inverse, weights=qty)[inverse]


def _gift_lines(
    lines: Sequence[OrderLine], unit: np.ndarray, starts: np.ndarray, line_order: np.ndarray
) -> np.ndarray:
    """Lines marked as gifts, and zero-price lines of orders that pay for another line (an
    unmarked 赠品); a zero price on every line of an order is a pricing error, not a gift."""
    marked = np.fromiter((ln.gift for ln in lines), dtype=bool, count=len(lines))
    pays = np.logical_or.reduceat(unit > 0, starts)[line_order]
    return marked | ((unit == 0) & pays)


def _categories(
    category: np.ndarray, sku_i: np.ndarray, starts: np.ndarray, counts: np.ndarray
) -> list[str]:
    """Per order, the sorted distinct categories of its catalog SKUs joined by '|'."""
    per_line = [(category[i] or "") if i >= 0 else "" for i in sku_i.tolist()]
    return [
        per_line[s] if k == 1 else "|".join(sorted({c for c in per_line[s : s + k] if c}))
        for s, k in zip(starts.tolist(), counts.tolist(), strict=True)
    ]


def _stage_for_age(months: float) -> int:
    """The formula stage for a baby of ``months``: the oldest whose range starts by then."""
    return max((s for s, (lo, _) in STAGE_AGE_MONTHS.items() if lo <= months), default=1)


def _first_lines(
    mask: np.ndarray, starts: np.ndarray, line_order: np.ndarray
) -> tuple[np.ndarray, dict[int, int]]:
    """Per order, its first line where ``mask`` holds: that line's index in the order (NaN where
    none: the feature a suggestion's field names) and order → the line's batch position (only
    the few flagged orders, for their corrections)."""
    first: dict[int, int] = {}
    for j in np.flatnonzero(mask).tolist():
        first.setdefault(int(line_order[j]), j)
    line_at = np.full(len(starts), np.nan)
    for i, j in first.items():
        line_at[i] = j - int(starts[i])
    return line_at, first


def _stage_fixes(
    idx: ReferenceIndex,
    bad: np.ndarray,
    age: np.ndarray,
    sku_i: np.ndarray,
    starts: np.ndarray,
    line_order: np.ndarray,
) -> dict[str, object]:
    """Per order, its first line whose formula stage does not fit the baby's age (``stage_line``)
    and the catalog's same formula at the stage that does (``stage_fix_sku``): the correction
    the compliance rule suggests."""
    line_at, first = _first_lines(bad, starts, line_order)
    fix: list[str | None] = [None] * len(starts)
    for i, j in first.items():
        sibling = idx.stage_sibling.get((int(sku_i[j]), _stage_for_age(float(age[i]))), -1)
        if sibling >= 0:
            fix[i] = str(idx.skus[sibling])
    return {"stage_line": line_at, "stage_fix_sku": fix}


def _sku_fixes(
    idx: ReferenceIndex,
    lines: Sequence[OrderLine],
    known: np.ndarray,
    starts: np.ndarray,
    line_order: np.ndarray,
) -> dict[str, object]:
    """Per order, its first line whose SKU the catalog does not hold (``unknown_line``) and the
    catalog SKU it most likely means (``sku_fix``, :func:`closest_sku`; None for a new
    product)."""
    line_at, first = _first_lines(~known, starts, line_order)
    fix: list[str | None] = [None] * len(starts)
    for i, j in first.items():
        fix[i] = closest_sku(lines[j].sku, idx)
    return {"unknown_line": line_at, "sku_fix": fix}


def _limit_fixes(
    over_limit: np.ndarray,
    units: np.ndarray,
    limit: np.ndarray,
    qty: np.ndarray,
    starts: np.ndarray,
    line_order: np.ndarray,
) -> dict[str, object]:
    """Per order, the line furthest over its SKU's per-order limit (``limit_line``) and that
    line's quantity less the units over the limit (``limit_fix_qty``, an int; 0 where the
    order's other lines of the SKU reach the limit already)."""
    n = len(starts)
    line_at = np.full(n, np.nan)
    fix: list[int | None] = [None] * n
    worst: dict[int, float] = {}
    for j in np.flatnonzero(over_limit > 1).tolist():
        i, ratio = int(line_order[j]), float(over_limit[j])
        if ratio > worst.get(i, 1.0):
            worst[i] = ratio
            line_at[i] = j - int(starts[i])
            fix[i] = max(int(qty[j] - (units[j] - limit[j])), 0)
    return {"limit_line": line_at, "limit_fix_qty": fix}


def _typed(columns: dict[str, object], n: int) -> dict[str, np.ndarray]:
    """Numeric features as float64 arrays, the rest as object arrays, numeric ones first."""
    typed = {name: np.asarray(columns.get(name, ()), dtype=float) for name in NUMERIC_COLUMNS}
    for name in OBJECT_COLUMNS:
        typed[name] = np.empty(n, dtype=object)
        typed[name][:] = columns.get(name, ())
    return typed


class _Taking(NamedTuple):
    """The lines that read the stock ledger, those of orders created after the stock snapshot
    (``live``); all but a retry's also take from it (see :mod:`features.stock_ledger`)."""

    ledger: StockLedger
    live: np.ndarray  # per line
    retried: np.ndarray  # per line
    qty: np.ndarray  # per line, its own units (split lines of a SKU each take theirs)
    order_ids: list[str]  # per order


def _taking(
    idx: ReferenceIndex,
    orders: Sequence[Order],
    recent: RecentOrders | None,
    matches: Matches | None,
    qty: np.ndarray,
    line_order: np.ndarray,
) -> _Taking | None:
    if recent is None or matches is None:
        return None
    live = (matches.created > idx.stock_as_of)[line_order]
    if not live.any():
        return None
    ids = [o.order_id for o in orders]
    return _Taking(recent.stock_taken, live, matches.retried[line_order], qty, ids)


def _stock_features(
    idx: ReferenceIndex,
    attrs: dict[str, np.ndarray],
    adcodes: Sequence[str | None] | None,
    given: np.ndarray,
    sku_i: np.ndarray,
    known: np.ndarray,
    qty: np.ndarray,
    starts: np.ndarray,
    line_order: np.ndarray,
    taking: _Taking | None = None,
) -> dict[str, object]:
    """Per-line sourcing warehouse, the stock ratios there, and where else the order could ship.

    A line ships from the order's warehouse, else the nearest warehouse holding the SKU (what
    an OMS routing rule does); an order naming an unknown warehouse gets NaN stock ratios.
    With ``taking``, the live lines are routed and read in arrival order: the snapshot's
    reserved units include what orders since it took, in earlier batches and earlier in this one,
    and a warehouse whose units were all taken holds none for routing.
    """
    n, n_wh = len(given), len(idx.wh_ids)
    flash = (attrs["flash"] > 0).astype(np.int64)
    if not n_wh:
        empty = {k: np.full(n, np.nan) for k in STOCK_NUMERIC} | {"is_flash_sale": flash}
        return empty | {
            k: [None] * n for k in ("sourcing_warehouse", "alt_warehouse", "split_plan")
        }
    safe = np.where(known, sku_i, 0)
    on_all = np.where(known[:, None], idx.on_hand[safe], np.nan)
    where = np.array([coords(a) if a else (np.nan, np.nan) for a in (adcodes or [None] * n)])
    where = where.reshape(n, 2)
    dist = _haversine(where[:, :1], where[:, 1:], idx.wh_lon, idx.wh_lat)
    # Without a location, prefer the warehouse holding most of the SKU (or of the order).
    line_rank = np.where(np.isnan(dist[line_order]), -_nan_to(on_all, 0.0), dist[line_order])
    g = given[line_order]
    ok = known & (g != -2)
    with _turn(idx, taking, safe, line_order):
        taken_all = _taken_before_batch(idx, taking, safe, line_order) if taking else 0.0
        res_all = idx.reserved[safe] + taken_all
        avail_all = np.where(known[:, None], on_all - res_all, np.inf)
        left = on_all - taken_all  # units on hand that no order since the snapshot took
        held = left > 0
        nearest_held = np.argmin(np.where(held, line_rank, np.inf), axis=1)
        nearest = np.where(held.any(axis=1), nearest_held, np.argmin(line_rank, axis=1))
        w = np.where(g >= 0, g, nearest)
        if taking is not None:
            w, earlier = _taken_in_batch(
                idx, taking, ok, line_order, safe, g, line_rank, left, avail_all, qty, w
            )
            res_all = res_all + earlier
            avail_all = np.where(known[:, None], on_all - res_all, np.inf)
    can = avail_all >= qty[:, None]  # (lines, warehouses); unknown SKUs never block
    can_all = np.logical_and.reduceat(can, starts, axis=0)
    cover = np.add.reduceat(np.maximum(np.where(np.isinf(avail_all), 0, avail_all), 0), starts)
    rank = np.where(np.isnan(dist), -cover, dist)
    on = np.where(ok, idx.on_hand[safe, w], np.nan)
    res = np.where(ok, res_all[np.arange(len(w)), w], np.nan)
    transit = np.where(ok, idx.in_transit[safe, w], np.nan)
    vel = np.where(ok, idx.velocity[safe, w], np.nan)
    avail = on - res
    need = _ratio(qty, avail, RATIO_CAP)
    binding = np.lexsort((-_nan_to(need, -1.0), line_order))[starts]
    sourcing = w[binding]
    others = can_all & (np.arange(n_wh)[None, :] != sourcing[:, None])
    alt_i = np.argmin(np.where(others, rank, np.inf), axis=1)
    any_can = np.asarray(can_all.any(axis=1))  # an array (the stubs allow a scalar)
    flash_stock = attrs["flash_stock"][line_order]
    return {
        "available_min": np.fmin.reduceat(avail, starts),
        "qty_over_available_max": np.fmax.reduceat(need, starts),
        "qty_over_on_hand_max": np.fmax.reduceat(_ratio(qty, on, RATIO_CAP), starts),
        "lines_short_on_hand": _count(qty > on, starts),
        "lines_short_available": _count(qty > avail, starts),
        "flash_short": _count(flash_stock > avail, starts),
        "reserved_share": np.fmax.reduceat(_ratio(res, on), starts),
        "velocity_over_available": np.fmax.reduceat(vel / np.maximum(avail, 1), starts),
        "in_transit_cover": np.fmin.reduceat(_ratio(np.maximum(avail, 0) + transit, qty), starts),
        "is_flash_sale": flash,
        "flash_stock_over_available": np.fmax.reduceat(
            _ratio(flash_stock, avail, RATIO_CAP), starts
        ),
        "sourcing_warehouse": _or_none(idx.wh_ids[sourcing], ok[binding]),
        "alt_warehouse": _or_none(idx.wh_ids[alt_i], others.any(axis=1)),
        "split_plan": _split_plans(idx, can, rank, any_can, known, sku_i, starts, line_order, n),
        "any_warehouse_can_ship": any_can.astype(np.int64),
    }


def _or_none(values: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """``values`` as objects, None where ``keep`` is false (numpy's stubs type
    ``np.where(keep, values, None)`` as the one-argument form, a tuple, which compiled code
    checks)."""
    out = values.astype(object)
    out[~keep] = None
    return out


def _turn(
    idx: ReferenceIndex, taking: _Taking | None, safe: np.ndarray, line_order: np.ndarray
) -> AbstractContextManager[None]:
    """The batch's turn at the stock ledger, for the SKUs of its live lines, where the ledger
    is shared with other processes (else nothing to do: no work on the order path)."""
    if taking is None or taking.ledger.shared is None:
        return nullcontext()
    again = np.unique(line_order[taking.live & taking.retried]).tolist()
    retried = [taking.order_ids[o] for o in again]
    return taking.ledger.turn(idx, safe[taking.live], retried)


def _taken_before_batch(
    idx: ReferenceIndex, taking: _Taking, safe: np.ndarray, line_order: np.ndarray
) -> np.ndarray:
    """Per line and warehouse, the units orders took before this batch, as the line reads them
    (none for a line of an order created before the snapshot)."""
    seen = taking.live & taking.retried
    if seen.any():
        ids = [taking.order_ids[o] for o in line_order.tolist()]
        rows = taking.ledger.view(idx, list(zip(ids, safe.tolist(), strict=True)), seen.tolist())
    else:
        rows = taking.ledger.matrix(idx)[safe]
    return rows if taking.live.all() else np.where(taking.live[:, None], rows, 0.0)


def _taken_in_batch(
    idx: ReferenceIndex,
    taking: _Taking,
    ok: np.ndarray,
    line_order: np.ndarray,
    safe: np.ndarray,
    given: np.ndarray,
    line_rank: np.ndarray,
    left: np.ndarray,
    available: np.ndarray,
    units: np.ndarray,
    w: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """The live lines routed and taken in arrival order (:meth:`StockLedger.take`): ``w`` with
    their warehouses, and per line and warehouse what earlier orders of the batch took."""
    w, earlier = w.copy(), np.zeros(left.shape)
    takes = taking.live & ok
    if takes.all():  # usually: no copies
        sel: np.ndarray | slice = slice(None)
    else:
        sel = np.flatnonzero(takes)
        if not len(sel):  # the live lines are of unknown SKUs or warehouses
            return w, earlier
    lines = Lines(
        order=line_order[sel],
        order_ids=taking.order_ids,
        sku=safe[sel],
        given=given[sel],
        rank=line_rank[sel],
        start=w[sel],
        left=left[sel],
        available=available[sel],
        retried=taking.retried[sel],
        qty=taking.qty[sel],
        units=units[sel],
    )
    w[sel], earlier[sel] = taking.ledger.take(idx, lines)
    return w, earlier


def _split_plans(
    idx: ReferenceIndex,
    can: np.ndarray,
    rank: np.ndarray,
    any_can: np.ndarray,
    known: np.ndarray,
    sku_i: np.ndarray,
    starts: np.ndarray,
    line_order: np.ndarray,
    n: int,
) -> list[dict[str, str] | None]:
    """Per-line nearest warehouse with stock, kept only where no single warehouse can ship all."""
    plans: list[dict[str, str] | None] = [None] * n
    best = np.argmin(np.where(can, rank[line_order], np.inf), axis=1)
    line_ok = can.any(axis=1) & known
    splittable = ~any_can & np.logical_and.reduceat(line_ok | ~known, starts)
    for o in np.flatnonzero(splittable):
        sel = np.flatnonzero((line_order == o) & known)
        plans[o] = {str(idx.skus[sku_i[i]]): str(idx.wh_ids[best[i]]) for i in sel}
    return plans


def _coupon_off_units(
    merchant: np.ndarray, markdown: np.ndarray, paid_gap: np.ndarray
) -> np.ndarray:
    """The merchant discount taken off the lines' total, 0 where it is already in the unit prices.

    Some systems report as ``discount_amount`` the markdown from the list prices to the unit
    prices (Σ qty·(list − unit), as CONTRACT §2's example does) and paid is then the lines' total
    less any subsidy; ``paid_gap`` is paid − (lines − subsidy). Only a paid amount that fits that
    reading and not the other one is read so.
    """
    inside = (
        (merchant > 0)
        & (np.abs(merchant - markdown) < PAID_TOLERANCE)
        & (np.abs(paid_gap) < PAID_TOLERANCE)
        & ~(np.abs(paid_gap + merchant) < PAID_TOLERANCE)
    )
    return np.where(inside, 0.0, merchant)


def _price_features(
    orders: Sequence[Order],
    attrs: dict[str, np.ndarray],
    line: dict[str, np.ndarray],
    starts: np.ndarray,
    order_of: np.ndarray,
) -> dict[str, object]:
    """Catalog-relative price ratios, payment consistency and the line a suggestion would fix."""
    n = len(orders)
    unit, qty, lst, cost = line["unit"], line["qty"], line["list"], line["cost"]
    rel = _ratio(unit, lst)
    log_rel = np.minimum(np.abs(np.log10(rel)), 6)
    shipping = _finite(attrs["shipping"])
    paid_total = np.fromiter(
        (np.nan if o.paid_amount is None else o.paid_amount for o in orders), float, n
    )
    paid = paid_total - shipping  # what the customer paid for the goods, postage aside
    subsidy = attrs["subsidy"]
    merchant = np.fromiter((o.discount_amount or 0.0 for o in orders), float, n)
    gross = np.add.reduceat(qty * unit, starts)
    markdown = np.add.reduceat(qty * _nan_to(line["olist"] - unit, 0.0), starts)
    merchant = _coupon_off_units(merchant, markdown, paid - gross + _finite(subsidy))
    disc = merchant + _finite(subsidy)
    promo = np.fromiter((promo_season(o.created_at) for o in orders), np.int64, n)
    expected = gross - disc
    gap = np.abs(paid - expected)
    rounding = gap < PAID_TOLERANCE  # NaN (no paid amount) is no rounding: it stays NaN
    paid_log = np.log10(np.where((paid > 0) & (expected > 0), paid / expected, np.nan))
    paid_log = np.where(rounding, 0.0, paid_log)
    worst = np.where(np.isnan(log_rel), -1.0, log_rel)
    # Line with the largest deviation per order: sort by (order, -deviation), take each first.
    first = np.lexsort((-worst, order_of))[starts]
    return {
        "unit_over_list_min": np.fmin.reduceat(rel, starts),
        "unit_over_list_max": np.fmax.reduceat(rel, starts),
        "unit_over_cost_min": np.fmin.reduceat(_ratio(unit, cost), starts),
        "unit_over_floor_min": np.fmin.reduceat(_ratio(unit, line["floor"]), starts),
        "lines_below_floor": np.where(
            np.logical_or.reduceat(~np.isnan(line["floor"]), starts),
            _count(unit < line["floor"], starts),
            np.nan,  # no line with a floor: no evidence, as without a floor column
        ),
        "lines_below_cost": _count(unit < cost, starts),
        "unit_over_recent_min": np.fmin.reduceat(_ratio(unit, line["recent"]), starts),
        "list_mismatch_max": np.fmax.reduceat(_list_mismatch(line["olist"], lst, line), starts),
        "total_gap_ratio": np.where(rounding, 0.0, _ratio(gap, gross)),
        "paid_over_expected_log10": np.minimum(np.maximum(paid_log, -6), 6),
        "discount_depth": 1 - _ratio(paid, np.add.reduceat(qty * line["list_value"], starts)),
        "discount_share": _ratio(disc, gross),
        "promo_season": promo,
        "discount_over_cap": _ratio(disc, gross)
        / np.where(promo, STACKING_CAP_FESTIVAL, STACKING_CAP),
        "unit_ratio_log10_max": np.fmax.reduceat(log_rel, starts),
        "expected_paid": expected + shipping,
        "price_line": first - starts,
        "price_line_unit": unit[first],
        "price_line_list": lst[first],
        "price_line_cost": cost[first],
        "price_line_floor": line["floor"][first],
    }
