"""Order feature frame: ratios on hand-built orders against tiny reference frames."""

from __future__ import annotations

import io
import warnings
from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest

from features.channel_prices import MIN_SEEN
from features.duplicates import RecentOrders, _timestamp, address_key, fingerprint
from features.order_reference import stage_siblings
from features.orders import FEATURES, order_feature_frame
from features.suggestions import price_suggestion, stock_suggestion
from ordersight.baby_age import age_text_months
from ordersight.reference import ReferenceData, validate_frame

CN = timezone(timedelta(hours=8))
T0 = datetime(2025, 11, 11, 10, 0, tzinfo=CN)

CATALOG = """sku,name,category,list_price,cost,price_floor,stage,max_qty_per_order
MILK-S1,奶粉1段,formula,300,150,240,1,6
MILK-S3,奶粉3段,formula,280,140,,3,6
TV-55,电视,appliance,4000,3000,3500,,
"""
WAREHOUSES = """warehouse_id,name,adcode,lon,lat,capacity_units
WH-HZ,杭州仓,330106,120.13,30.26,100000
WH-BJ,北京仓,110105,116.44,39.92,100000
WH-GZ,广州仓,440106,113.36,23.12,100000
"""
STOCK = """warehouse_id,sku,on_hand,reserved,in_transit
WH-HZ,MILK-S1,10,8,50
WH-BJ,MILK-S1,100,0,0
WH-GZ,MILK-S1,5,0,0
WH-HZ,TV-55,1,0,0
WH-GZ,TV-55,3,0,0
WH-HZ,MILK-S3,40,0,0
"""


def _frame(text: str, kind: str) -> pd.DataFrame:
    raw = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    return validate_frame(raw, kind, f"{kind}.csv")


def small_reference() -> ReferenceData:
    """This module's catalog, warehouses and stock (WH-GZ holds 5 of MILK-S1)."""
    return ReferenceData(
        _frame(CATALOG, "catalog"), _frame(WAREHOUSES, "warehouses"), _frame(STOCK, "stock")
    )


@pytest.fixture()
def ref() -> ReferenceData:
    return small_reference()


def order(
    lines: list[tuple[str, int, float]] | None = None,
    *,
    oid: str = "o1",
    channel: str = "jd",
    at: datetime = T0,
    paid: float | None = None,
    discount: float | None = None,
    warehouse: str | None = None,
    phone: str = "13800138000",
    raw: str = "浙江省杭州市西湖区文三路90号501",
    attributes: dict | None = None,
):
    from ordersight.schema import Order

    lines = lines or [("MILK-S1", 1, 300.0)]
    return Order.model_validate(
        {
            "order_id": oid,
            "channel": channel,
            "created_at": at,
            "customer_id": f"{channel}-c1",
            "address": {"raw": raw, "phone": phone},
            "warehouse_id": warehouse,
            "lines": [{"sku": s, "qty": q, "unit_price": p} for s, q, p in lines],
            "paid_amount": paid,
            "discount_amount": discount,
            "attributes": attributes or {},
        }
    )


def test_columns_match_the_documented_table(ref):
    frame = order_feature_frame([order()], ref)
    assert sorted(frame.columns) == sorted(FEATURES)


def test_price_ratios(ref):
    o = order([("MILK-S1", 2, 270.0), ("TV-55", 1, 2000.0)], paid=2400.0, discount=140.0)
    row = order_feature_frame([o], ref, adcodes=["330106"]).iloc[0]
    assert row.unit_over_list_min == pytest.approx(0.5)  # 2000 / 4000
    assert row.unit_over_list_max == pytest.approx(0.9)  # 270 / 300
    assert row.unit_over_cost_min == pytest.approx(2000 / 3000)
    assert row.unit_over_floor_min == pytest.approx(2000 / 3500)
    gross = 2 * 270 + 2000
    assert row.total_gap_ratio == pytest.approx(abs(2400 - (gross - 140)) / gross)
    assert row.discount_depth == pytest.approx(1 - 2400 / (2 * 300 + 4000))
    assert row.unit_ratio_log10_max == pytest.approx(np.log10(2))
    assert row.price_line == 1 and row.price_line_list == 4000
    assert row.expected_paid == pytest.approx(gross - 140)


def test_fen_slip_shows_as_two_orders_of_magnitude(ref):
    row = order_feature_frame([order([("MILK-S1", 1, 30000.0)], paid=300.0)], ref).iloc[0]
    assert row.unit_ratio_log10_max == pytest.approx(2.0)
    assert row.paid_over_expected_log10 == pytest.approx(-2.0)
    suggestion = price_suggestion(row, "PRICE_UNIT_ERROR")
    assert suggestion == {"field": "lines[0].unit_price", "value": pytest.approx(300.0)}


def test_stock_at_the_named_warehouse(ref):
    o = order([("MILK-S1", 3, 300.0)], warehouse="WH-HZ")
    row = order_feature_frame([o], ref, adcodes=["330106"]).iloc[0]
    assert row.sourcing_warehouse == "WH-HZ"
    assert row.available_min == 2
    assert row.qty_over_available_max == pytest.approx(1.5)
    assert row.qty_over_on_hand_max == pytest.approx(0.3)
    assert row.reserved_share == pytest.approx(0.8)
    assert row.in_transit_cover == pytest.approx((2 + 50) / 3)
    # GZ is nearer to Hangzhou than Beijing but holds only 5 of MILK-S1: 3 fits, so GZ.
    assert row.alt_warehouse == "WH-GZ"
    assert stock_suggestion(row) == {"field": "warehouse_id", "value": "WH-GZ"}


