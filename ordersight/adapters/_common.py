"""Helpers shared by the channel adapters: money, time, phones, SKU ids and leftover fields.

Each platform speaks its own dialect (fen vs yuan, epoch-ms vs local time strings, masked
phones). These helpers convert one way and back so an adapter and its inverse stay in step.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from ordersight import baby_age
from ordersight.schema import CHINA

LOCAL_FORMAT = "%Y-%m-%d %H:%M:%S"
COMPACT_FORMAT = "%Y%m%d%H%M%S"

# (channel, platform sku id) -> merchant sku, for lines whose merchant code the shop left empty
SkuMap = Mapping[tuple[str, str], str]


class AdapterError(ValueError):
    """A native payload could not be mapped; names the channel and the native field."""

    def __init__(self, channel: str, field: str, message: str):
        self.channel = channel
        self.field = field
        super().__init__(f"{channel}: field '{field}': {message}")


def need(payload: Mapping[str, Any], key: str, channel: str, prefix: str = "") -> Any:
    """``payload[key]``, or an AdapterError naming the field when it is missing or empty."""
    if not isinstance(payload, Mapping):
        raise AdapterError(channel, prefix.rstrip(".") or "$", "expected an object")
    value = payload.get(key)
    if value is None or value == "":
        raise AdapterError(channel, prefix + key, "missing")
    return value


def need_list(payload: Mapping[str, Any], key: str, channel: str, prefix: str = "") -> list:
    value = need(payload, key, channel, prefix)
    if not isinstance(value, list) or not value:
        raise AdapterError(channel, prefix + key, "expected a non-empty list")
    return value


def yuan(value: Any, channel: str, field: str) -> float:
    """A yuan amount given as str ("59.90") or number."""
    try:
        out = round(float(value), 2)
    except (TypeError, ValueError):
        raise AdapterError(channel, field, f"not an amount: {value!r}") from None
    if out != out or out < 0:
        raise AdapterError(channel, field, f"not a valid amount: {value!r}")
    return out


def from_fen(value: Any, channel: str, field: str) -> float:
    """An integer amount in fen (1/100 yuan), as WeChat Pay, Douyin and Kuaishou send it."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise AdapterError(channel, field, f"expected integer fen, got {value!r}")
    if value < 0:
        raise AdapterError(channel, field, "negative amount")
    return round(value / 100, 2)


def to_fen(amount: float) -> int:
    return int(round(amount * 100))


def yuan_str(amount: float) -> str:
    return f"{amount:.2f}"


def count(value: Any, channel: str, field: str) -> int:
    """A quantity sent as int or digit string."""
    try:
        out = int(str(value))
    except ValueError:
        raise AdapterError(channel, field, f"not a quantity: {value!r}") from None
    return out


def parse_time(value: Any, channel: str, field: str, kind: str) -> datetime:
    """Platform time → tz-aware Beijing time; kinds: epoch_s/_ms, iso(_cst), local, compact."""
    try:
        if kind in {"epoch_s", "epoch_ms"}:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError
            seconds = value / 1000 if kind == "epoch_ms" else value
            return datetime.fromtimestamp(seconds, UTC).astimezone(CHINA)
        text = str(value)
        if kind in {"iso", "iso_cst"}:
            stamp = datetime.fromisoformat(text.replace("Z", "+00:00"))
            return (stamp if stamp.tzinfo else stamp.replace(tzinfo=CHINA)).astimezone(CHINA)
        fmt = LOCAL_FORMAT if kind == "local" else COMPACT_FORMAT
        return datetime.strptime(text, fmt).replace(tzinfo=CHINA)
    except (ValueError, OverflowError, OSError):
        raise AdapterError(channel, field, f"not a {kind} time: {value!r}") from None


def format_time(stamp: datetime, kind: str) -> Any:
    """Inverse of :func:`parse_time`."""
    stamp = stamp.astimezone(CHINA)
    if kind == "epoch_s":
        return int(stamp.timestamp())
    if kind == "epoch_ms":
        return int(round(stamp.timestamp() * 1000))
    if kind == "iso":
        return stamp.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if kind == "iso_cst":
        return stamp.isoformat()
    return stamp.strftime(LOCAL_FORMAT if kind == "local" else COMPACT_FORMAT)


def mask_phone(phone: str | None) -> str | None:
    """Platforms show 138****8000: first 3 and last 4 digits, the length kept."""
    if not phone or len(phone) < 8:
        return phone
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def mask_name(name: str | None) -> str | None:
    return name[0] + "*" * (len(name) - 1) if name and len(name) > 1 else name


def leftovers(payload: Mapping[str, Any], known: Iterable[str]) -> dict[str, Any]:
    """Fields the adapter does not map; they travel on in ``order.attributes``."""
    taken = set(known)
    return {k: v for k, v in payload.items() if k not in taken}


def map_sku(channel: str, merchant_code: Any, platform_id: Any, sku_map: SkuMap | None) -> str:
    """The merchant SKU: the shop's own code when filled in, else the mapping table.

    An id with no mapping stays as ``<channel>:<platform id>`` so the scorer sees an unknown SKU
    instead of a silently wrong one.
    """
    if merchant_code:
        return str(merchant_code)
    key = (channel, str(platform_id))
    if sku_map and key in sku_map:
        return sku_map[key]
    return f"{channel}:{platform_id}"


@lru_cache(maxsize=8)
def load_sku_map(path: Path | str) -> dict[tuple[str, str], str]:
    """Read a ``channel,platform_sku_id,sku`` CSV (the demo world writes ``sku_map.csv``)."""
    with Path(path).open(encoding="utf-8") as fh:
        return {(r["channel"], r["platform_sku_id"]): r["sku"] for r in csv.DictReader(fh)}


def age_text_months(text: str, channel: str, field: str) -> int:
    """ "1岁3个月" / "8个月" / "2岁" → months."""
    months = baby_age.age_text_months(str(text))
    if months is None:
        raise AdapterError(channel, field, f"not a baby age: {text!r}")
    return months


def months_text(months: int) -> str:
    years, rest = divmod(months, 12)
    if not years:
        return f"{rest}个月"
    return f"{years}岁" + (f"{rest}个月" if rest else "")


def json_attr(text: Any, channel: str, field: str) -> dict[str, Any]:
    """Platforms that pass extension data as a JSON string inside JSON."""
    try:
        out = json.loads(text) if isinstance(text, str) else dict(text)
    except (ValueError, TypeError):
        raise AdapterError(channel, field, "not a JSON object") from None
    if not isinstance(out, dict):
        raise AdapterError(channel, field, "not a JSON object")
    return out
