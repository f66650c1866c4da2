"""A declared baby age, as orders from any system write it, in months at the order's date.

The infant-formula stage check needs the baby's age. The channel adapters write it as
``attributes["baby_age_months"]``; orders made elsewhere name it their own way, as a month count,
a text ("1岁3个月", "8个月") or the baby's birthday, which is an age only on the order's day.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from ordersight.schema import DAY_FIRST, dashed_day

__all__ = ["AGE_KEYS", "BIRTH_KEYS", "age_text_months", "declared_months", "months_since"]

AGE_KEYS = ("baby_age_months", "baby_age", "baby_months", "age_months", "宝宝月龄", "月龄")
BIRTH_KEYS = ("baby_birthday", "baby_birth_date", "baby_dob", "宝宝生日", "宝宝出生日期")
_AGE = re.compile(
    r"^\s*(?:宝宝|宝贝)?\s*(?:(\d+(?:\.\d+)?|半)\s*周?岁(半)?)?\s*(?:零|又)?"
    r"\s*(?:(\d+)\s*个?(半)?月龄?)?\s*(?:(\d+)\s*天)?\s*[大多左右]*\s*$"
)
# Chinese numerals as parents type them (一岁半, 十一个月, 二十天)
_NUMERAL = re.compile(r"[一二两三四五六七八九十]+")
_DIGIT = dict(zip("一二两三四五六七八九", (1, 2, 2, 3, 4, 5, 6, 7, 8, 9), strict=True))


def _arabic(numeral: re.Match[str]) -> str:
    """一 → 1, 十一 → 11, 二十 → 20, 二十三 → 23; anything else as written."""
    text = numeral.group(0)
    tens, ten, units = text.partition("十")
    if not ten:
        return str(_DIGIT[text]) if len(text) == 1 else text
    if len(tens) > 1 or len(units) > 1:
        return text
    return str(10 * _DIGIT.get(tens, 1) + _DIGIT.get(units, 0))


def age_text_months(text: str) -> int | None:
    """ "1岁3个月" / "8个月" / "8月龄" / "2岁" / "一岁半" / "1.5岁" / "半岁" / "3个半月" /
    "10个月大" / "20天" → whole months; None for anything else (不详, 0-6个月)."""
    match = _AGE.match(_NUMERAL.sub(_arabic, text))
    if not match or not any(match.group(1, 3, 5)):
        return None
    years, half_year, months, half_month, _days = match.groups()
    total = 6.0 if years == "半" else 12 * float(years or 0)
    total += 6 * bool(half_year) + int(months or 0) + 0.5 * bool(half_month)
    return int(total)


def months_since(born: date, on: date) -> int:
    """Whole months from ``born`` to ``on`` (a month is complete on the same day of the month)."""
    months = (on.year - born.year) * 12 + on.month - born.month
    return months - (on.day < born.day)


def declared_months(attributes: Mapping[str, Any], on: date) -> float | None:
    """The baby's age in months on ``on``, from the first age or birthday key that reads as one:
    a number, a numeric text or an age text; a birthday as 2025-03-15, 2025/3/15 or 2025年3月15日.
    """
    for key in AGE_KEYS:
        value = attributes.get(key)
        if isinstance(value, bool) or value in (None, ""):
            continue
        if isinstance(value, int | float):
            return float(value)
        text = str(value).strip()
        try:
            return float(text)
        except ValueError:
            months = age_text_months(text)
            if months is not None:
                return float(months)
    for key in BIRTH_KEYS:
        value = attributes.get(key)
        if value in (None, ""):
            continue
        try:
            born = datetime.fromisoformat(DAY_FIRST.sub(dashed_day, str(value).strip())).date()
        except ValueError:
            continue
        return float(months_since(born, on))
    return None