def test_lines_ship_from_the_nearest_warehouse_holding_the_sku(ref):
    o = order([("MILK-S1", 6, 300.0)])
    hz, bj = order_feature_frame([o, o], ref, adcodes=["330106", "110105"]).to_dict("records")
    assert hz["sourcing_warehouse"] == "WH-HZ"  # holds it, only 2 available: a stock issue
    assert hz["qty_over_available_max"] == pytest.approx(3.0)
    assert hz["alt_warehouse"] == "WH-BJ"  # the only one with 6 available
    assert bj["sourcing_warehouse"] == "WH-BJ"
    assert bj["qty_over_available_max"] == pytest.approx(0.06)
    assert bj["alt_warehouse"] is None


def test_flash_sale_stock_and_subsidy(ref):
    o = order(
        [("MILK-S1", 1, 300.0)],
        warehouse="WH-HZ",
        paid=250.0,
        discount=20.0,
        attributes={"flash_sale": True, "flash_sale_stock": 5, "platform_subsidy": 30.0},
    )
    row = order_feature_frame([o], ref).iloc[0]
    assert row.is_flash_sale == 1
    assert row.flash_stock_over_available == pytest.approx(5 / 2)
    assert row.total_gap_ratio == pytest.approx(0.0)
    assert row.discount_share == pytest.approx(50 / 300)
    assert row.promo_season == 1  # 11 November


@pytest.mark.parametrize(
    ("subsidy", "share"),
    [("n/a", 20 / 300), (None, 20 / 300), ("1e400", np.finfo(float).max / 300)],
)
def test_a_subsidy_that_is_not_a_finite_number_never_makes_the_discount_nan(ref, subsidy, share):
    attributes = {} if subsidy is None else {"platform_subsidy": subsidy}
    o = order([("MILK-S1", 1, 300.0)], paid=280.0, discount=20.0, attributes=attributes)
    row = order_feature_frame([o], ref).iloc[0]
    assert row.discount_share == pytest.approx(share)


def test_split_when_no_single_warehouse_has_all(ref):
    o = order([("MILK-S1", 50, 300.0), ("TV-55", 2, 4000.0)])
    row = order_feature_frame([o], ref, adcodes=["330106"]).iloc[0]
    assert row.any_warehouse_can_ship == 0
    assert row.split_plan == {"MILK-S1": "WH-BJ", "TV-55": "WH-GZ"}
    assert stock_suggestion(row) == {"field": "split", "value": row.split_plan}


def test_unknown_sku_gives_nan_catalog_features(ref):
    frame = order_feature_frame(
        [order([("NOPE", 1, 10.0)]), order([("NOPE", 1, 10.0), ("MILK-S1", 1, 150.0)])], ref
    )
    only, mixed = frame.iloc[0], frame.iloc[1]
    assert only.n_unknown_sku == 1
    for col in ("unit_over_list_min", "qty_over_available_max", "unit_over_cost_min"):
        assert np.isnan(only[col])
    assert mixed.n_unknown_sku == 1
    assert mixed.unit_over_list_min == pytest.approx(0.5)


def test_a_catalog_sku_in_another_case_or_with_spaces_is_known(ref):
    frame = order_feature_frame(
        [order([("MILK-S1", 2, 150.0)]), order([(" milk-s1 ", 2, 150.0)])], ref
    )
    assert frame["n_unknown_sku"].tolist() == [0, 0]
    assert frame.iloc[1].equals(frame.iloc[0])


def test_skus_that_differ_only_in_case_are_matched_exactly_only():
    catalog = CATALOG + "ab-1,甲,food,10,5,,,\nAB-1,乙,food,20,5,,,\n"
    two = ReferenceData(
        _frame(catalog, "catalog"), _frame(WAREHOUSES, "warehouses"), _frame(STOCK, "stock")
    )
    frame = order_feature_frame([order([(s, 1, 10.0)]) for s in ("ab-1", "AB-1", "Ab-1")], two)
    assert frame["unit_over_list_min"].tolist()[:2] == [1.0, 0.5]
    assert frame["n_unknown_sku"].tolist() == [0, 0, 1]


PRICE_COLUMNS = [
    "unit_over_list_min", "unit_over_list_max", "unit_over_cost_min", "unit_over_floor_min",
    "lines_below_floor", "lines_below_cost", "list_mismatch_max", "discount_depth",
    "unit_ratio_log10_max", "total_gap_ratio", "price_line_unit", "price_line_list",
]  # fmt: skip


