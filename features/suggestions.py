"""Suggestions for stock and price issues, read off one row of the order feature frame.

Pure helpers the scorer attaches to an issue: where the order could ship from instead, or the
amount the order should have carried. ``None`` when the row holds nothing to suggest.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

__all__ = ["price_suggestion", "stock_suggestion"]


def _num(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def stock_suggestion(row: pd.Series) -> dict[str, Any] | None:
    """Another warehouse that can ship every line, else a per-SKU split across warehouses."""
    if isinstance(row.get("alt_warehouse"), str):
        return {"field": "warehouse_id", "value": row["alt_warehouse"]}
    if isinstance(row.get("split_plan"), dict) and row["split_plan"]:
        return {"field": "split", "value": row["split_plan"]}
    return None


def price_suggestion(row: pd.Series, code: str) -> dict[str, Any] | None:
    """The expected value for the field a price code points at (line price or paid amount)."""
    line = f"lines[{int(row['price_line'])}]"
    unit, listed = _num(row.get("price_line_unit")), _num(row.get("price_line_list"))
    expected = _num(row.get("expected_paid"))
    if code == "PRICE_UNIT_ERROR":
        shift = round(math.log10(unit / listed)) if unit and listed else 0
        if shift:  # the line is off by powers of ten from its list price: fix the line
            return {"field": f"{line}.unit_price", "value": round(unit / 10**shift, 2)}
        if expected is not None:  # the lines agree with the catalog: the paid amount slipped
            return {"field": "paid_amount", "value": round(expected, 2)}
    if code in {"PRICE_TOTAL_MISMATCH", "PRICE_STACKED_DISCOUNT"} and expected is not None:
        return {"field": "paid_amount", "value": round(expected, 2)}
    if code == "PRICE_CATALOG_MISMATCH" and listed is not None:
        return {"field": f"{line}.list_price", "value": listed}
    if code in {"PRICE_BELOW_FLOOR", "PRICE_BELOW_COST"}:
        floor = _num(row.get("price_line_floor")) if code == "PRICE_BELOW_FLOOR" else None
        target = floor if floor is not None else _num(row.get("price_line_cost"))
        if target is not None:
            return {"field": f"{line}.unit_price", "value": target}
    return None
