"""Channel adapters: every shipped sample maps, units and times convert, nothing is dropped."""

from __future__ import annotations

import copy
import json
import random
from datetime import timedelta
from pathlib import Path

import pytest

from ordersight.adapters import SPECS, AdapterError, adapt, load_sku_map, to_native
from ordersight.schema import KNOWN_CHANNELS, Order

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples" / "channels"


def sample(channel: str) -> dict:
    return json.loads((SAMPLES / f"{channel}.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def sku_map() -> dict:
    return load_sku_map(SAMPLES / "sku_map.csv")


def test_every_known_channel_has_an_adapter_and_a_sample() -> None:
    assert set(SPECS) == set(KNOWN_CHANNELS)
    assert all((SAMPLES / f"{c}.json").exists() for c in KNOWN_CHANNELS)


@pytest.mark.parametrize("channel", KNOWN_CHANNELS)
def test_sample_adapts_to_a_valid_order(channel: str, sku_map: dict) -> None:
    order = adapt(channel, sample(channel), sku_map)
    assert order.channel == channel
    assert order.created_at.utcoffset() == timedelta(hours=8)
    assert all(":" not in line.sku for line in order.lines)  # every platform id was mapped
    goods = sum(line.qty * line.unit_price for line in order.lines)
    subsidy = order.attributes.get("platform_subsidy", 0.0)
    assert order.paid_amount == pytest.approx(goods - order.discount_amount - subsidy, abs=0.01)
    assert Order.model_validate_json(order.model_dump_json()) == order


def test_fen_becomes_yuan() -> None:
    payload = sample("douyin")
    order = adapt("douyin", payload)
    assert order.paid_amount == pytest.approx(payload["pay_amount"] / 100)
    first = payload["sku_order_list"][0]
    assert order.lines[0].unit_price == pytest.approx(first["sku_price"] / 100)
    assert order.lines[0].list_price == pytest.approx(first["origin_amount"] / 100)


def test_yuan_strings_and_line_totals() -> None:
    payload = sample("tmall")
    order = adapt("tmall", payload)
    first = payload["orders"]["order"][0]
    assert order.lines[0].unit_price == pytest.approx(float(first["payment"]) / first["num"])
    assert order.paid_amount == pytest.approx(float(payload["payment"]))


@pytest.mark.parametrize(
    ("address", "detail"),
    [
        ("前进村59号", "西城乡前进村59号"),  # the town field before the detail
        ("西城乡前进村59号", "西城乡前进村59号"),  # a detail naming its town already
        ("山东省聊城市茌平县西城乡前进村59号", "山东省聊城市茌平县西城乡前进村59号"),
    ],
)
def test_the_town_is_written_once(address: str, detail: str) -> None:
    payload = sample("tmall") | {"receiver_town": "西城乡", "receiver_address": address}
    order = adapt("tmall", payload)
    assert order.address.detail == detail
    assert order.address.text().count("西城乡") == 1


def test_epoch_ms_becomes_beijing_time() -> None:
    payload = sample("kuaishou")
    order = adapt("kuaishou", payload)
    assert order.created_at.timestamp() * 1000 == pytest.approx(payload["createTime"])
    assert order.created_at.utcoffset() == timedelta(hours=8)


def test_utc_iso_time_is_converted() -> None:
    payload = sample("own_mini")
    payload["create_time"] = "2025-11-10T16:03:12Z"
    order = adapt("own_mini", payload)
    assert order.created_at.isoformat() == "2025-11-11T00:03:12+08:00"


@pytest.mark.parametrize("channel", KNOWN_CHANNELS)
def test_unknown_fields_land_in_attributes(channel: str) -> None:
    payload = sample(channel)
    payload["seller_flag_color"] = {"color": "red", "memo": "加急"}
    order = adapt(channel, payload)
    assert order.attributes["seller_flag_color"] == {"color": "red", "memo": "加急"}


def test_unknown_item_fields_land_in_line_extras() -> None:
    payload = sample("jd")
    payload["itemInfoList"][0]["giftPoint"] = 5
    order = adapt("jd", payload)
    assert order.attributes["line_extras"][0] == {"giftPoint": 5}


@pytest.mark.parametrize("channel", KNOWN_CHANNELS)
def test_missing_order_id_names_the_native_field(channel: str) -> None:
    payload = sample(channel)
    del payload[SPECS[channel].order_id]
    with pytest.raises(AdapterError) as err:
        adapt(channel, payload)
    assert err.value.field == SPECS[channel].order_id
    assert channel in str(err.value)


def test_bad_amount_and_bad_time_name_their_fields() -> None:
    payload = sample("douyin")
    payload["pay_amount"] = "12.5"  # fen must be an integer
    with pytest.raises(AdapterError, match="pay_amount"):
        adapt("douyin", payload)
    payload = sample("pdd")
    payload["created_time"] = "11/11/2025"
    with pytest.raises(AdapterError, match="created_time"):
        adapt("pdd", payload)
    payload = sample("kuaishou")
    payload["orderItemList"][0]["num"] = 0
    with pytest.raises(AdapterError, match=r"orderItemList\[0\]"):
        adapt("kuaishou", payload)


def test_unknown_channel_is_refused() -> None:
    with pytest.raises(AdapterError, match="no adapter"):
        adapt("taobao_live", {})


def test_platform_id_without_merchant_code_uses_the_map_or_stays_unknown() -> None:
    payload = sample("pdd")
    item = payload["item_list"][0]
    item["outer_id"] = ""
    assert adapt("pdd", payload).lines[0].sku == f"pdd:{item['sku_id']}"
    mapped = adapt("pdd", payload, {("pdd", str(item["sku_id"])): "MY-SKU"})
    assert mapped.lines[0].sku == "MY-SKU"


def _order(**attributes: object) -> Order:
    return Order.model_validate(
        {
            "order_id": "X-1",
            "channel": "x",
            "created_at": "2025-06-18T00:00:05+08:00",
            "customer_id": "c-9",
            "address": {
                "province": "浙江省",
                "city": "杭州市",
                "district": "西湖区",
                "detail": "文新街道文三路90号1幢501",
                "receiver": "李娜",
                "phone": "13912345678",
            },  # fmt: skip
            "warehouse_id": "WH-HZ",
            "lines": [
                {"sku": "MILK-A2-S3-900", "qty": 2, "unit_price": 268.0, "list_price": 298.0},
                {"sku": "MB-0001", "qty": 1, "unit_price": 19.9, "list_price": 29.9},
            ],
            "paid_amount": 525.8,
            "discount_amount": 20.0,
            "attributes": attributes,
        }
    )


@pytest.mark.parametrize("channel", KNOWN_CHANNELS)
def test_to_native_round_trips(channel: str) -> None:
    spec = SPECS[channel]
    base = _order(platform_subsidy=10.0, shipping_fee=8.0, baby_age_months=14, campaign="618")
    native_id = "1234567" if spec.id_is_int else "A-77"
    order = base.model_copy(update={"order_id": f"{spec.prefix}-{native_id}", "channel": channel})
    ids = {"MILK-A2-S3-900": "5550001", "MB-0001": "5550002"}
    native = to_native(order, channel, random.Random(0), ids)
    table = {(channel, pid): sku for sku, pid in ids.items()}
    back = adapt(channel, copy.deepcopy(native), table)
    assert back.order_id == order.order_id and back.created_at == order.created_at
    assert [(x.sku, x.qty, x.unit_price) for x in back.lines] == [
        (x.sku, x.qty, x.unit_price) for x in order.lines
    ]
    assert (back.paid_amount, back.discount_amount) == (525.8, 20.0)
    assert back.attributes["platform_subsidy"] == 10.0 and back.attributes["campaign"] == "618"
    assert back.attributes["shipping_fee"] == 8.0
    if spec.shipping:  # the platform's own postage field
        assert "shipping_fee" not in native
    assert back.address.text().endswith("文三路90号1幢501")
    if spec.masked:
        assert back.address.phone == "139****5678"
    if spec.baby:
        assert back.attributes["baby_age_months"] == 14
