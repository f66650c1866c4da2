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
_AGE = re.compile(r"^\s*(?:(\d+)\s*岁)?\s*(?:(\d+)\s*个?月龄?)?\s*$")


def age_text_months(text: str) -> int | None:
    """ "1岁3个月" / "8个月" / "8月龄" / "2岁" → months; None for anything else."""
    match = _AGE.match(text)
    if not match or not any(match.groups()):
        return None
    years, months = (int(g) if g else 0 for g in match.groups())
    return years * 12 + months


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
