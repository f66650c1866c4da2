"""The order schema reads what other systems write; trusted() builds what validation would."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from ordersight.schema import Evidence, Issue, Order, trusted

VALUES = {
    "type": "price",
    "code": "PRICE_BELOW_FLOOR",
    "score": 0.97,
    "scored_by": "model",
    "message": "unit price below the SKU's floor",
    "suggestion": None,
    "evidence": [Evidence(feature="unit_over_floor_min", contribution=2.5)],
}


def test_trusted_equals_the_validated_model():
    built = trusted(Issue, **VALUES)
    validated = Issue(**VALUES)
    assert built == validated
    assert built.model_dump_json() == validated.model_dump_json()


def test_trusted_names_a_missing_field():
    values = {k: v for k, v in VALUES.items() if k != "evidence"}
    with pytest.raises(TypeError, match="evidence"):
        trusted(Issue, **values)


ORDER = {
    "order_id": "o-1",
    "channel": "tmall",
    "created_at": "2025-01-05T10:00:00+08:00",
    "address": {"raw": "浙江省杭州市西湖区文三路90号501"},
    "lines": [{"sku": "A", "qty": 1, "unit_price": 10.0}],
}


@pytest.mark.parametrize(
    ("written", "channel"),
    [("TMALL", "tmall"), ("天猫", "tmall"), ("JD.com", "jd"), ("京东", "jd"),
     (" Own App ", "own_app"), ("微信小程序", "own_mini"), ("拼多多", "pdd"),
     ("小红书", "xiaohongshu"), ("门店", "offline_pos"), ("wholesale", "wholesale")],
)  # fmt: skip
def test_other_systems_names_of_a_channel_are_that_channel(written: str, channel: str) -> None:
    """Else every order of 'Tmall' would be an unknown channel, sent to review."""
    assert Order.model_validate({**ORDER, "channel": written}).channel == channel


@pytest.mark.parametrize("written", ["2025/1/5 10:00", "2025年1月5日 10:00:00", "2025.01.05 10:00"])
def test_a_day_written_with_slashes_or_in_chinese_is_read(written: str) -> None:
    created = Order.model_validate({**ORDER, "created_at": written}).created_at
    assert (created.year, created.month, created.day, created.hour) == (2025, 1, 5, 10)
    with pytest.raises(ValidationError, match="created_at"):
        Order.model_validate({**ORDER, "created_at": "2025/13/45"})


@pytest.mark.parametrize("written", [1736042400, 1736042400000, "2025-01-05T02:00:00Z"])
def test_a_time_in_another_zone_is_china_time(written: int | str) -> None:
    """An epoch or a UTC time is the same instant on China's clock, where the order's day (its
    festival window, a baby's age in months) is counted."""
    created = Order.model_validate({**ORDER, "created_at": written}).created_at
    assert created.isoformat() == "2025-01-05T10:00:00+08:00"


def test_a_time_with_no_china_time_is_refused_by_name() -> None:
    with pytest.raises(ValidationError, match="created_at"):
        Order.model_validate({**ORDER, "created_at": "9999-12-31T23:59:59-05:00"})


def test_identifiers_written_as_numbers_are_read_as_strings() -> None:
    """Other systems' exports write order ids, phones and barcode SKUs as JSON numbers; refusing
    them would refuse the order. A number is never taken where a quantity must be whole."""
    import json

    order = {
        **ORDER,
        "order_id": 300000000001,
        "customer_id": 88123,
        "address": {"raw": "北京市朝阳区建国路1号", "phone": 13800138000},
        "lines": [{"sku": 6901234567890, "qty": "2", "unit_price": "29.9"}],
        "warehouse_id": 7,
    }
    for read in (Order.model_validate(order), Order.model_validate_json(json.dumps(order))):
        assert (read.order_id, read.customer_id, read.warehouse_id) == (
            "300000000001",
            "88123",
            "7",
        )
        assert read.address.phone == "13800138000"
        assert (read.lines[0].sku, read.lines[0].qty, read.lines[0].unit_price) == (
            "6901234567890",
            2,
            29.9,
        )
    with pytest.raises(ValidationError, match=r"lines\.0\.qty"):
        Order.model_validate({**order, "lines": [{"sku": 1, "qty": 2.5, "unit_price": 1}]})


FIELDS = {"province": "浙江省", "city": "杭州市", "district": "西湖区"}


@pytest.mark.parametrize(
    ("detail", "text"),
    [
        ("文三路90号", "浙江省杭州市西湖区文三路90号"),
        # exports filling the detail with the full address, or from the city or district on
        ("浙江省 杭州市 西湖区 文三路90号", "浙江省 杭州市 西湖区 文三路90号"),
        ("浙江杭州市西湖区文三路90号", "浙江杭州市西湖区文三路90号"),
        ("杭州市,西湖区,文三路90号", "浙江省杭州市,西湖区,文三路90号"),
        ("西湖区文三路90号", "浙江省杭州市西湖区文三路90号"),
        # a street named like its district is the detail; a district the fields do not name
        # is no repeat of them, and the parser sees both
        ("西湖文化广场1号", "浙江省杭州市西湖区西湖文化广场1号"),
        ("杭州市滨江区网商路699号", "浙江省杭州市西湖区杭州市滨江区网商路699号"),
        # the levels written twice in the detail stay twice
        ("杭州市西湖区杭州市西湖区文三路90号", "浙江省杭州市西湖区杭州市西湖区文三路90号"),
    ],
)
def test_a_detail_naming_the_fields_levels_is_not_joined_to_them(detail: str, text: str) -> None:
    address = Order.model_validate({**ORDER, "address": {**FIELDS, "detail": detail}}).address
    assert address.text() == text


@pytest.mark.parametrize(
    ("fields", "detail", "text"),
    [
        # fields written short, the detail in full names
        ({"province": "浙江", "city": "杭州", "district": "西湖区"}, "浙江省杭州市西湖区文三路90号",
         "浙江省杭州市西湖区文三路90号"),
        ({"province": "浙江", "city": "杭州", "district": "西湖"}, "杭州市西湖区文三路90号",
         "浙江杭州市西湖区文三路90号"),
        ({"province": "浙江", "city": "杭州", "district": "西湖"}, "杭州 西湖 文三路90号",
         "浙江杭州 西湖 文三路90号"),
        # a short district field alone is no repeat of a street named after it
        ({"province": "浙江", "city": "杭州", "district": "西湖"}, "西湖文化广场1号",
         "浙江杭州西湖西湖文化广场1号"),
        ({"province": "内蒙古自治区", "city": "呼和浩特市", "district": "土默特左旗"},
         "呼和浩特市土默特左旗察素齐镇1号", "内蒙古自治区呼和浩特市土默特左旗察素齐镇1号"),
    ],
)  # fmt: skip
def test_region_fields_and_detail_may_write_a_level_differently(
    fields: dict, detail: str, text: str
) -> None:
    address = Order.model_validate({**ORDER, "address": {**fields, "detail": detail}}).address
    assert address.text() == text


def test_raw_is_the_text_and_missing_fields_are_skipped() -> None:
    order = Order.model_validate(ORDER)
    assert order.address.text() == ORDER["address"]["raw"]
    fields = {"city": "杭州市", "detail": "杭州市西湖区文三路90号"}
    assert Order.model_validate({**ORDER, "address": fields}).address.text() == fields["detail"]


@pytest.mark.parametrize(
    ("address", "text"),
    [
        # a detail sent as raw beside the region fields
        ({"raw": "文三路90号", **FIELDS}, "浙江省杭州市西湖区文三路90号"),
        ({"raw": "西湖区文三路90号", **FIELDS}, "浙江省杭州市西湖区文三路90号"),
        # a raw address naming them, in full or short, is read as sent
        ({"raw": "浙江省杭州市西湖区文三路90号", **FIELDS}, "浙江省杭州市西湖区文三路90号"),
        ({"raw": "张三 13800138000 杭州西湖区文三路90号", **FIELDS},
         "张三 13800138000 杭州西湖区文三路90号"),
    ],
)  # fmt: skip
def test_a_raw_address_beside_region_fields(address: dict, text: str) -> None:
    assert Order.model_validate({**ORDER, "address": address}).address.text() == text


def test_region_fields_in_latin_letters_are_joined_as_words() -> None:
    fields = {"province": "Zhejiang", "city": "Hangzhou", "district": "Xihu District"}
    address = Order.model_validate({**ORDER, "address": {**fields, "detail": "Wensan Road 90"}})
    assert address.address.text() == "Zhejiang Hangzhou Xihu District Wensan Road 90"