def test_a_gift_line_is_stocked_but_not_priced(ref):
    """A 赠品 at price 0 (marked or beside a paid line) or a marked token-price add-on leaves the
    price features as without it; it still needs stock."""
    base = [("MILK-S1", 2, 290.0)]
    orders = [
        order(base, paid=580.0),
        order([*base, ("TV-55", 1, 0.0)], paid=580.0),
        order([*base, ("TV-55", 1, 0.01)], paid=580.01),
    ]
    orders[2].lines[1].gift = True
    frame = order_feature_frame(orders, ref, adcodes=["330106"] * 3)
    for row in (1, 2):  # the 0.01 paid for the add-on moves the discount depth by 2e-5
        pd.testing.assert_series_equal(
            frame.loc[row, PRICE_COLUMNS],
            frame.loc[0, PRICE_COLUMNS],
            check_names=False,
            check_exact=row == 1,
            atol=1e-4,
        )
    assert frame["n_lines"].tolist() == [1, 2, 2]
    assert frame.loc[1, "available_min"] < frame.loc[0, "available_min"]  # the gift needs stock


def test_a_zero_price_on_every_line_is_a_pricing_error_not_a_gift(ref):
    unmarked_token = order([("MILK-S1", 2, 290.0), ("TV-55", 1, 0.01)], paid=580.01)
    frame = order_feature_frame([order([("TV-55", 1, 0.0)], paid=0.0), unmarked_token], ref)
    assert frame.loc[0, "unit_over_list_min"] == 0.0 and frame.loc[0, "lines_below_cost"] == 1
    assert frame.loc[1, "lines_below_cost"] == 1  # 0.01 unmarked: priced like any line


def test_split_lines_of_one_sku_need_stock_and_count_against_the_limit_together(ref):
    """Buy 2 get 1 free as two lines, or 8 units split into 4 + 4 to slip under a limit of 6."""
    whole, split, limited = order_feature_frame(
        [
            order([("MILK-S1", 3, 300.0)], warehouse="WH-HZ"),
            order([("MILK-S1", 2, 300.0), ("MILK-S1", 1, 0.0)], warehouse="WH-HZ"),
            order([("MILK-S1", 4, 300.0), ("MILK-S1", 4, 300.0)], warehouse="WH-BJ"),
        ],
        ref,
    ).to_dict("records")
    assert split["qty_over_available_max"] == whole["qty_over_available_max"] == 1.5  # 3 of 2
    assert split["lines_short_available"] == 2
    assert limited["qty_over_limit_max"] == pytest.approx(8 / 6)


def test_postage_paid_is_no_total_mismatch(ref):
    plain = order([("MILK-S1", 2, 290.0)], paid=580.0)
    shipped = order([("MILK-S1", 2, 290.0)], paid=590.0, attributes={"shipping_fee": 10})
    unexplained = order([("MILK-S1", 2, 290.0)], paid=590.0)
    elsewhere = order([("MILK-S1", 2, 290.0)], paid=590.0, attributes={"运费": "10"})
    frame = order_feature_frame([plain, shipped, unexplained, elsewhere], ref)
    cols = ["total_gap_ratio", "paid_over_expected_log10", "discount_depth"]
    assert frame.loc[1, cols].tolist() == frame.loc[0, cols].tolist()
    assert frame.loc[3, cols].tolist() == frame.loc[0, cols].tolist()
    assert frame["expected_paid"].tolist() == [580.0, 590.0, 580.0, 590.0]
    assert frame.loc[2, "total_gap_ratio"] > 0


def test_rounding_under_a_yuan_is_no_total_mismatch(ref):
    """A till dropping the jiao and fen (抹零: 580.93 → 580) or a coupon's per-line fen is
    rounding; a yuan or more is a gap, in either direction."""
    lines = [("MILK-S1", 1, 290.0), ("TV-55", 1, 290.93)]
    exact = order(lines, paid=580.93)
    till = order(lines, paid=580.0)
    coupon = order(lines, paid=560.95, discount=20.0)
    short, over = order(lines, paid=579.93), order(lines, paid=582.0)
    frame = order_feature_frame([exact, till, coupon, short, over], ref)
    cols = ["total_gap_ratio", "paid_over_expected_log10"]
    assert frame.loc[:2, cols].to_numpy().tolist() == [[0.0, 0.0]] * 3
    assert frame.loc[3, "total_gap_ratio"] == pytest.approx(1.0 / 580.93)
    assert frame.loc[3, "paid_over_expected_log10"] < 0 < frame.loc[4, "paid_over_expected_log10"]


def test_a_discount_already_in_the_unit_prices_is_not_taken_off_again(ref):
    """CONTRACT §2's example reports as discount_amount the markdown from list to unit prices
    (2 × (298 − 268) = 60) and pays the lines' total (536); the usual reading (a coupon off the
    lines: paid 476) stays right, and a paid amount fitting neither is a gap."""
    orders = []
    for paid in (536.0, 476.0, 500.0):
        o = order([("MILK-S1", 2, 268.0)], paid=paid, discount=60.0)
        o.lines[0].list_price = 298.0
        orders.append(o)
    frame = order_feature_frame(orders, ref)
    assert frame["total_gap_ratio"].tolist()[:2] == [0.0, 0.0]
    assert frame["expected_paid"].tolist() == [536.0, 476.0, 476.0]
    assert frame["discount_share"].tolist() == [0.0, 60 / 536, 60 / 536]
    assert frame.loc[2, "total_gap_ratio"] == pytest.approx(24 / 536)


