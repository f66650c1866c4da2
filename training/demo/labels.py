"""The exact definitions behind the stock, price, compliance and duplicate labels.

Injection only makes these cases happen; the label of every order is then decided here, from
the final order and the reference files alone, so a label never disagrees with its definition
(README.md states the same rules in words).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from features.calendar import promo_season
from features.orders import PAID_TOLERANCE
from ordersight.schema import Order

STAGE_MONTHS = {1: (0, 6), 2: (6, 12), 3: (12, 36), 4: (36, 10_000)}
COUPON_CAP = 0.20  # (merchant discount + platform subsidy) / goods on ordinary days
COUPON_CAP_FESTIVAL = 0.30  # during 618 (Jun 1–18), 双11 (Oct 20–Nov 11), 双12 (Dec 10–12)
UNIT_ERROR_RATIO = 20.0  # unit / catalog list ≥ 20 or ≤ 1/20
DUP_WINDOW = timedelta(hours=24)


def coupon_cap(day: date) -> float:
    return COUPON_CAP_FESTIVAL if promo_season(day) else COUPON_CAP


def stage_fits(stage: int, months: int) -> bool:
    low, high = STAGE_MONTHS[stage]
    return low <= months <= high


@dataclass
class StockBook:
    """Stock snapshot plus each district's warehouses by distance."""

    on_hand: dict[tuple[str, str], int]
    reserved: dict[tuple[str, str], int]
    by_distance: dict[str, list[str]]  # district adcode → warehouse ids, nearest first

    def available(self, wh: str, sku: str) -> int:
        return self.on_hand.get((wh, sku), 0) - self.reserved.get((wh, sku), 0)

    def sourcing(self, order_wh: str | None, sku: str, adcode: str) -> str:
        """The order's warehouse, else the nearest one holding the SKU (else the nearest)."""
        if order_wh:
            return order_wh
        ranked = self.by_distance[adcode]
        return next((w for w in ranked if self.on_hand.get((w, sku), 0) > 0), ranked[0])


def stock_codes(order: Order, adcode: str, book: StockBook) -> list[str]:
    found: list[str] = []
    for i, line in enumerate(order.lines):
        wh = book.sourcing(order.warehouse_id, line.sku, adcode)
        on_hand, available = book.on_hand.get((wh, line.sku), 0), book.available(wh, line.sku)
        if line.qty > on_hand:
            found.append("STOCK_INSUFFICIENT")
        elif line.qty > available:
            found.append("STOCK_RESERVED")
        elif (
            i == 0
            and order.attributes.get("flash_sale")
            and (int(order.attributes.get("flash_sale_stock", 0)) > available)
        ):
            found.append("STOCK_OVERSELL_RISK")
    return list(dict.fromkeys(found))


def price_codes(order: Order, catalog: dict[str, tuple[float, float, float]]) -> list[str]:
    """catalog: sku → (list_price, cost, price_floor)."""
    found: list[str] = []
    for line in order.lines:
        if line.sku not in catalog:
            continue
        listed, cost, floor = catalog[line.sku]
        ratio = line.unit_price / listed
        if ratio >= UNIT_ERROR_RATIO or ratio <= 1 / UNIT_ERROR_RATIO:
            found.append("PRICE_UNIT_ERROR")
        elif line.unit_price < cost:
            found.append("PRICE_BELOW_COST")
        elif line.unit_price < floor:
            found.append("PRICE_BELOW_FLOOR")
        if line.list_price is not None and abs(line.list_price / listed - 1) > 0.01:
            found.append("PRICE_CATALOG_MISMATCH")
    goods = sum(line.qty * line.unit_price for line in order.lines)
    subsidy = float(order.attributes.get("platform_subsidy", 0.0))
    discount = _coupon_off_lines(order, goods, subsidy)
    if (
        order.paid_amount is not None
        and abs(order.paid_amount - (goods - discount - subsidy)) >= PAID_TOLERANCE
    ):  # a smaller gap is rounding (抹零, a coupon's per-line fen)
        found.append("PRICE_TOTAL_MISMATCH")
    if goods > 0 and (discount + subsidy) / goods > coupon_cap(order.created_at.date()) + 1e-9:
        found.append("PRICE_STACKED_DISCOUNT")
    return list(dict.fromkeys(found))


def _coupon_off_lines(order: Order, goods: float, subsidy: float) -> float:
    """The discount taken off the lines' total: 0 where ``discount_amount`` is the markdown
    already in the unit prices (Σ qty·(list − unit), as CONTRACT §2's example reports it) and
    paid is the lines' total less the subsidy, which the other reading does not fit."""
    discount = order.discount_amount or 0.0
    paid = order.paid_amount
    markdown = sum(
        x.qty * (x.list_price - x.unit_price)
        for x in order.lines
        if x.list_price is not None and not x.gift and x.unit_price > 0
    )
    inside = (
        paid is not None
        and discount > 0
        and abs(discount - markdown) < PAID_TOLERANCE
        and abs(paid - (goods - subsidy)) < PAID_TOLERANCE
        and abs(paid - (goods - discount - subsidy)) >= PAID_TOLERANCE
    )
    return 0.0 if inside else discount


def compliance_codes(order: Order, catalog: dict[str, tuple[int | None, int | None]]) -> list[str]:
    """catalog: sku → (stage, max_qty_per_order)."""
    found: list[str] = []
    months = order.attributes.get("baby_age_months")
    for line in order.lines:
        stage, max_qty = catalog.get(line.sku, (None, None))
        if stage and months is not None and not stage_fits(stage, int(months)):
            found.append("COMPLIANCE_FORMULA_STAGE")
        if max_qty and line.qty > max_qty:
            found.append("COMPLIANCE_QTY_LIMIT")
    return list(dict.fromkeys(found))


def receiver_key(order: Order) -> str | None:
    digits = "".join(ch for ch in order.address.phone or "" if ch.isdigit() or ch == "*")
    if len(digits) >= 8 and digits[:3].isdigit() and digits[-4:].isdigit():
        return digits[:3] + digits[-4:]
    return order.customer_id


def duplicate_codes(
    orders: list[Order], adcodes: list[str], details: list[str]
) -> list[str | None]:
    """For orders in created_at order: DUP_* when an earlier order within 24 h has the same
    receiver, true address and lines (the later one is labeled).

    The receiver is the phone as every channel shows it (first 3 + last 4 digits; marketplaces
    mask the middle, PDD sends no customer id), else the customer id.
    """
    seen: dict[tuple, list[tuple[datetime, str]]] = defaultdict(list)
    out: list[str | None] = []
    for order, adcode, detail in zip(orders, adcodes, details, strict=True):
        lines = tuple(sorted((line.sku, line.qty) for line in order.lines))
        key = (receiver_key(order), adcode, detail, lines)
        earlier = [c for t, c in seen[key] if order.created_at - t <= DUP_WINDOW]
        code = None
        if earlier:
            code = "DUP_SAME_CHANNEL" if order.channel in earlier else "DUP_CROSS_CHANNEL"
        out.append(code)
        seen[key].append((order.created_at, order.channel))
    return out
