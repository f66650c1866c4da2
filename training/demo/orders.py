"""Order drafting: who buys what, where, on which channel, at what price, with which defect.

Works on plain dicts for speed; :mod:`training.demo.world` turns drafts into unified orders and
native payloads. Each function takes the world's random generator, so a seed fixes everything.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from features.orders import PAID_TOLERANCE
from training.demo import vocab
from training.demo.labels import STAGE_MONTHS, StockBook, coupon_cap

# (channel, share at the start, share at the end): Douyin and Kuaishou grow over the period
CHANNEL_MIX = (
    ("tmall", 0.24, 0.19), ("jd", 0.18, 0.16), ("douyin", 0.11, 0.20), ("pdd", 0.12, 0.12),
    ("kuaishou", 0.05, 0.08), ("xiaohongshu", 0.04, 0.06), ("own_app", 0.10, 0.07),
    ("own_mini", 0.09, 0.07), ("offline_pos", 0.07, 0.05),
)  # fmt: skip
ADDRESS_STYLE = {"jd": "raw", "xiaohongshu": "raw", "offline_pos": "raw", "own_app": "free"}
SETS_WAREHOUSE = {"own_app": 1.0, "own_mini": 1.0, "offline_pos": 1.0, "jd": 0.4}
BABY_CHANNELS = {"own_app", "own_mini", "tmall", "jd", "offline_pos"}
FLASH_CHANNELS = {"tmall", "douyin", "pdd", "kuaishou"}
SUBSIDY_CHANNELS = {"tmall": 0.2, "jd": 0.2, "douyin": 0.3, "pdd": 0.45, "kuaishou": 0.3,
                    "xiaohongshu": 0.15}  # fmt: skip
TILL_CHANNELS = {"offline_pos"}
TILL_ROUNDING = 0.4  # store orders whose till dropped the fen or the jiao (抹零)
COUPON_ROUNDING = 0.3  # multi-line orders with a coupon whose per-line shares round off a fen
CHANNEL_PRICE = {"pdd": 0.97, "douyin": 0.98, "kuaishou": 0.98, "offline_pos": 1.02}
HOUR_WEIGHTS = [2, 1, 0.5, 0.3, 0.2, 0.3, 0.8, 1.5, 2.5, 3.5, 4, 4, 3.5, 3.5, 4, 4, 3.5, 3,
                3, 3.5, 5, 6, 6, 4]  # fmt: skip

DEFAULT_RATES: dict[str, float] = {
    "ADDR_MISSING_LEVEL": 0.006, "ADDR_NONSTANDARD_NAME": 0.005, "ADDR_TYPO": 0.005,
    "ADDR_FORMER_NAME": 0.003, "ADDR_REGION_CONFLICT": 0.004, "ADDR_AMBIGUOUS": 0.003,
    "ADDR_REDUNDANT": 0.005, "ADDR_DETAIL_MISSING": 0.005, "ADDR_BAD_PHONE": 0.005,
    "ADDR_UNPARSEABLE": 0.002,
    "STOCK_INSUFFICIENT": 0.006, "STOCK_RESERVED": 0.004, "STOCK_OVERSELL_RISK": 0.003,
    "PRICE_BELOW_FLOOR": 0.004, "PRICE_BELOW_COST": 0.002, "PRICE_UNIT_ERROR": 0.002,
    "PRICE_CATALOG_MISMATCH": 0.003, "PRICE_TOTAL_MISMATCH": 0.003,
    "PRICE_STACKED_DISCOUNT": 0.003, "COMPLIANCE_FORMULA_STAGE": 0.003,
    "COMPLIANCE_QTY_LIMIT": 0.002, "DUP_CROSS_CHANNEL": 0.005, "DUP_SAME_CHANNEL": 0.003,
}  # fmt: skip


@dataclass(frozen=True)
class DefectRates:
    """Share of all orders that get each injected defect (duplicates: extra orders)."""

    rates: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_RATES))
    flash_share: float = 0.03  # of flash-capable platform orders on promo/festival days
    tight_share: float = 0.05  # of stocked (warehouse, sku) pairs with only a few units


@dataclass
class Product:
    sku: str
    category: str
    list_price: float
    cost: float
    floor: float
    stage: int | None
    max_qty: int


def pick_channel(rng: random.Random, progress: float) -> str:
    weights = [a + (b - a) * progress for _, a, b in CHANNEL_MIX]
    return rng.choices([c for c, _, _ in CHANNEL_MIX], weights)[0]


def order_time(rng: random.Random, day: datetime) -> datetime:
    if (day.month, day.day) in {(11, 11), (6, 18)} and rng.random() < 0.3:
        hour = 0  # the midnight rush
    else:
        hour = rng.choices(range(24), HOUR_WEIGHTS)[0]
    return day + timedelta(hours=hour, minutes=rng.randrange(60), seconds=rng.randrange(60))


def pick_qty(rng: random.Random, product: Product) -> int:
    if product.category == "infant_formula":
        return rng.choices([1, 2, 3, 4, 6], [40, 30, 12, 10, 8])[0]
    if product.category == "food" and rng.random() < 0.03:
        return rng.randrange(10, product.max_qty + 1)  # office / small-shop restocking
    return rng.choices([1, 2, 3], [75, 20, 5])[0]


def new_person(
    rng: random.Random, urban: bool, towns: Sequence[str] = ()
) -> tuple[str, str | None, str | None, str]:
    """Receiver, phone, town (one of the county's ``towns``, or None) and street."""
    phone = vocab.landline(rng) if rng.random() < 0.02 else vocab.mobile(rng)
    town, street = vocab.street_detail(rng, urban, towns)
    return vocab.person_name(rng), phone, town, street


def _fen(x: float) -> float:
    return round(x, 2)


def price_line(rng: random.Random, product: Product, base_price: float, channel: str) -> float:
    """Clean unit price: the day's selling price, channel-adjusted, never below the floor."""
    price = base_price * CHANNEL_PRICE.get(channel, 1.0) * rng.uniform(0.97, 1.0)
    price = max(price, product.floor)
    if product.list_price >= 20 and rng.random() < 0.5:
        price = math.floor(price) + 0.9 if math.floor(price) + 0.9 >= product.floor else price
    return _fen(min(math.ceil(price * 10) / 10, product.list_price))


def coupons(rng: random.Random, goods: float, channel: str, day: datetime) -> tuple[float, float]:
    """(merchant discount, platform subsidy) kept within the day's coupon cap."""
    cap = coupon_cap(day.date())
    merchant = 0.0
    if goods >= 99 and rng.random() < 0.45:
        step = rng.choice([(199, 20), (299, 30), (399, 50), (99, 10)])
        merchant = float(step[1] * max(1, int(goods // step[0]))) if goods >= step[0] else 0.0
    subsidy = 0.0
    if rng.random() < SUBSIDY_CHANNELS.get(channel, 0.0):
        subsidy = _fen(goods * rng.uniform(0.02, 0.12))
    total = merchant + subsidy
    limit = goods * cap * (rng.uniform(0.9, 1.0) if rng.random() < 0.1 else rng.uniform(0.3, 1.0))
    if total > limit:  # scale back to the cap; some clean orders sit right at it
        factor = limit / total
        merchant, subsidy = math.floor(merchant * factor), math.floor(subsidy * factor * 100) / 100
    return _fen(merchant), _fen(subsidy)


def baby_age(rng: random.Random, stage: int, fits: bool) -> int:
    low, high = STAGE_MONTHS[stage]
    high = min(high, 60)
    if fits:
        return rng.randint(low, high)
    wrong = [m for m in range(0, 61) if not (low <= m <= high)]
    near = [m for m in wrong if min(abs(m - low), abs(m - high)) <= 3]
    return rng.choice(near if near and rng.random() < 0.4 else wrong)


def inject_price(rng: random.Random, code: str, draft: dict, catalog: dict[str, Product]) -> None:
    """Edit a finished draft so that it carries the price defect ``code``."""
    line = rng.choice(draft["lines"])
    product = catalog[line["sku"]]
    if code == "PRICE_BELOW_FLOOR":
        line["unit_price"] = _fen(rng.uniform(product.cost * 1.01, product.floor * 0.995))
    elif code == "PRICE_BELOW_COST":
        line["unit_price"] = _fen(rng.uniform(product.cost * 0.4, product.cost * 0.98))
    elif code == "PRICE_UNIT_ERROR":
        factor = 100.0 if rng.random() < 0.6 else 0.01
        line["unit_price"] = max(_fen(line["unit_price"] * factor), 0.01)
    elif code == "PRICE_CATALOG_MISMATCH":
        shift = rng.choice([rng.uniform(0.7, 0.95), rng.uniform(1.05, 1.4)])
        line["list_price"] = _fen(product.list_price * shift)
    settle(draft)
    if code == "PRICE_TOTAL_MISMATCH":
        goods = draft["paid"] + draft["discount"] + draft["subsidy"]
        gap = rng.choice([rng.choice([6.0, 8.0, 10.0, 12.0]), goods * rng.uniform(0.05, 0.3)])
        gap = max(gap, 2 * PAID_TOLERANCE)  # a smaller gap is rounding, not a mismatch
        sign = -1 if draft["paid"] > gap and rng.random() < 0.6 else 1
        draft["paid"] = _fen(draft["paid"] + sign * gap)
    elif code == "PRICE_STACKED_DISCOUNT":
        goods = sum(x["qty"] * x["unit_price"] for x in draft["lines"])
        cap = coupon_cap(draft["created_at"].date())
        target = goods * (cap + rng.uniform(0.03, 0.3))
        draft["discount"] = _fen(max(target - draft["subsidy"], draft["discount"] + 0.01))
        settle(draft)


def settle(draft: dict) -> None:
    """paid = Σ qty·unit − merchant discount − platform subsidy (in fen, never negative)."""
    goods = sum(x["qty"] * x["unit_price"] for x in draft["lines"])
    if draft["discount"] + draft["subsidy"] > goods:
        draft["discount"], draft["subsidy"] = 0.0, 0.0
    draft["paid"] = _fen(goods - draft["discount"] - draft["subsidy"])


def round_paid(rng: random.Random, draft: dict, channel: str) -> None:
    """Clean rounding real orders carry: a till drops the fen or the jiao (抹零), and a coupon
    shared over several lines leaves a fen or two; both stay under ``PAID_TOLERANCE``."""
    paid, n_lines = draft["paid"], len(draft["lines"])
    if channel in TILL_CHANNELS and paid >= 10 and rng.random() < TILL_ROUNDING:
        draft["paid"] = _fen(math.floor(paid) if rng.random() < 0.5 else math.floor(paid * 10) / 10)
    elif draft["discount"] > 0 and n_lines > 1 and rng.random() < COUPON_ROUNDING:
        draft["paid"] = _fen(paid + rng.choice([-1, 1]) * 0.01 * rng.randint(1, n_lines))


def fit_stock(draft: dict, book: StockBook, adcode: str) -> None:
    """Clean orders never ask for more than is available where they ship from; extra lines
    the shipping warehouse cannot serve are left out (the shop would not have listed them)."""
    kept = []
    for i, line in enumerate(draft["lines"]):
        available = book.available(
            book.sourcing(draft["warehouse_id"], line["sku"], adcode), line["sku"]
        )
        if available >= 1 or i == 0:
            line["qty"] = max(1, min(line["qty"], available))
            kept.append(line)
    draft["lines"] = kept