def test_a_channel_listing_its_own_price_stops_being_a_mismatch(ref):
    """With the order stream (a RecentOrders), a channel that lists MILK-S1 at 330 instead of
    the catalog's 300 mismatches on its first orders only; one back at 300 mismatches again."""
    listed = [
        order([("MILK-S1", 1, 290.0)], oid=f"o{i}", phone=f"1380013{i:04d}") for i in range(8)
    ]
    for o in listed:
        o.lines[0].list_price = 330.0
    back = order([("MILK-S1", 1, 290.0)], oid="back", phone="13900000000")
    back.lines[0].list_price = 300.0
    recent = RecentOrders()
    frame = order_feature_frame([*listed, back], ref, recent)
    mismatch = frame["list_mismatch_max"].round(4).tolist()
    assert mismatch[:5] == [0.1] * 5 and mismatch[5:8] == [0.0] * 3
    assert mismatch[8] == round(1 - 300 / 330, 4)
    alone = order_feature_frame(listed[-1:], ref)  # without the stream: the catalog is the norm
    assert alone["list_mismatch_max"].round(4).tolist() == [0.1]


def test_a_retried_order_does_not_teach_its_channel_a_price(ref):
    """The pipeline sends an order again after a timeout, the queue redelivers one: each time it
    is the same order, scored the same, not five orders showing the channel's own price."""
    wrong = order([("MILK-S1", 1, 290.0)], oid="retried")
    wrong.lines[0].list_price = 330.0
    recent = RecentOrders()
    tries = [order_feature_frame([wrong], ref, recent) for _ in range(MIN_SEEN + 3)]
    assert [t.loc[0, "list_mismatch_max"].round(4) for t in tries] == [0.1] * (MIN_SEEN + 3)
    twice_in_a_batch = order_feature_frame([wrong] * (MIN_SEEN + 3), ref, RecentOrders())
    assert twice_in_a_batch["list_mismatch_max"].round(4).tolist() == [0.1] * (MIN_SEEN + 3)


def test_a_cent_of_rounding_is_no_list_mismatch(ref):
    o = order([("MILK-S1", 1, 290.0)])
    o.lines[0].list_price = 300.0 * (1 + 1e-12)
    assert order_feature_frame([o], ref)["list_mismatch_max"].tolist() == [0.0]


def test_format_flags(ref):
    o = order(channel="weird_shop", warehouse="WH-XX")
    row = order_feature_frame([o], ref).iloc[0]
    assert (row.unknown_channel, row.unknown_warehouse, row.paid_missing) == (1, 1, 1)
    assert np.isnan(row.qty_over_available_max) and row.sourcing_warehouse is None


def test_a_warehouse_written_by_name_or_in_another_case_is_that_warehouse(ref):
    spelled = [order(warehouse=w) for w in ("WH-BJ", "wh-bj ", "北京仓", "上海仓")]
    frame = order_feature_frame(spelled, ref)
    assert frame["unknown_warehouse"].tolist() == [0, 0, 0, 1]
    assert frame["sourcing_warehouse"].tolist() == ["WH-BJ"] * 3 + [None]


def test_without_floors_the_floor_count_is_no_evidence(ref):
    """A catalog without price floors says nothing about floors: the count is NaN, not 0 (a 0
    reads as "checked, above the floor", and below cost is below the floor too)."""
    under = order([("MILK-S1", 1, 100.0)], paid=100.0)
    assert order_feature_frame([under], ref).iloc[0].lines_below_floor == 1
    floorless = ReferenceData(ref.catalog.assign(price_floor=np.nan), ref.warehouses, ref.stock)
    row = order_feature_frame([under], floorless).iloc[0]
    assert np.isnan(row.lines_below_floor) and row.lines_below_cost == 1


def test_no_warehouses_means_no_stock_evidence(ref):
    bare = ReferenceData(ref.catalog, ref.warehouses.iloc[:0], ref.stock.iloc[:0])
    row = order_feature_frame([order()], bare, adcodes=["330106"]).iloc[0]
    assert np.isnan(row.qty_over_available_max) and row.sourcing_warehouse is None
    assert row.unit_over_list_min == pytest.approx(1.0)


def test_paid_amount_slip_suggests_the_expected_amount(ref):
    row = order_feature_frame([order([("MILK-S1", 2, 290.0)], paid=58000.0)], ref).iloc[0]
    assert row.paid_over_expected_log10 == pytest.approx(2.0)
    assert price_suggestion(row, "PRICE_UNIT_ERROR") == {"field": "paid_amount", "value": 580.0}
    floor = {"field": "lines[0].unit_price", "value": 240.0}
    assert price_suggestion(row, "PRICE_BELOW_FLOOR") == floor


def test_compliance_stage_age_and_limit(ref):
    young = order([("MILK-S3", 8, 280.0)], attributes={"baby_age_months": 4})
    fits = order([("MILK-S1", 1, 300.0)], attributes={"baby_age_months": 4})
    rows = order_feature_frame([young, fits], ref, adcodes=["330106", None])
    assert rows.stage_age_mismatch.tolist() == [1, 0]
    assert rows.formula_stage_max.tolist() == [3, 1]
    assert rows.qty_over_limit_max.iloc[0] == pytest.approx(8 / 6)
    assert rows.province_adcode.tolist() == ["330000", None]


