"""Reading and writing the item lists of native payloads, driven by a per-channel field spec.

Every platform nests its items differently and names the same facts differently; one spec per
channel keeps the mapping declarative so the adapter and its inverse cannot drift apart.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ordersight.adapters._common import (
    AdapterError,
    SkuMap,
    count,
    from_fen,
    map_sku,
    to_fen,
    yuan,
    yuan_str,
)
from ordersight.schema import OrderLine


@dataclass(frozen=True)
class LineSpec:
    """Native item field names. ``money``: fen (int), yuan (number) or yuan_str ("59.90")."""

    key: str  # list key in the payload
    qty: str
    unit: str  # unit price paid per item, or the line total when ``unit_is_total``
    money: str
    sku: str | None = None  # merchant's own code
    platform_id: str | None = None  # platform SKU id, mapped through the SKU table
    list_price: str | None = None
    unit_is_total: bool = False
    qty_as_str: bool = False
    ignored: tuple[str, ...] = ()  # names/titles the catalog already knows

    def known(self) -> set[str]:
        fields = (self.qty, self.unit, self.sku, self.platform_id, self.list_price)
        return {f for f in fields if f} | set(self.ignored)


def read_money(value: Any, money: str, channel: str, field: str) -> float:
    return from_fen(value, channel, field) if money == "fen" else yuan(value, channel, field)


def write_money(amount: float, money: str) -> Any:
    if money == "fen":
        return to_fen(amount)
    return yuan_str(amount) if money == "yuan_str" else round(amount, 2)


def read_lines(
    items: list[Any], spec: LineSpec, channel: str, sku_map: SkuMap | None
) -> tuple[list[OrderLine], list[dict[str, Any]]]:
    """Unified lines plus, per line, the native fields the spec does not know."""
    lines: list[OrderLine] = []
    extras: list[dict[str, Any]] = []
    for i, item in enumerate(items):
        where = f"{spec.key}[{i}]."
        if not isinstance(item, Mapping):
            raise AdapterError(channel, where.rstrip("."), "expected an object")
        code = item.get(spec.sku) if spec.sku else None
        pid = item.get(spec.platform_id) if spec.platform_id else None
        if not code and not pid:
            raise AdapterError(channel, where + (spec.sku or spec.platform_id or "sku"), "missing")
        qty = count(item.get(spec.qty), channel, where + spec.qty)
        if spec.unit not in item:
            raise AdapterError(channel, where + spec.unit, "missing")
        unit = read_money(item[spec.unit], spec.money, channel, where + spec.unit)
        if spec.unit_is_total:
            unit = round(unit / max(qty, 1), 2)
        listed = None
        if spec.list_price and item.get(spec.list_price) not in (None, ""):
            listed = read_money(item[spec.list_price], spec.money, channel, where + spec.list_price)
        try:
            lines.append(
                OrderLine(
                    sku=map_sku(channel, code, pid, sku_map),
                    qty=qty,
                    unit_price=unit,
                    list_price=listed,
                )
            )
        except ValueError as exc:
            raise AdapterError(channel, where.rstrip("."), str(exc)) from None
        extras.append({k: v for k, v in item.items() if k not in spec.known()})
    return lines, extras


def write_lines(
    lines: list[OrderLine],
    spec: LineSpec,
    extras: list[dict[str, Any]] | None,
    platform_ids: Mapping[str, str] | None,
    rng: random.Random,
    names: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Native items for ``lines``; the merchant code is left empty now and then, as shops do,
    whenever a platform id can stand in for it."""
    out: list[dict[str, Any]] = []
    for i, line in enumerate(lines):
        item: dict[str, Any] = {}
        pid = (platform_ids or {}).get(line.sku)
        if spec.platform_id and pid:
            item[spec.platform_id] = pid
        if spec.sku:
            keep_code = not (spec.platform_id and pid) or rng.random() > 0.25
            item[spec.sku] = line.sku if keep_code else ""
        for name_key in spec.ignored[:1]:
            item[name_key] = (names or {}).get(line.sku, line.sku)
        item[spec.qty] = str(line.qty) if spec.qty_as_str else line.qty
        unit = round(line.unit_price * line.qty, 2) if spec.unit_is_total else line.unit_price
        item[spec.unit] = write_money(unit, spec.money)
        if spec.list_price and line.list_price is not None:
            item[spec.list_price] = write_money(line.list_price, spec.money)
        if extras and i < len(extras):
            item.update(extras[i])
        out.append(item)
    return out
