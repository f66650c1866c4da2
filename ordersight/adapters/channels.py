"""The nine shipped channels, each described by a :class:`ChannelSpec` of native field paths.

A spec says where a platform keeps each fact (dotted paths into its JSON), in which unit and
time format. :func:`read_order` and :func:`write_order` interpret the spec, so the adapter and its
inverse (used by the demo-world generator) are one description and cannot disagree.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import ValidationError

from ordersight.adapters._common import (
    AdapterError,
    SkuMap,
    age_text_months,
    format_time,
    json_attr,
    leftovers,
    mask_name,
    mask_phone,
    months_text,
    need,
    parse_time,
)
from ordersight.adapters.lines import LineSpec, read_lines, read_money, write_lines, write_money
from ordersight.baby_age import months_since
from ordersight.schema import Order, OrderAddress

ADDRESS_FIELDS = ("province", "city", "district", "town", "detail", "receiver", "phone")
_TOWN = re.compile(r"^(\S{1,8}?(?:街道|镇|乡))(?=\S)")


@dataclass(frozen=True)
class ChannelSpec:
    """Where one platform keeps each fact. Paths are dotted (``consigneeInfo.fullAddress``)."""

    name: str
    prefix: str  # unified order_id = f"{prefix}-{native id}"
    order_id: str
    id_is_int: bool
    created: str
    time_kind: str
    money: str
    paid: str
    lines: LineSpec
    customer: str | None = None
    discount: str | None = None
    subsidy: str | None = None
    shipping: str | None = None  # postage the customer paid, part of the paid amount
    raw_address: str | None = None  # one string with the whole address
    address: Mapping[str, str] = field(default_factory=dict)  # split fields, ADDRESS_FIELDS keys
    nested_names: bool = False  # {"province": {"name": "浙江省"}} style (Douyin)
    contact: str | None = None  # "name phone" in one field (shop tills)
    masked: bool = False
    warehouse: str | None = None
    baby: str | None = None
    baby_kind: str = "months"  # months | text | birthday | json:<key>
    flash: str | None = None  # {"type": "flash_sale", "stock": n}


def _get(payload: Mapping[str, Any], path: str) -> Any:
    node: Any = payload
    for part in path.split("."):
        if not isinstance(node, Mapping):
            return None
        node = node.get(part)
    return node


def _set(payload: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    node = payload
    for part in parents:
        node = node.setdefault(part, {})
    node[last] = value


def _top(path: str | None) -> str | None:
    return path.split(".")[0] if path else None


def _known_top(spec: ChannelSpec) -> set[str]:
    paths = [spec.order_id, spec.created, spec.paid, spec.lines.key, spec.customer, spec.discount]
    paths += [spec.subsidy, spec.shipping, spec.raw_address, spec.contact, spec.warehouse]
    paths += [spec.baby, spec.flash]
    paths += list(spec.address.values())
    return {_top(p) for p in paths if p}


def _opt_str(value: Any) -> str | None:
    if isinstance(value, Mapping):
        value = value.get("name")
    return str(value) if value not in (None, "") else None


def _read_address(payload: Mapping[str, Any], spec: ChannelSpec) -> dict[str, Any]:
    parts = {k: _opt_str(_get(payload, p)) for k, p in spec.address.items()}
    if spec.raw_address:
        parts["raw"] = _opt_str(_get(payload, spec.raw_address))
    if spec.contact:
        name, _, last = (_opt_str(_get(payload, spec.contact)) or "").strip().rpartition(" ")
        if not any(ch.isdigit() for ch in last):  # a name alone, no phone
            name, last = f"{name} {last}".strip(), ""
        parts["receiver"], parts["phone"] = (name or None), (last or None)
    town, detail = parts.pop("town", None), parts.get("detail") or ""
    if town and town not in detail:  # many details already name it
        parts["detail"] = town + detail
    return parts


def _baby_months(payload: Mapping[str, Any], spec: ChannelSpec, created: date) -> int | None:
    value = _get(payload, spec.baby) if spec.baby else None
    if value in (None, ""):
        return None
    kind = spec.baby_kind
    if kind == "text":
        return age_text_months(value, spec.name, spec.baby)
    if kind == "birthday":
        try:
            born = date.fromisoformat(str(value))
        except ValueError:
            raise AdapterError(spec.name, spec.baby, f"not a date: {value!r}") from None
        return months_since(born, created)
    if kind.startswith("json:"):
        value = json_attr(value, spec.name, spec.baby).get(kind[5:])
        if value is None:
            return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise AdapterError(spec.name, spec.baby, f"not a month count: {value!r}") from None


def read_order(spec: ChannelSpec, payload: Mapping[str, Any], sku_map: SkuMap | None) -> Order:
    """Native payload → unified :class:`Order`; unknown top-level fields go to attributes."""
    name = spec.name
    if not isinstance(payload, Mapping):
        raise AdapterError(name, "$", "payload must be a JSON object")
    native_id = need(payload, spec.order_id, name)
    created = parse_time(need(payload, spec.created, name), name, spec.created, spec.time_kind)
    items = _get(payload, spec.lines.key)
    if not isinstance(items, list) or not items:
        raise AdapterError(name, spec.lines.key, "expected a non-empty list of items")
    lines, line_extras = read_lines(items, spec.lines, name, sku_map)
    attributes: dict[str, Any] = leftovers(payload, _known_top(spec))
    if any(line_extras):
        attributes["line_extras"] = line_extras

    def money(path: str | None) -> float | None:
        value = _get(payload, path) if path else None
        return None if value in (None, "") else read_money(value, spec.money, name, path or "")

    for path, key in ((spec.subsidy, "platform_subsidy"), (spec.shipping, "shipping_fee")):
        amount = money(path)
        if amount:
            attributes[key] = amount
    months = _baby_months(payload, spec, created.date())
    if months is not None:
        attributes["baby_age_months"] = months
    flash = _get(payload, spec.flash) if spec.flash else None
    if isinstance(flash, Mapping) and flash.get("type") == "flash_sale":
        attributes["flash_sale"] = True
        attributes["flash_sale_stock"] = int(flash.get("stock") or 0)
    warehouse = _opt_str(_get(payload, spec.warehouse)) if spec.warehouse else None
    try:
        return Order(
            order_id=f"{spec.prefix}-{native_id}",
            channel=name,
            created_at=created,
            customer_id=_opt_str(_get(payload, spec.customer)) if spec.customer else None,
            address=OrderAddress(**_read_address(payload, spec)),
            warehouse_id=warehouse,
            lines=lines,
            paid_amount=money(spec.paid),
            discount_amount=money(spec.discount),
            attributes=attributes,
        )
    except ValidationError as exc:
        where = ".".join(str(p) for p in exc.errors()[0]["loc"]) or "$"
        raise AdapterError(name, where, exc.errors()[0]["msg"]) from None


def _split_town(detail: str | None) -> tuple[str | None, str | None]:
    match = _TOWN.match(detail or "")
    return (match.group(1), detail[match.end() :]) if match and detail else (None, detail)


def _write_address(out: dict[str, Any], order: Order, spec: ChannelSpec) -> None:
    addr = order.address
    parts: dict[str, str | None] = addr.model_dump()
    if spec.masked:
        parts["receiver"], parts["phone"] = mask_name(addr.receiver), mask_phone(addr.phone)
    if "town" in spec.address:
        parts["town"], parts["detail"] = _split_town(addr.detail)
    if spec.raw_address:
        _set(out, spec.raw_address, addr.text())
    for key, path in spec.address.items():
        value = parts.get(key) or ""
        nested = spec.nested_names and key in ADDRESS_FIELDS[:4]
        _set(out, path, {"name": value} if nested else value)
    if spec.contact:
        _set(out, spec.contact, " ".join(p for p in (parts["receiver"], parts["phone"]) if p))


def _write_baby(out: dict[str, Any], months: int, created: date, spec: ChannelSpec) -> None:
    kind = spec.baby_kind
    if kind == "text":
        value: Any = months_text(months)
    elif kind == "birthday":
        total = created.year * 12 + created.month - 1 - months
        value = date(total // 12, total % 12 + 1, min(created.day, 28)).isoformat()
    elif kind.startswith("json:"):
        value = json.dumps({kind[5:]: months})
    else:
        value = months
    _set(out, spec.baby or "", value)


def write_order(
    spec: ChannelSpec,
    order: Order,
    rng: random.Random,
    platform_ids: Mapping[str, str] | None = None,
    names: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Unified order → this channel's native payload (the inverse of :func:`read_order`)."""
    native_id = order.order_id.removeprefix(f"{spec.prefix}-")
    out: dict[str, Any] = {}
    _set(out, spec.order_id, int(native_id) if spec.id_is_int else native_id)
    _set(out, spec.created, format_time(order.created_at, spec.time_kind))
    if spec.customer and order.customer_id:
        _set(out, spec.customer, order.customer_id)
    _write_address(out, order, spec)
    attrs = dict(order.attributes)
    extras = attrs.pop("line_extras", None)
    items = write_lines(order.lines, spec.lines, extras, platform_ids, rng, names)
    _set(out, spec.lines.key, items)
    for path, amount in ((spec.paid, order.paid_amount), (spec.discount, order.discount_amount)):
        if path and amount is not None:
            _set(out, path, write_money(amount, spec.money))
    subsidy = attrs.pop("platform_subsidy", None)
    if spec.subsidy:
        _set(out, spec.subsidy, write_money(subsidy or 0.0, spec.money))
    elif subsidy:
        attrs["platform_subsidy"] = subsidy
    shipping = attrs.pop("shipping_fee", None) if spec.shipping else None
    if shipping:
        _set(out, spec.shipping, write_money(shipping, spec.money))
    months = attrs.pop("baby_age_months", None) if spec.baby else None
    if months is not None:
        _write_baby(out, int(months), order.created_at.date(), spec)
    if spec.flash and attrs.get("flash_sale"):
        attrs.pop("flash_sale")
        _set(out, spec.flash, {"type": "flash_sale", "stock": attrs.pop("flash_sale_stock", 0)})
    if spec.warehouse and order.warehouse_id:
        _set(out, spec.warehouse, order.warehouse_id)
    out.update(attrs)
    return out