def test_compliance_fixes_name_the_line_and_its_correction(ref):
    """The stage rule's suggestion is the catalog's same formula at the stage for the age, on
    the line that does not fit; the limit rule's is that line's qty less the units over."""
    young = order([("TV-55", 1, 3900.0), ("MILK-S3", 8, 280.0)], attributes={"baby_age_months": 4})
    older = order([("MILK-S1", 2, 300.0)], attributes={"baby_age_months": 40})  # no stage 4 sold
    split = order([("MILK-S1", 4, 300.0), ("MILK-S1", 5, 300.0)])  # 9 of a SKU limited to 6
    fits = order([("MILK-S1", 1, 300.0)], attributes={"baby_age_months": 4})
    rows = order_feature_frame([young, older, split, fits], ref)
    assert rows.stage_line.tolist()[:2] == [1, 0] and np.isnan(rows.stage_line[2:]).all()
    assert rows.stage_fix_sku.tolist() == ["MILK-S1", None, None, None]
    assert rows.limit_line.tolist()[0] == 1 and rows.limit_line.tolist()[2] == 0
    assert rows.limit_fix_qty.tolist() == [6, None, 1, None]  # 4 of the 9 less the 3 over


@pytest.mark.parametrize(
    ("sku", "fix"),
    [
        ("MILKS1", "MILK-S1"),  # the separators left out
        ("milk_s3", "MILK-S3"),
        ("A2-MILK-S3-90O", "A2-MILK-S3-900"),  # a slip, clearly closest to one SKU
        ("A2-MILK-S3-9OO", None),  # two slips: too far to guess
        ("MILK-S2", None),  # as close to MILK-S1 as to MILK-S3: no guess
        ("SOFA-01", None),  # a new product: nothing like it
    ],
)
def test_an_unknown_sku_suggests_the_catalog_sku_it_most_likely_means(sku, fix):
    catalog = _frame(CATALOG + "A2-MILK-S3-900,a2奶粉3段900g,formula,398,200,,3,6\n", "catalog")
    ref = ReferenceData(catalog, _frame(WAREHOUSES, "warehouses"), _frame(STOCK, "stock"))
    row = order_feature_frame([order([("TV-55", 1, 3900.0), (sku, 1, 10.0)])], ref).iloc[0]
    assert row.n_unknown_sku == 1 and row.unknown_line == 1
    assert row.sku_fix == fix


@pytest.mark.parametrize(
    ("names", "siblings"),
    [
        (
            ["飞鹤星飞帆 1段 700g", "飞鹤星飞帆 3段 700g", "飞鹤星飞帆 3段 130g"],
            {(0, 3): 1, (1, 1): 0},
        ),
        (["Aptamil Stage 2 800g", "aptamil  stage 3 800g"], {(0, 3): 1, (1, 2): 0}),
        (["美素佳儿 二段", "美素佳儿 三段"], {(0, 3): 1, (1, 2): 0}),
        (["奶粉", "奶粉"], {}),  # the stage is not in the name: nothing to tell them by
    ],
)
def test_stage_siblings_are_read_from_the_product_names(names, siblings):
    stages = {"1段": 1, "3段": 3, "Stage 2": 2, "stage 3": 3, "二段": 2, "三段": 3}
    staged = [next((v for k, v in stages.items() if k in n), 1) for n in names]
    found = stage_siblings(
        pd.Series(names), pd.Series(["formula"] * len(names)), np.array(staged, float)
    )
    assert found == siblings


@pytest.mark.parametrize(
    ("attributes", "months"),
    [
        ({"baby_age_months": 4}, 4),
        ({"宝宝月龄": "4个月"}, 4),
        ({"baby_age": "0岁6个月"}, 6),
        # as parents type it: Chinese numerals, halves, 大 / 多, days
        ({"宝宝月龄": "三个半月"}, 3),
        ({"baby_age": "十个月大"}, 10),
        ({"baby_age": "半岁"}, 6),
        ({"baby_age": "宝宝20天"}, 0),
        ({"baby_birthday": "2025-07-20"}, 3),  # on T0, 2025-11-11: three whole months
        ({"宝宝生日": "2025年7月1日"}, 4),
        ({"baby_age": "不详", "baby_birthday": "2025/7/1"}, 4),
        ({"baby_age": "不详"}, None),
    ],
)
def test_a_baby_age_declared_as_other_systems_write_it(ref, attributes, months):
    row = order_feature_frame([order([("MILK-S3", 1, 280.0)], attributes=attributes)], ref)
    if months is None:
        assert np.isnan(row.loc[0, "baby_age_months"]) and row.loc[0, "stage_age_mismatch"] == 0
    else:
        assert row.loc[0, "baby_age_months"] == months and row.loc[0, "stage_age_mismatch"] == 1


def _batch_equals_singles(
    orders: list, ref: ReferenceData, adcodes: list, new_stream=RecentOrders
) -> pd.DataFrame:
    """The batch's features, asserted equal to its orders' one by one on one order stream."""
    together = order_feature_frame(orders, ref, new_stream(), adcodes=adcodes)
    recent = new_stream()
    singles = pd.concat(
        [
            order_feature_frame([o], ref, recent, adcodes=[a])
            for o, a in zip(orders, adcodes, strict=True)
        ],
        ignore_index=True,
    )
    pd.testing.assert_frame_equal(together, singles, check_dtype=False)
    return together


