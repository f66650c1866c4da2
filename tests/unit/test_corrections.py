"""Corrections attached to address issues: a bad phone's likely number, a doubtful county's
choices (the KPI counts a problem as caught with a correction only where one is attached)."""

from __future__ import annotations

import pytest

from features.address import parse_address
from features.address_text import phone_correction
from ordersight.schema import Order
from serving.scorer import address_suggestion


@pytest.mark.parametrize(
    ("phone", "text", "fixed"),
    [
        ("138OO138OOO", "", "13800138000"),  # letters typed for the digits they look like
        ("1380013800l", "", "13800138001"),
        ("1380013800", "张三 13912345678 浙江省杭州市西湖区文三路90号", "13912345678"),
        ("1380013800", "浙江省杭州市西湖区文三路90号", None),  # a digit short: only the buyer knows
        ("12800138000", "", None),  # no carrier uses 12…
        ("13800138000", "", None),  # valid: nothing to correct
        (None, "", None),
    ],
)
def test_phone_correction(phone, text, fixed):
    assert phone_correction(phone, text) == fixed


def _order(raw: str, phone: str) -> Order:
    return Order.model_validate(
        {
            "order_id": "o1",
            "channel": "jd",
            "created_at": "2025-11-11T10:00:00+08:00",
            "address": {"raw": raw, "phone": phone},
            "lines": [{"sku": "X", "qty": 1, "unit_price": 1.0}],
        }
    )


def test_a_bad_phone_is_corrected_only_where_the_number_can_be_told():
    raw = "浙江省杭州市西湖区文三路90号501"
    fixable, lost = _order(raw, "138OO138000"), _order(raw, "1380013800")
    parsed = parse_address(raw, fixable.address.phone)
    suggestion = address_suggestion("ADDR_BAD_PHONE", parsed, fixable)
    assert suggestion is not None
    assert suggestion.model_dump() == {"field": "address.phone", "value": "13800138000"}
    assert address_suggestion("ADDR_BAD_PHONE", parsed, lost) is None


def test_two_districts_of_one_city_suggest_the_address_with_its_choices():
    raw = "岳阳市-云溪区君山区 延安西路686号西湖大厦35幢2201"
    parsed = parse_address(raw)
    assert parsed.adcode is None and "ADDR_REGION_CONFLICT" in parsed.defects
    suggestion = address_suggestion("ADDR_REGION_CONFLICT", parsed, _order(raw, "13800138000"))
    assert suggestion is not None and suggestion.field == "address"
    value = suggestion.value
    assert (value["city"], value["district"], value["adcode"]) == ("岳阳市", None, None)
    assert {c["district"] for c in value["choices"]} == {"云溪区", "君山区"}
    clear = parse_address("湖南省岳阳市云溪区延安西路686号")
    written = address_suggestion("ADDR_MISSING_LEVEL", clear, _order("x", "13800138000"))
    assert written is not None and "choices" not in written.value
    assert written.value["adcode"] == clear.adcode