def test_batch_equals_singles(ref, new_stream):
    batch = [
        order([("MILK-S1", k + 1, 250.0 + k)], oid=f"o{k}", paid=100.0 * k, at=T0 + timedelta(k))
        for k in range(5)
    ] + [order([("TV-55", 2, 3900.0), ("NOPE", 1, 1.0)], oid="o9", warehouse="WH-GZ")]
    tv = [("TV-55", 1, 3900.0)]
    copies = [order(tv, oid="c1", channel="tmall"), order(tv, oid="c2")]  # c2: c1's copy on jd
    copies.append(copies[0])  # c1 sent again: a retry
    adcodes = ["330106", "110105", None, "440106", "330106", "110105", *["330106"] * 3]
    frame = _batch_equals_singles(batch + copies, ref, adcodes, new_stream)
    assert frame.dup_cross_channel.tolist()[-3:] == [0, 1, 1]  # the retry: c2, not itself
    assert frame.dup_same_channel.sum() == 0


def test_duplicates_across_channels_within_window(ref, new_stream):
    recent = new_stream()
    first = order(oid="a", channel="tmall")
    same_spaced = order(oid="b", channel="jd", raw="浙江省 杭州市 西湖区 文三路９０号501")
    again_same = order(oid="c", channel="jd", at=T0 + timedelta(hours=3))
    late = order(oid="d", channel="douyin", at=T0 + timedelta(hours=30))
    other_lines = order([("MILK-S1", 2, 300.0)], oid="e", channel="pdd")
    frame = order_feature_frame([first, same_spaced, again_same, late, other_lines], ref, recent)
    assert frame.dup_cross_channel.tolist() == [0, 1, 1, 0, 0]
    assert frame.dup_same_channel.tolist() == [0, 0, 1, 0, 0]  # d is 27 h after c
    # what each repeats, for the suggestion: c repeats b on jd, but a on tmall is named first
    assert frame.duplicate_of.tolist() == [None, "a", "a", None, None]
    again = order_feature_frame([order(oid="f", channel="pdd", lines=[("MILK-S1", 2, 300.0)])],
                                ref, recent)  # fmt: skip
    assert again.duplicate_of.tolist() == ["e"] and again.dup_same_channel.tolist() == [1]
    retry = order_feature_frame([first], ref, recent).iloc[0]  # a again: not its own duplicate,
    assert (retry.dup_same_channel, retry.dup_cross_channel) == (0, 2)  # b's and c's (3 h later)


def test_a_duplicate_that_arrives_before_the_order_it_repeats_is_found(ref, new_stream):
    """Channels deliver with different delays: a jd copy created an hour after the tmall order
    can reach us first. The tmall order, arriving second, still has its duplicate."""
    later_copy = order(oid="jd-copy", channel="jd", at=T0 + timedelta(hours=1))
    original = order(oid="tm-first", channel="tmall")
    too_late = order(oid="pdd-old", channel="pdd", at=T0 - timedelta(hours=30))
    frame = order_feature_frame([later_copy, original, too_late], ref, new_stream())
    assert frame.dup_cross_channel.tolist() == [0, 1, 0]


def test_the_stream_remembers_the_orders_it_sent_to_a_person_within_the_window(ref):
    """Whichever their fingerprint when sent again (a corrected address or price), orders sent
    to review or hold are known under their id until the window forgets them."""
    recent = RecentOrders(window=timedelta(hours=24))
    order_feature_frame([order(oid="a"), order(oid="b")], ref, recent)
    recent.remember_queued([order(oid="a")])
    assert recent.queued_among(["a", "b"]) == {"a"}
    order_feature_frame([order(oid="z", at=T0 + timedelta(hours=30))], ref, recent)
    recent.prune()
    assert not recent.queued_among(["a"])


def test_extreme_prices_give_capped_features_and_no_warning(ref):
    """A price of 1e300 (a sender's bug) overflows ratios and the model's float32 matrix to inf:
    the order is still scored, and the service's log gets no RuntimeWarning for it."""
    from features.orders import order_feature_columns
    from models.tabular import feature_matrix

    huge = order([("MILK-S1", 1, 1e300)], paid=1e-300)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cols = order_feature_columns([huge], ref)
        x = feature_matrix(cols, ["unit_over_list_max", "paid_over_expected_log10"])
    assert cols["unit_over_list_max"][0] == pytest.approx(1e300 / 300)
    assert np.isinf(x[0, 0]) and x[0, 1] == -6  # log10 of paid / expected, clipped


def test_a_naive_time_is_china_time_to_the_microsecond():
    """The duplicate window reads naive times as China time by their distance from the epoch;
    that must be the very float an aware China time gives, or a naive and an aware copy of one
    order would sit a rounding apart."""
    rng = np.random.default_rng(0)
    seconds = rng.integers(-2_000_000_000, 4_000_000_000, 2_000)
    micros = rng.integers(0, 1_000_000, 2_000)
    for s, us in zip(seconds.tolist(), micros.tolist(), strict=True):
        naive = datetime(1970, 1, 1) + timedelta(seconds=s, microseconds=us)
        assert _timestamp(naive) == naive.replace(tzinfo=CN).timestamp()
        assert _timestamp(naive.replace(tzinfo=CN)) == naive.replace(tzinfo=CN).timestamp()


def test_fingerprint_ignores_region_spelling_with_adcode():
    a = order(raw="浙江省杭州市西湖区文三路90号501")
    b = order(raw="浙江杭州西湖区文三路90号501")
    assert fingerprint(a, "330106") == fingerprint(b, "330106")
    assert fingerprint(a, "330106") != fingerprint(order(phone="13900000000"), "330106")


@pytest.mark.parametrize(
    "noisy",
    [
        "浙江省杭州市西湖区文三路90号501送货前打电话",
        "浙江杭州市西湖区 文三路90号501(工作日送) 张三，13800138000",
        "浙江省杭州市杭州市西湖区文三路９０号５０１",
        "浙江省杭州市西湖区文三路90号501 张三 138 0013 8000",
    ],
)
def test_address_key_ignores_notes_phones_and_spelling(noisy):
    clean = address_key("浙江省杭州市西湖区文三路90号501", "330106")
    assert address_key(noisy, "330106") == clean
    assert address_key("浙江省杭州市西湖区文三路90号502", "330106") != clean


@pytest.mark.parametrize(
    "note",
    [
        "放门口",
        "请放快递柜",
        "送货前打电话",
        "放驿站工作日送",
        " 向妍勤 17722372703",
        " 向妍勤，17722372703",
    ],
)
def test_a_note_or_name_after_a_door_without_a_number_is_not_part_of_it(note):
    clean = address_key("天津市河北区碧桂园府妈妈驿站", "120105")
    assert address_key(f"天津市，河北区碧桂园府妈妈驿站{note}", "120105") == clean
    assert address_key("天津市河北区碧桂园府邻里驿站", "120105") != clean


def test_masked_and_full_phones_are_the_same_receiver():
    full = order(channel="own_app", phone="13800138000")
    masked = order(channel="tmall", phone="138****8000")
    other = order(channel="tmall", phone="138****8001")
    assert fingerprint(full, "330106") == fingerprint(masked, "330106")
    assert fingerprint(other, "330106") != fingerprint(full, "330106")
    international = order(channel="own_mini", phone="+86 138 0013 8000")
    assert fingerprint(international, "330106") == fingerprint(masked, "330106")


def test_categories_and_region_codes_for_compliance_rules(ref):
    mixed = order([("TV-55", 1, 4000.0), ("MILK-S1", 1, 300.0), ("NOPE", 1, 1.0)])
    tv = order([("TV-55", 1, 4000.0)], oid="o2")
    rows = order_feature_frame([mixed, tv], ref, adcodes=["540102", None]).to_dict("records")
    assert rows[0]["categories"] == "appliance|formula"  # sorted, unknown SKU left out
    assert rows[0]["province_adcode"] == "540000" and rows[0]["city_adcode"] == "540100"
    assert rows[1]["categories"] == "appliance"
    assert rows[1]["province_adcode"] is None and rows[1]["city_adcode"] is None


def _after_snapshot(ref: ReferenceData, hours: float = -1) -> ReferenceData:
    """``ref`` with its stock numbers taken ``hours`` after T0 (before it by default)."""
    ref.stock_as_of = (T0 + timedelta(hours=hours)).timestamp()
    return ref


def _flash(k: int, qty: int, minutes: int | None = None):
    """Flash-sale order k: MILK-S1 from WH-GZ (5 on hand), one buyer each."""
    at = T0 + timedelta(minutes=k if minutes is None else minutes)
    return order([("MILK-S1", qty, 300.0)], oid=f"f{k}", phone=f"1390000{k:04d}", at=at,
                 warehouse="WH-GZ")  # fmt: skip


def _stock_view(frame: pd.DataFrame) -> list[tuple[float, int]]:
    return list(zip(frame.available_min, frame.lines_short_available, strict=True))


def test_a_flash_sale_cannot_sell_the_same_units_twice(ref, new_stream):
    """Between two stock snapshots every order read the same 5 units; now each reads what the
    orders before it (in this batch or earlier ones) left, and one it cannot fill takes none."""
    ref, recent = _after_snapshot(ref), new_stream()
    first = order_feature_frame([_flash(1, 2), _flash(2, 2)], ref, recent)
    assert _stock_view(first) == [(5, 0), (3, 0)]
    second = order_feature_frame([_flash(3, 2), _flash(4, 1), _flash(5, 1)], ref, recent)
    assert _stock_view(second) == [(1, 1), (1, 0), (0, 1)]
    alone = order_feature_frame([_flash(6, 1)], ref)  # no order stream: the snapshot alone
    assert _stock_view(alone) == [(5, 0)]


def test_a_retried_flash_order_keeps_its_answer(ref, new_stream):
    """A retry takes nothing again and is read without its own take: the order that got the
    units still has them, the one that did not still has not."""
    ref, recent = _after_snapshot(ref), new_stream()
    order_feature_frame([_flash(1, 3), _flash(2, 3), _flash(3, 2)], ref, recent)
    retries = order_feature_frame([_flash(1, 3), _flash(2, 3), _flash(3, 2)], ref, recent)
    assert retries.lines_short_available.tolist() == [0, 1, 0]
    later = order_feature_frame([_flash(4, 1)], ref, recent)
    assert _stock_view(later) == [(0, 1)]  # 3 + 2 of 5 taken, once each


def test_orders_created_before_the_stock_snapshot_are_in_it(ref, new_stream):
    """A replayed file or training history reads the snapshot as it is: it counts them."""
    ref, recent = _after_snapshot(ref, hours=2), new_stream()
    frame = order_feature_frame([_flash(k, 2) for k in range(4)], ref, recent)
    assert _stock_view(frame) == [(5, 0)] * 4


def test_a_refreshed_stock_row_starts_its_count_again(ref, new_stream):
    """New numbers for a row include the orders taken before them; the same numbers sent again
    (the warehouse system has not seen the orders yet) keep the count."""
    ref, recent = _after_snapshot(ref), new_stream()
    order_feature_frame([_flash(1, 2), _flash(2, 2)], ref, recent)
    same = ReferenceData(ref.catalog, ref.warehouses, ref.stock.copy(), stock_as_of=0.0)
    assert _stock_view(order_feature_frame([_flash(3, 1)], same, recent)) == [(1, 0)]
    stock = ref.stock.copy()
    stock.loc[(stock.sku == "MILK-S1") & (stock.warehouse_id == "WH-GZ"), "reserved"] = 4
    refreshed = ReferenceData(ref.catalog, ref.warehouses, stock, stock_as_of=0.0)
    assert _stock_view(order_feature_frame([_flash(4, 1)], refreshed, recent)) == [(1, 0)]
    assert _stock_view(order_feature_frame([_flash(5, 1)], refreshed, recent)) == [(0, 1)]


def test_a_flash_sale_ships_from_the_next_warehouse_once_the_nearest_is_taken(ref, new_stream):
    """An order naming no warehouse ships from the nearest one holding units no order has taken
    (WH-GZ's 5 for a Guangzhou buyer, then WH-HZ's); in one batch or one by one alike, and a
    retry keeps the warehouse it had."""
    ref = _after_snapshot(ref)

    def buyer(k: int, qty: int):
        return order([("MILK-S1", qty, 300.0)], oid=f"g{k}", phone=f"1370000{k:04d}",
                     at=T0 + timedelta(minutes=k), raw="广东省广州市天河区天河路385号")  # fmt: skip

    buyers = [buyer(1, 5), buyer(2, 1), buyer(3, 2)]
    together = _batch_equals_singles(buyers, ref, ["440106"] * 3, new_stream)
    recent = new_stream()
    order_feature_frame(buyers, ref, recent, adcodes=["440106"] * 3)
    assert together.sourcing_warehouse.tolist() == ["WH-GZ", "WH-HZ", "WH-HZ"]
    assert together.lines_short_available.tolist() == [0, 0, 1]  # WH-HZ: 10 on hand, 8 reserved
    retry = order_feature_frame([buyer(1, 5)], ref, recent, adcodes=["440106"])
    assert (retry.sourcing_warehouse[0], retry.lines_short_available[0]) == ("WH-GZ", 0)


@pytest.mark.parametrize("warehouse", ["WH-BJ", "WH-GZ"])  # 100 units: all fit; 5: they run out
def test_a_large_live_batch_reads_the_stock_as_its_orders_one_by_one(ref, new_stream, warehouse):
    """Over 16 lines a batch whose lines all fit is taken in one vectorised pass, else line by
    line; either way each order gets the answer it gets alone."""
    ref = _after_snapshot(ref)
    cities = [("北京市朝阳区建国路88号", "110105"), ("广东省广州市天河区天河路385号", "440106")]
    buyers, adcodes = [], []
    for k in range(24):
        raw, adcode = cities[k % 2]
        lines = [("MILK-S1", 1 + k % 3, 300.0)] + ([("MILK-S1", 1, 300.0)] * (k % 4 == 0))
        at = T0 + timedelta(minutes=k)
        phone, named = f"1360000{k:04d}", warehouse if k % 3 else None
        buyers.append(order(lines, oid=f"b{k}", phone=phone, at=at, raw=raw, warehouse=named))
        adcodes.append(adcode)
    together = _batch_equals_singles(buyers, ref, adcodes, new_stream)
    assert (together.lines_short_available > 0).any() == (warehouse == "WH-GZ")


def test_a_live_order_of_unknown_skus_takes_nothing(ref, new_stream):
    frame = order_feature_frame(
        [order([("NOPE", 1, 10.0)], oid="u1")], _after_snapshot(ref), new_stream()
    )
    assert frame.n_unknown_sku.tolist() == [1] and np.isnan(frame.available_min[0])


@pytest.mark.parametrize(
    ("text", "months"),
    [
        ("1岁3个月", 15),
        ("一岁半", 18),
        ("1.5岁", 18),
        ("两岁", 24),
        ("1周岁", 12),
        ("1岁零2个月", 14),
        ("二十三个月", 23),
        ("1岁多", 12),
        ("0-6个月", None),  # a range is no age
        ("3岁以上", None),
        ("不详", None),
    ],
)
def test_an_age_text_reads_as_whole_months(text: str, months: int | None) -> None:
    assert age_text_months(text) == months
