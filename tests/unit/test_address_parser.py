"""Behavioural tests of the address parser: minimum functionality on the hard cases real orders
have, invariance to noise, and directional checks (conflicts flagged, ambiguity ranked)."""

from __future__ import annotations

import random

import pytest
from pydantic import ValidationError

from features.address import (
    FEATURES,
    address_feature_frame,
    analyse,
    parse_address,
    parse_addresses,
    phone_kind,
    valid_phone,
)
from ordersight.codes import codes_of
from ordersight.gazetteer import DISTRICT, load_gazetteer


def _levels(text: str) -> tuple[str | None, str | None, str | None]:
    p = parse_address(text)
    return p.province, p.city, p.district


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("浙江杭州市西湖区文三路90号东部软件园1号楼501", ("浙江省", "杭州市", "西湖区")),
        ("浙江杭州西湖文三路90号", ("浙江省", "杭州市", "西湖区")),  # short forms
        ("浙江萧山城厢街道人民路1号", ("浙江省", "杭州市", "萧山区")),  # suffix-less district
        ("鄞州区钱湖北路8号", ("浙江省", "宁波市", "鄞州区")),  # parents filled
        ("浙江省慈溪市观海卫镇卫山路2号", ("浙江省", "宁波市", "慈溪市")),  # county-level city
        ("义乌市稠城街道工人北路1号", ("浙江省", "金华市", "义乌市")),
        ("上海市黄浦区陕西南路100号", ("上海市", "上海市", "黄浦区")),  # street ≠ province
        ("上海市南京东路100号", ("上海市", "上海市", None)),  # 南京 is a street here
        ("广州市北京路步行街3号", ("广东省", "广州市", None)),
        ("南京市鼓楼区中山北路1号", ("江苏省", "南京市", "鼓楼区")),
        ("山东 青岛 市北区 辽宁路1号", ("山东省", "青岛市", "市北区")),  # 青岛市北区
        ("湖北省襄樊市樊城区人民路1号", ("湖北省", "襄阳市", "樊城区")),  # former name
        ("新疆乌鲁木齐市天山区解放北路1号", ("新疆维吾尔自治区", "乌鲁木齐市", "天山区")),
        ("湖北省潜江市园林街道1号", ("湖北省", "潜江市", "潜江市")),
        ("北京市北京市朝阳区建国路88号", ("北京市", "北京市", "朝阳区")),
    ],
)
def test_hard_cases_resolve(text: str, expected: tuple) -> None:
    assert _levels(text) == expected


def test_detail_is_what_follows_the_regions() -> None:
    p = parse_address("张三 13800138000 浙江省-杭州市_西湖区(电联)文三路90号3幢501")
    assert p.adcode == "330106"
    assert p.detail == "文三路90号3幢501"
    assert p.standardized == "浙江省杭州市西湖区文三路90号3幢501"


@pytest.mark.parametrize(
    ("text", "adcode", "detail"),
    [
        ("文三路90号3幢501, 西湖区, 杭州市, 浙江省", "330106", "文三路90号3幢501"),
        ("臺北路88號 湖北省武漢市江岸區", "420102", "台北路88号"),
        ("张三 西湖区 杭州市 浙江省", "330106", None),  # a pasted name names no door
    ],
)
def test_detail_written_before_the_regions(text: str, adcode: str, detail: str | None) -> None:
    """Exports that join detail, district, city and province in that order."""
    p = parse_address(text)
    assert (p.adcode, p.detail) == (adcode, detail)
    assert ("ADDR_DETAIL_MISSING" in p.defects) == (detail is None)


@pytest.mark.parametrize(
    ("text", "detail", "prefix_len"),
    [
        ("3号楼2单元201 浙江省杭州市滨江区江南大道", "江南大道3号楼2单元201", 0),
        ("3栋501室，浙江省杭州市滨江区江南大道", "江南大道3栋501室", 0),
        ("Room 501, Building 3, 浙江省杭州市滨江区江南大道", "江南大道 Room 501, Building 3", 0),
        ("文三路90号 西湖区 杭州市 浙江省", "文三路90号", 0),  # the head is the whole detail
        # not a door first: the detail after the regions has its own number (pasted twice),
        # or the head names no door (a pasted name, an order number)
        ("江南大道3号 浙江省杭州市滨江区江南大道3号", "江南大道3号", 6),
        ("张三 浙江省杭州市滨江区江南大道", "江南大道", 2),
        ("2025001 浙江省杭州市滨江区江南大道", "江南大道", 7),
        ("订单号2025001 浙江省杭州市滨江区江南大道", "江南大道", 10),
        ("B座1203 浙江省杭州市西湖区文三路", "文三路B座1203", 0),
    ],
)
def test_door_written_before_the_regions(text: str, detail: str, prefix_len: int) -> None:
    """Some systems write the door first and the street after the regions: the detail is both,
    and the head is no longer text before the address (the defect model's ``prefix_len``)."""
    a = analyse(text)
    assert (a.parsed.detail, a.prefix_len) == (detail, prefix_len)
    assert a.parsed.adcode in {"330106", "330108"}  # 西湖区, 滨江区


@pytest.mark.parametrize(
    ("text", "prefix_len"),
    [
        ("ZHANG WEI 北京市朝阳区建国路88号", 0),  # a receiver's name in pinyin
        ("ＳＨＡＮＧＨＡＩ 上海市徐汇区漕溪北路８８号", 0),  # the region in English first
        ("Tina小姐 北京市朝阳区建国路88号", 2),
        ("张伟 北京市朝阳区建国路88号", 2),
        ("1381234567 北京市朝阳区建国路88号", 10),  # a phone missing a digit
    ],
)
def test_latin_letters_before_the_regions_are_not_counted(text: str, prefix_len: int) -> None:
    """Text before the regions is a defect signal (a region mistyped beyond reading leaves it);
    Latin letters there are a name or a translation, so the model does not read them as one."""
    a = analyse(text)
    assert a.prefix_len == prefix_len
    assert a.parsed.district in {"朝阳区", "徐汇区"}


@pytest.mark.parametrize(
    "noisy",
    [
        "浙江省 杭州市 西湖区 文三路90号",
        "浙江省-杭州市-西湖区-文三路90号",
        "浙江省_杭州市_西湖区_文三路90号",
        "浙江省，杭州市，西湖区，文三路90号",
        "李四 13912345678 浙江省杭州市西湖区文三路90号",
        "收货人：李四 手机：13912345678 地址：浙江省杭州市西湖区文三路90号",
        "浙江省杭州市西湖区文三路90号（电联）",
        "中国浙江省杭州市西湖区文三路90号",
        "浙江省杭州市西湖区文三路90号 李四，13912345678",
    ],
)
def test_invariant_to_separators_noise_name_and_phone(noisy: str) -> None:
    clean = parse_address("浙江省杭州市西湖区文三路90号")
    p = parse_address(noisy)
    assert (p.adcode, p.province, p.city, p.district) == (
        clean.adcode,
        clean.province,
        clean.city,
        clean.district,
    )
    assert p.detail and p.detail.startswith("文三路90号")
    assert "ADDR_REGION_CONFLICT" not in p.defects


@pytest.mark.parametrize(
    ("card", "detail"),
    [
        ("浙江省杭州市西湖区文三路90号勾训恒13912345678", "文三路90号"),  # a rare surname, glued
        ("13912345678浙江省杭州市西湖区文三路90号3幢竺雅琴", "文三路90号3幢"),  # name last
        ("浙江省杭州市西湖区文三路90号13912345678 逄一鸣", "文三路90号"),
        (
            "浙江省杭州市西湖区文三路与学院路交叉口东北角游春燕13912345678",
            "文三路与学院路交叉口东北角",
        ),
        ("浙江省杭州市西湖区汽车站北20米路西时小红13912345678", "汽车站北20米路西"),
        ("浙江省杭州市西湖区古荡新村7栋欧阳娜13912345678", "古荡新村7栋"),
        ("浙江省杭州市西湖区文三路90号1201室尉迟静文 13912345678", "文三路90号1201室"),
        ("13912345678 浙江省杭州市西湖区文三路90号12号楼孙薇", "文三路90号12号楼"),
        # what ends an address is no name, though it starts with a surname's character
        ("浙江省杭州市西湖区文三路苏宁电器13912345678", "文三路苏宁电器"),
        ("浙江省杭州市西湖区文二路华润万家13912345678", "文二路华润万家"),
        ("浙江省杭州市西湖区平安北路13912345678", "平安北路"),
        ("浙江省杭州市西湖区古荡新村东门13912345678", "古荡新村东门"),
        ("13912345678浙江省杭州市西湖区文三路金鹰", "文三路金鹰"),
    ],
)
def test_a_contact_card_pasted_whole_leaves_the_address_as_its_detail(
    card: str, detail: str
) -> None:
    """Buyers paste a card of name, phone and address, in any order and often with no space
    (an express waybill's "smart fill"): the receiver's name is no part of the detail, where a
    courier, a duplicate check and a correction read it."""
    p = parse_address(card)
    assert (p.district, p.detail) == ("西湖区", detail)


@pytest.mark.parametrize(
    "pasted",
    [
        "浙江省杭州市西湖区文三路90号 李四 139 1234 5678",
        "收货人: 李四, 手机: 139-1234-5678, 地址: 浙江省杭州市西湖区文三路90号",
        "浙江省杭州市西湖区文三路90号 邮编310012",
        "浙江省 杭州市 西湖区 文三路90号,310012",  # a postcode standing alone
        "李四,13912345678,浙江省 杭州市 西湖区 文三路90号,310012",
        "浙江省杭州市西湖区文三路90号 李四，13912345678",  # the name before the phone's comma
        "浙江省杭州市西湖区文三路90号。 李四13912345678",  # the name gone, its 。 too
        "浙江省杭州市西湖区文三路90号,0571-88886666.李四",  # a name after the landline's .
        # a contact card over several lines, a resident ID number with it (never kept)
        "收货人: 李四\n    手机号码: 13912345678\n    所在地区: 浙江省杭州市西湖区\n"
        "    详细地址: 文三路90号",
        "浙江省杭州市西湖区文三路90号 李四 13912345678 33010619900101123X",
        "浙江省杭州市西湖区文三路90号 身份证号: 330106199001011234",
        "浙江省杭州市西湖区文三路90号（",  # a bracket opened and never closed
    ],
)
def test_grouped_phones_and_postcodes_are_not_detail(pasted: str) -> None:
    p = parse_address(pasted)
    assert (p.adcode, p.detail) == ("330106", "文三路90号")
    assert "ADDR_BAD_PHONE" not in p.defects  # the pasted phone, digits joined, is valid


def test_a_detail_over_several_lines_is_one_line() -> None:
    p = parse_address("所在地区: 浙江省杭州市西湖区转塘街道\n        详细地址: 之江路9号\n 李四")
    assert p.detail == "转塘街道 之江路9号"


def test_emoji_typed_into_an_address_are_not_detail() -> None:
    p = parse_address("🏠广东省深圳市福田区福田街道福华三路100号😊 ★3栋")
    assert (p.district, p.detail, p.defects) == ("福田区", "福田街道福华三路100号 3栋", ())


@pytest.mark.parametrize(
    "text", ["杭州市余杭区杭州市余杭区文一西路969号", "浙江杭州余杭区杭州余杭区文一西路969号"]
)
def test_repeated_segments_are_redundant_not_detail(text: str) -> None:
    p = parse_address(text)
    assert p.adcode == "330110"
    assert p.detail == "文一西路969号"
    assert "ADDR_REDUNDANT" in p.defects


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("江苏省南京市玄武区中山路1号南京市玄武区中山路1号", "中山路1号"),  # pasted twice
        ("上海市静安区南京西路1号上海市静安区", "南京西路1号"),  # regions again at the end
        # the first copy stops at the street office, the second goes on to the door
        ("广东省深圳市龙华区大浪街道广东省深圳市龙华区大浪街道华荣路8号", "大浪街道华荣路8号"),
        ("江西省九江市浔阳区湓浦街道江西省九江市九江学院3楼", "湓浦街道九江学院3楼"),
        ("四川省成都市高新西区四川省成都市高新西区新航路1号", "新航路1号"),  # the zone again
        # the regions again in brackets: the bracket they open is no part of the door
        ("甘肃省酒泉市玉门市甘肃省酒泉市玉门市昌盛小区(酒泉市玉门市)", "昌盛小区"),
        ("甘肃省酒泉市玉门市昌盛小区（甘肃省酒泉市玉门市）", "昌盛小区"),
    ],
)
def test_an_address_written_again_after_its_detail_is_redundant(text: str, detail: str) -> None:
    p = parse_address(text)
    assert (p.detail, p.defects) == (detail, ("ADDR_REDUNDANT",))


@pytest.mark.parametrize(
    "text",
    [
        "浙江省杭州市西湖区文三路90号杭州电子科技大学",  # one region: a university's name
        "浙江省杭州市西湖区文三路90号杭州市西湖区人民政府",  # an institution's name
        "浙江省杭州市西湖区文三路90号杭州市西湖区医院",
    ],
)
def test_regions_naming_a_place_in_the_detail_are_no_repeat(text: str) -> None:
    p = parse_address(text)
    assert p.defects == () and p.detail == text.removeprefix("浙江省杭州市西湖区")


def test_municipality_written_twice_is_not_redundant() -> None:
    assert "ADDR_REDUNDANT" not in parse_address("北京市北京市朝阳区建国路88号").defects


@pytest.mark.parametrize(
    ("text", "adcode"),
    [
        ("浙江省杭洲市西湖区文三路5号", "330106"),  # city typo
        ("浙江省杭州市溪湖区文三路5号", "330106"),  # 溪湖区 is real (本溪) but sounds like 西湖
        ("折江省杭州市西湖区文三路5号", "330106"),  # province typo
    ],
)
def test_homophone_typos_are_corrected_and_flagged(text: str, adcode: str) -> None:
    p = parse_address(text)
    assert p.adcode == adcode
    assert "ADDR_TYPO" in p.defects
    assert "ADDR_REGION_CONFLICT" not in p.defects


@pytest.mark.parametrize(
    ("text", "district", "detail"),
    [
        ("河南省平顶山市新华区新城区建设路5号", "新华区", "新城区建设路5号"),  # not 西安's 新城区
        ("广东省肇庆市四会市东城区沙田路12号", "四会市", "东城区沙田路12号"),  # not 北京's
        ("陕西省铜川市印台区城区人民路3号", "印台区", "城区人民路3号"),  # not 山西's 城区
        ("湖南省郴州市北湖区北湖市场3号", "北湖区", "北湖市场3号"),  # a market, not 北湖市
        ("内蒙古自治区乌兰察布市集宁区公安局3楼", "集宁区", "公安局3楼"),  # not 湖北's 公安县
        ("上海市浦东新区川沙新镇川沙路1号", "浦东新区", "川沙新镇川沙路1号"),  # a town, not 川沙县
        ("上海市浦东新区南汇新城镇环湖西二路888号", "浦东新区", "南汇新城镇环湖西二路888号"),
    ],
)
def test_words_for_part_of_a_town_after_its_district_are_detail(
    text: str, district: str, detail: str
) -> None:
    p = parse_address(text)
    assert (p.district, p.detail, p.defects) == (district, detail, ())


def test_a_district_of_the_same_city_after_the_district_stays_a_conflict() -> None:
    assert "ADDR_REGION_CONFLICT" in parse_address("北京市朝阳区东城区建国路1号").defects
    assert parse_address("湖北省荆州市公安县斗湖堤镇1号").district == "公安县"


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("广东省东莞市南城区鸿福路100号", "南城区鸿福路100号"),  # 南城街道, not 江西's 南城县
        ("广东 东莞市东城区 牛山工业园3号", "东城区 牛山工业园3号"),  # not 北京's 东城区
        ("广东东莞长安锦厦河南工业区锦升路6号", "长安锦厦河南工业区锦升路6号"),  # not 西安's 长安区
        ("广东省中山市东区中山路3号", "东区中山路3号"),  # not 攀枝花's 东区
    ],
)
def test_towns_and_streets_of_a_city_without_counties_are_detail(text: str, detail: str) -> None:
    p = parse_address(text)
    assert (p.district, p.detail, p.defects) == (None, detail, ())


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("重庆解放碑八一路1号", "解放碑八一路1号"),  # a landmark, not 焦作's 解放区
        ("清远市新城北江二路16号", "新城北江二路16号"),  # not 西安's 新城区
        ("梧州市新兴一路68号", "新兴一路68号"),  # a numbered street, not 云浮's 新兴县
        ("安徽省阜阳市颍州南路9号", "颍州南路9号"),  # a street named after the district
        ("吉安市井冈山大道170号", "井冈山大道170号"),
    ],
)
def test_streets_and_places_named_like_a_district_after_a_city_are_detail(
    text: str, detail: str
) -> None:
    p = parse_address(text)
    assert (p.district, p.detail, p.defects) == (None, detail, ("ADDR_MISSING_LEVEL",))


def test_a_district_named_short_before_a_town_or_a_region_named_like_a_road_still_counts() -> None:
    p = parse_address("广东 深圳市 宝安桥头街道西湖新村3号")  # 桥头: a town's name, not a bridge
    assert (p.district, p.detail) == ("宝安区", "桥头街道西湖新村3号")
    p = parse_address("浙江温州路桥区东城街道创业中路610号")  # 路桥区 is 台州's: no 温州路
    assert "ADDR_REGION_CONFLICT" in p.defects


@pytest.mark.parametrize(
    ("text", "district", "detail"),
    [
        ("浙江省东阳市南市街道大联工业区5号", "东阳市", "南市街道大联工业区5号"),  # 南市区 once
        ("昆明市五华区江东耀龙康城8幢802室", "五华区", "江东耀龙康城8幢802室"),  # 宁波's 江东区
    ],
)
def test_a_former_name_written_short_is_read_like_a_short_name(
    text: str, district: str, detail: str
) -> None:
    p = parse_address(text)
    assert (p.district, p.detail, p.defects) == (district, detail, ())


@pytest.mark.parametrize(
    "text",
    [
        "城关镇宁泰路27号江宁大厦B幢",  # 镇 ends the town's name: not 镇宁县
        "开发区上海路南现代路西3号",  # 路 ends the street's: not 唐山's 路南区
        "永乐路北侧梅中路东侧8号",  # nor 路北区
    ],
)
def test_a_region_name_starting_with_the_last_word_of_a_street_or_town_is_none(text: str) -> None:
    assert parse_address(text).defects == ("ADDR_UNPARSEABLE",)


def test_a_zone_named_after_a_district_of_the_city_before_it_is_in_that_district() -> None:
    p = parse_address("吉林省长春市朝阳经济开发区育民路567号")  # not 辽宁's 朝阳市, nor a typo
    assert (p.district, p.detail, p.defects) == ("朝阳区", "经济开发区育民路567号", ())
    p = parse_address("湖南省长沙市长沙经开区东三路1号")  # the city named again: its own zone
    assert (p.district, p.detail, p.defects) == ("长沙经开区", "东三路1号", ())


def test_a_district_written_short_like_another_citys_is_read_in_the_city_named() -> None:
    p = parse_address("江苏省南京市雨花区软件大道119号")  # 雨花台区, not 长沙's 雨花区
    assert (p.district, p.defects) == ("雨花台区", ("ADDR_NONSTANDARD_NAME",))
    assert "ADDR_REGION_CONFLICT" in parse_address("浙江省宁波市西湖区文三路1号").defects


def test_a_lone_word_for_part_of_a_town_does_not_outweigh_the_city_named_first() -> None:
    p = parse_address("天津空港经济区环河北路80号空港商务园东区")
    assert (p.province, p.city) == ("天津市", "天津市")  # not 攀枝花's 东区
    assert parse_address("攀枝花东区炳草岗大街1号").district == "东区"


def test_pasted_twice_the_first_copy_starts_the_address_however_short_it_is() -> None:
    p = parse_address("江西南昌市新建区松湖镇江西省南昌市新建区松湖镇松湖中心小学")
    assert (p.district, p.detail, p.defects) == (
        "新建区",
        "松湖镇松湖中心小学",
        ("ADDR_REDUNDANT",),
    )


@pytest.mark.parametrize(
    ("text", "district", "detail"),
    [
        ("浙江省杭州市西湖区区文三路1号", "西湖区", "文三路1号"),  # the suffix typed twice
        ("上海市浦东区张江路1号", "浦东新区", "张江路1号"),  # 浦东 with a suffix of its own
        ("杭州市萧山区市心中路1号", "萧山区", "市心中路1号"),  # a street that starts like one
    ],
)
def test_a_suffix_left_after_the_regions_is_not_the_detail(
    text: str, district: str, detail: str
) -> None:
    p = parse_address(text)
    assert (p.district, p.detail) == (district, detail)
    assert p.standardized and p.standardized.endswith(f"{p.city}{district}{detail}")


def test_conflict_is_flagged_with_alternatives() -> None:
    p = parse_address("浙江省宁波市西湖区文三路1号")
    assert "ADDR_REGION_CONFLICT" in p.defects
    assert {c.adcode for c in p.candidates} >= {"330200", "330106"}
    assert p.confidence < parse_address("浙江省杭州市西湖区文三路1号").confidence


def test_ambiguity_gives_ranked_candidates_and_clues_decide() -> None:
    bare = parse_address("朝阳区建国路88号")
    assert "ADDR_AMBIGUOUS" in bare.defects
    assert {c.adcode for c in bare.candidates} == {"110105", "220104"}
    scores = [c.score for c in bare.candidates]
    assert scores == sorted(scores, reverse=True)
    for text, adcode in (("北京朝阳区建国路88号", "110105"), ("长春市朝阳区人民大街1号", "220104")):
        p = parse_address(text)
        assert p.adcode == adcode
        assert "ADDR_AMBIGUOUS" not in p.defects


def test_ambiguity_without_prior_fills_only_shared_levels() -> None:
    p = parse_address("山阳龙湖公寓36号楼")  # 山阳县 (商洛) or 山阳区 (焦作): no prior separates
    assert p.adcode is None and p.province is None and p.city is None
    assert {c.adcode for c in p.candidates} == {"611024", "410811"}


def test_population_prior_fills_but_stays_ambiguous_and_a_landline_decides() -> None:
    bare = parse_address("河东区幸福路9号")  # 天津 (13.9 M people) before 临沂 (11.0 M)
    assert bare.adcode == "120102" and "ADDR_AMBIGUOUS" in bare.defects
    called = parse_address("河东区幸福路9号", "0539-8123456")  # 0539 is 临沂's area code
    assert called.adcode == "371312" and "ADDR_AMBIGUOUS" not in called.defects
    assert parse_address("河东区幸福路9号", "13800138000").adcode == "120102"  # mobiles say nothing


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("北京市 市辖区 朝阳区 建国路88号", ("北京市", "北京市", "朝阳区")),  # picker placeholder
        ("湖南省怀化市其他区靖州县渠阳镇墙角街3号", ("湖南省", "怀化市", "靖州苗族侗族自治县")),
        ("河南省省直辖县级行政区划济源市沁园路", ("河南省", "济源市", "济源市")),
        ("湖北省直辖县仙桃市沔阳大道1号", ("湖北省", "仙桃市", "仙桃市")),
        ("青海海西州格尔木市昆仑路", ("青海省", "海西蒙古族藏族自治州", "格尔木市")),  # 州 form
        ("遼寧省瀋陽市和平區中華路", ("辽宁省", "沈阳市", "和平区")),  # traditional characters
        ("江苏省南京市江北新区浦口区浦珠路", ("江苏省", "南京市", "浦口区")),  # zone in between
        ("佛汕市南海区文化街277号", ("广东省", "佛山市", "南海区")),  # 市南 is not 市南区 here
        ("济南市中区经七路", ("山东省", "济南市", "市中区")),
        ("江苏省南通市海门市海门街道", ("江苏省", "南通市", "海门区")),  # 撤市设区 (2020)
        ("深圳市龙华区民治街道", ("广东省", "深圳市", "龙华区")),  # newer than cpca's table
        ("呼市新城区新华大街1号", ("内蒙古自治区", "呼和浩特市", "新城区")),  # not 西安's
        ("新疆乌市天山区解放北路100号", ("新疆维吾尔自治区", "乌鲁木齐市", "天山区")),
        ("黑龙江哈市南岗区西大直街92号", ("黑龙江省", "哈尔滨市", "南岗区")),
        ("广东省惠州市大亚湾区石化大道1号", ("广东省", "惠州市", "大亚湾区")),  # pickers' zones
        ("四川省成都市高新西区新航路1号", ("四川省", "成都市", "高新西区")),
        ("北京市 北京城区 朝阳区 望京街道阜通东大街6号", ("北京市", "北京市", "朝阳区")),  # a map's
        ("上海 上海城区 浦东新区 碧波路690号", ("上海市", "上海市", "浦东新区")),  # city level
        ("重庆市 重庆郊县 城口县 葛城街道北大街12号", ("重庆市", "重庆市", "城口县")),
        ("广东省东莞市松山湖管委会工业北路6号", ("广东省", "东莞市", "松山湖")),
        ("广东省中山市火炬开发区康乐大道1号", ("广东省", "中山市", "火炬开发区")),
    ],
)
def test_real_world_forms(text: str, expected: tuple) -> None:
    assert _levels(text) == expected


@pytest.mark.parametrize(
    ("text", "district"),
    [
        ("奉化市斗门路中山锦庭15栋", "奉化区"),  # not 中山 of the estate's name
        ("下城区上塘路906号浙江昆剧团882室", "拱墅区"),  # not 浙江 of the troupe's
        ("江东区曙光北路2711号凤凰网吧", "鄞州区"),  # not 凤凰县 of the café's
    ],
)
def test_a_former_name_in_full_outweighs_a_short_name_further_on(text: str, district: str):
    """CCKS 2021's typed addresses: the former district or city written in full is the address;
    before, a short name inside the detail was, and the region written first was lost."""
    p = parse_address(text)
    assert p.district == district and "ADDR_FORMER_NAME" in p.defects


@pytest.mark.parametrize(
    ("text", "district", "detail"),
    [
        ("广东省深圳市宝安区中国浙江省杭州市余杭区金家路442号", "余杭区", "金家路442号"),
        ("浙江省台州市仙居县中国浙江省嘉兴市桐乡市康乐路154-7号", "桐乡市", "康乐路154-7号"),
    ],
)
def test_a_second_address_after_the_country_is_read_and_the_two_are_a_conflict(
    text: str, district: str, detail: str
) -> None:
    """A region picker's stale value, then the address the buyer pasted whole (CCKS 2021's typed
    addresses): before, the first was read, the second was its detail, and the order passed
    for the wrong province. The country before a company's name is no address."""
    p = parse_address(text)
    assert (p.district, p.detail, p.defects) == (district, detail, ("ADDR_REGION_CONFLICT",))
    company = parse_address("上海市黄浦区南苏州路333号中国东方航空公司")
    assert (company.district, company.defects) == ("黄浦区", ())


@pytest.mark.parametrize(
    "text", ["滨海园区丁香路B1600电联", "南湖经济园区骏力路1438号", "浦沿园区中路9号A楼13层"]
)
def test_a_park_named_alone_is_no_misheard_region(text: str) -> None:
    """CCKS 2021's typed addresses: 海园区 was 海原县 (宁夏), 济园区 济源市, 沿园区 盐源县, each
    a typo of a region in another province, by the sound of a 园区's name."""
    assert parse_address(text).defects == ("ADDR_UNPARSEABLE",)


@pytest.mark.parametrize(
    ("text", "district"),
    [
        ("贵州省都匀市瓮安县永和镇黑山村高田坎组", "瓮安县"),
        ("贵州省都匀市三都水族自治县交梨乡阳东村", "三都水族自治县"),
        ("湖南吉首市凤凰县沱江镇1号", "凤凰县"),
    ],
)
def test_a_prefecture_written_as_its_seat_before_a_county(text: str, district: str) -> None:
    """CCKS 2021's typed addresses write 黔南州 as 都匀市, its seat: the county after it is the
    address (before, two counties of one prefecture: a conflict, the county lost)."""
    p = parse_address(text)
    assert (p.district, p.defects) == (district, ())
    assert "ADDR_REGION_CONFLICT" in parse_address("杭州西湖余杭文一西路1号").defects


def test_a_quarter_of_the_town_after_a_city_is_the_detail() -> None:
    """衢州西区 (CCKS 2021's typed addresses) was 攀枝花's 西区, in 四川; a municipality's district
    after another city's name stays a conflict (天津市西城区: 北京's)."""
    quarter = parse_address("衢州西区白云中大道60号机关综合大楼")
    assert (quarter.city, quarter.adcode, quarter.defects) == (
        "衢州市",
        "330800",
        ("ADDR_MISSING_LEVEL",),
    )
    assert quarter.detail == "西区白云中大道60号机关综合大楼"
    assert "ADDR_REGION_CONFLICT" in parse_address("天津市，天津市，西城区新华西路394号").defects
    assert parse_address("攀枝花市西区1号").district == "西区"


@pytest.mark.parametrize(
    ("text", "district", "detail"),
    [
        ("浙江省金华市婺城八一南街000号二楼", "婺城区", "八一南街000号二楼"),  # CCKS 2021
        ("广东广州市天河五一路87号", "天河区", "五一路87号"),
        ("山东省济南市市中二七街道福州路255号", "市中区", "二七街道福州路255号"),
    ],
)
def test_a_district_written_short_before_a_road_named_for_a_day_is_the_citys_district(
    text: str, district: str, detail: str
) -> None:
    """八一路, 五一路, 二七街道 are named for a day, not numbered after the name before them
    (新兴一路): after its city, a district written short stays the district (before: detail).
    With no city before it, the name and the day are one street's."""
    p = parse_address(text)
    assert (p.district, p.detail, p.defects) == (district, detail, ("ADDR_NONSTANDARD_NAME",))
    assert parse_address("白沟新城五一路新天地8号楼").defects == ("ADDR_UNPARSEABLE",)


@pytest.mark.parametrize(
    ("text", "district"),
    [
        ("云南省红河洲元阳县新街镇芭蕉岭村00号", "元阳县"),
        ("湖北省恩施洲利川市都亭街道5号", "利川市"),
    ],
)
def test_zhou_typed_for_an_autonomous_prefectures_zhou_keeps_the_county_after_it(
    text: str, district: str
) -> None:
    """洲 for 州 (they sound alike) after 红河, 恩施 written short: before, the county after it
    was lost (红河洲元阳县 read 红河县, CCKS 2021). 常州洲际酒店 is a hotel, as before."""
    p = parse_address(text)
    assert (p.district, p.defects) == (district, ())
    assert parse_address("江苏省常州洲际酒店12楼").detail == "洲际酒店12楼"


def test_a_ring_road_named_after_a_county_is_a_road_and_a_region_before_a_college_road_is_read():
    """三江环路 (绍兴) is no 三江侗族自治县 (广西); 杭州学院路 is 杭州's 学院路, not a college named
    after the city, and 越城车站北路 越城区's road, not its station (CCKS 2021's typed addresses;
    before: 广西, and unparseable)."""
    assert parse_address("袍江新区三江环路000号").defects == ("ADDR_UNPARSEABLE",)
    p = parse_address("杭州学院路颐高数码")
    assert (p.city, p.detail) == ("杭州市", "学院路颐高数码")
    assert parse_address("杭州学院颐高数码").defects == ("ADDR_UNPARSEABLE",)  # a college's name
    p = parse_address("越城车站北路00号金寨公寓")  # 越城区's 车站北路, not a station
    assert (p.district, p.detail) == ("越城区", "车站北路00号金寨公寓")
    assert parse_address("萧山机场T3航站楼").defects == ("ADDR_UNPARSEABLE",)  # the airport's name


@pytest.mark.parametrize(
    ("text", "city"),
    [("湖州八里店中兴大道654号11楼", "湖州市"), ("温州桥头镇外资工业区鼎望拉链", "温州市")],
)
def test_a_city_before_a_place_named_with_a_street_word_is_the_city(text: str, city: str):
    """八里店 and 桥头镇 are places (CCKS 2021's typed addresses): a number's 里 and 桥头 are no
    lane or bridge that would make 湖州 / 温州 a street's name (before: unparseable)."""
    assert parse_address(text).city == city
    assert parse_address("北京路100号").defects == ("ADDR_UNPARSEABLE",)  # 北京路 still a street


@pytest.mark.parametrize(
    ("text", "city", "district"),
    [
        ("四川省 称都 青羊区锦绣东路989号", "成都市", "青羊区"),
        ("四川呈都双流区朝阳巷122号", "成都市", "双流区"),
        ("重庆市钟庆梁平区锦绣大街758号", "重庆市", "梁平区"),  # 重 is zhong too
        ("湖南省彰沙市宁乡市城关乡刘家岭村33号", "长沙市", "宁乡市"),  # 长 is zhang too
    ],
)
def test_a_sound_alike_typo_in_another_reading_of_its_characters(
    text: str, city: str, district: str
):
    """称都 reads chengdou (都 alone), 成都 chengdu: a typo of it all the same, below 四川. Before,
    the city was not read, and 称都 青羊区 went missing a level (the district lost with it), or
    彰沙 was a conflict. One character mistyped: 浙江工业大学 (工业) is no 拱墅 (墅 has ye too)."""
    p = parse_address(text, "13912345678")
    assert (p.city, p.district, p.defects) == (city, district, ("ADDR_TYPO",))
    campus = parse_address("杭州市下城区潮王路130号浙江工业大学环境学院")
    assert campus.detail == "潮王路130号浙江工业大学环境学院"
    # alone, a word's other readings are no region: 苑小 could be yunxiao (云霄县)
    assert parse_address("翠苑小区17栋701").defects == ("ADDR_UNPARSEABLE",)


@pytest.mark.parametrize(
    ("text", "detail", "defects"),
    [  # an export that wrote its empty fields out (CCKS 2021's typed addresses)
        ("浙江省台州市null浙江省台州市椒江区章安街道东西村794号", "章安街道东西村794号",
         ("ADDR_REDUNDANT",)),
        ("浙江省杭州市西湖区undefined文三路90号", "文三路90号", ()),
        ("浙江省杭州市西湖区 None 文三路90号", "文三路90号", ()),
    ],
)  # fmt: skip
def test_an_empty_field_written_out_is_no_text(text: str, detail: str, defects: tuple) -> None:
    """Before, the first copy (浙江省台州市, then null) was the address: its district missing."""
    p = parse_address(text, "13912345678")
    assert p.district in {"椒江区", "西湖区"} and (p.detail, p.defects) == (detail, defects)


@pytest.mark.parametrize(
    ("detail", "usable"),
    [
        ("详见聊天记录", False),
        ("地址见备注信息", False),
        ("到了打电话确认地址", False),
        ("地址和上一单一样", False),
        ("看微信消息", False),
        ("华中科技大学", True),  # a place without a door
        ("无锡大学城", True),  # 无 is a word of elsewhere, 无锡 a place
        ("中山路1号 详见聊天", True),  # a door, and a note beside it
        ("第三中学", True),  # an institution is a door of its own
        ("人民法院", True),
        ("区委党校", True),  # one a district
        ("学校", False),  # which one?
        ("翰林上岛", True),  # an estate by its name, as 幸福小区 is
        ("华城金都", True),
        ("苹果一箱", False),
    ],
)
def test_a_detail_of_words_pointing_elsewhere_names_no_place(detail: str, usable: bool) -> None:
    p = parse_address(f"浙江省杭州市西湖区 {detail}")
    assert ("ADDR_DETAIL_MISSING" not in p.defects) == usable


def test_missing_levels_detail_and_unparseable() -> None:
    assert "ADDR_MISSING_LEVEL" in parse_address("杭州市文三路90号").defects
    assert "ADDR_DETAIL_MISSING" in parse_address("浙江省杭州市西湖区").defects
    assert "ADDR_DETAIL_MISSING" not in parse_address("浙江省杭州市西湖区文三路1号").defects
    assert parse_address("请尽快发货谢谢").defects == ("ADDR_UNPARSEABLE",)
    assert "ADDR_FORMER_NAME" in parse_address("湖北省襄樊市樊城区人民路1号").defects
    assert "ADDR_NONSTANDARD_NAME" in parse_address("浙江省杭州市西湖文三路1号").defects


@pytest.mark.parametrize(
    ("phone", "kind"),
    [
        ("13800138000", "mobile"),
        ("+86 13800138000", "mobile"),
        ("138****8000", "masked"),
        ("0571-88888888", "landline"),
        ("010-6552123", "landline"),
        # marketplaces' privacy numbers: a relay number and the buyer's extension
        ("13800138000-1234", "mobile"),
        ("17012345678转5678", "mobile"),
        ("138****8000-1234", "masked"),
        ("138-0013-8000", "mobile"),
        ("0571-88888888-123", "landline"),
        # a switchboard's extension, the local number in two groups, full-width digits
        ("0571-88888888转8001", "landline"),
        ("0571-88888888#8001", "landline"),
        ("(010) 6512-3456", "landline"),
        ("１３８００１３８０００", "mobile"),
        ("０５７１－８８８８８８８８", "landline"),
        ("0571-888888881", "invalid"),
        # several numbers in one field (ERP exports: mobile, landline): the first one
        ("13800138000,13900139000", "mobile"),
        ("13800138000/010-62345678", "mobile"),
        ("1380013800/13900139000", "invalid"),
        # a label the export kept in the field
        ("手机：13800138000", "mobile"),
        ("联系电话: 0571-88888888", "landline"),
        ("Tel:13800138000", "mobile"),
        ("手机：1380013800", "invalid"),
        # international form: an area code loses its 0 after +86
        ("+86 21 6234 5678", "landline"),
        ("+86 10 6234 5678", "landline"),
        ("+86 138****8000", "masked"),
        ("12800138000", "invalid"),
        ("1380013800", "invalid"),
        ("138001380001", "invalid"),
        ("400-800-8888", "invalid"),
        ("138*****8000", "invalid"),
        ("1346966438o", "invalid"),
        (None, "missing"),
    ],
)
def test_phone_kinds(phone: str | None, kind: str) -> None:
    assert phone_kind(phone) == kind
    assert valid_phone(phone) == (kind in {"mobile", "masked", "landline"})


def test_a_privacy_number_reads_like_a_mobile_to_the_model() -> None:
    frame = address_feature_frame(
        ["浙江省杭州市西湖区文三路1号"] * 2, ["13800138000", "13800138000-1234"]
    )
    assert frame.iloc[1].equals(frame.iloc[0])


def test_bad_phone_is_a_defect() -> None:
    assert "ADDR_BAD_PHONE" in parse_address("浙江省杭州市西湖区文三路1号", "1380013800").defects
    assert (
        "ADDR_BAD_PHONE" not in parse_address("浙江省杭州市西湖区文三路1号", "13800138000").defects
    )


def test_every_district_of_the_gazetteer_round_trips() -> None:
    """Standard full strings built from the gazetteer come back as their own adcode (a sample
    of 400 districts whose names are unique, so no clue is missing)."""
    gaz = load_gazetteer()
    rng = random.Random(4)
    districts = [r for r in gaz.of_level(DISTRICT) if len(gaz.lookup(r.name)) == 1]
    sample = rng.sample(districts, 400)
    texts = [
        "".join(dict.fromkeys(x for x in gaz.names(r.adcode) if x)) + "幸福路1号" for r in sample
    ]
    parsed = parse_addresses(texts)
    wrong = [
        (t, p.adcode) for t, p, r in zip(texts, parsed, sample, strict=True) if p.adcode != r.adcode
    ]
    assert len(wrong) <= 4, wrong[:10]


# the names autonomous counties and banners go by, as people (and the counties' own signs) write
# them: the place name and the suffix, or a common abbreviation
@pytest.mark.parametrize(
    ("text", "adcode"),
    [
        ("湖北省宜昌市长阳县龙舟坪镇龙舟大道1号", "420528"),
        ("重庆市石柱县南宾街道万安街6号", "500240"),
        ("重庆秀山县中和街道凤鸣路3号", "500241"),
        ("河北省承德市围场县围场镇木兰路5号", "130828"),
        ("辽宁省本溪市本溪县小市镇1号", "210521"),
        ("浙江省丽水市景宁县鹤溪街道人民中路8号", "331127"),
        ("广西柳州市融水县融水镇寿星路2号", "450225"),
        ("广西桂林市龙胜县龙胜镇桂龙路1号", "450328"),
        ("广东省清远市连山县吉田镇鹿鸣路1号", "441825"),
        ("海南省陵水县椰林镇城南路1号", "469028"),
        ("海南昌江县石碌镇人民北路2号", "469026"),
        ("云南省红河州河口县河口镇人民路4号", "532532"),
        ("新疆喀什地区塔什库尔干县红其拉甫路1号", "653131"),
        ("新疆伊犁州察布查尔县察布查尔镇1号", "654022"),
        ("甘肃省临夏州东乡县锁南镇1号", "622926"),
        ("甘肃省临夏州积石山县吹麻滩镇1号", "622927"),
        ("内蒙古呼伦贝尔市鄂温克旗巴彦托海镇1号", "150724"),
        ("内蒙古呼伦贝尔市鄂伦春旗阿里河镇1号", "150723"),
        ("黑龙江省大庆市杜尔伯特县泰康镇1号", "230624"),
        ("四川省乐山市峨边县沙坪镇1号", "511132"),
        # abbreviations
        ("内蒙古通辽市科左中旗保康镇建设路1号", "150521"),
        ("内蒙古呼伦贝尔市莫旗尼尔基镇纳文大街1号", "150722"),
        ("内蒙古锡林郭勒盟东乌旗乌里雅斯太镇1号", "152525"),
        ("吉林省松原市前郭县平凤乡富强村3组", "220721"),
        ("辽宁省朝阳市喀左县大城子街道利州路8号", "211324"),
    ],
)
def test_autonomous_counties_by_the_names_they_go_by(text: str, adcode: str) -> None:
    """Not a nonstandard name: the county's own name keeps its suffix and names one county.
    Before, 县 was left at the head of the detail and the order held as ADDR_NONSTANDARD_NAME."""
    parsed = parse_address(text)
    assert parsed.adcode == adcode
    assert parsed.defects == ()
    assert parsed.detail and parsed.detail[0] not in "县旗"


@pytest.mark.parametrize(
    ("text", "adcode", "detail"),
    [
        ("辽宁省阜新市蒙古族自治县人民法院", "210921", "人民法院"),  # a real shop's export
        ("辽宁省本溪市满族自治县小市镇1号", "210521", "小市镇1号"),
    ],
)
def test_a_county_named_after_its_city_written_without_the_name_again(
    text: str, adcode: str, detail: str
) -> None:
    """Before, no county was read (ADDR_MISSING_LEVEL, held); now a short form of it."""
    parsed = parse_address(text)
    assert (parsed.adcode, parsed.detail) == (adcode, detail)
    assert parsed.defects == ("ADDR_NONSTANDARD_NAME",)


def test_an_autonomous_county_name_alone_still_needs_context() -> None:
    """The place name without its suffix stays a short name (长阳 like 海淀)."""
    assert "ADDR_NONSTANDARD_NAME" in parse_address("湖北省宜昌市长阳龙舟坪镇龙舟大道1号").defects


def test_a_county_ending_the_pickers_fields_is_no_receiver_name() -> None:
    """康 is a surname and 康平县 three characters after a comma, as a pasted name would be."""
    p = parse_address("辽宁省,沈阳市,康平县")
    assert (p.adcode, p.defects) == ("210123", ("ADDR_DETAIL_MISSING",))
    assert parse_address("辽宁省沈阳市康平县胜利街道1号 康平，13912345678").detail == "胜利街道1号"


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("福建省泉州市晋江市陈埭镇 江头村", "陈埭镇 江头村"),  # 江 is a surname
        ("浙江省杭州市西湖区三墩镇 金家坊", "三墩镇 金家坊"),
        ("河北省保定市清苑区 东闾乡 张庄", "东闾乡 张庄"),
        ("浙江省杭州市西湖区文三路90号 王磊", "文三路90号"),  # a name: dropped
        ("浙江省杭州市西湖区文三路90号 陈园", "文三路90号"),  # 园 ends given names too
    ],
)
def test_a_village_or_street_ending_the_text_is_no_receiver_name(text: str, detail: str) -> None:
    """Two to four characters after a space, starting with a surname, are a pasted name unless
    they end like a place (村, 坊, 庄, 路 …)."""
    p = parse_address(text)
    assert (p.detail, p.defects) == (detail, ())


def test_a_street_named_like_a_repeated_suffix_is_no_typo() -> None:
    p = parse_address("山东省 德州市 乐陵市 市中街道怡然居小区3号楼")  # 市中街道, not a stray 市
    assert (p.adcode, p.detail, p.defects) == ("371481", "市中街道怡然居小区3号楼", ())


def test_batch_equals_single_and_results_cannot_change_the_cache() -> None:
    texts = ["朝阳区建国路88号", "浙江省杭州市西湖区文三路1号", "朝阳区建国路88号"]
    batch = parse_addresses(texts, ["13800138000", None, "13800138000"])
    assert batch[0] == parse_address(texts[0], "13800138000")
    assert batch[0] is batch[2]  # one parse per distinct (address, phone), shared
    with pytest.raises(ValidationError):
        batch[0].city = "X"
    with pytest.raises(ValidationError):
        batch[0].candidates[0].score = -1.0
    with pytest.raises(AttributeError):
        batch[0].defects.append("X")  # type: ignore[attr-defined]
    again = parse_address(texts[0], "13800138000")
    assert again.city == "北京市" and again.candidates[0].score > 0


def test_feature_frame_columns_and_signal() -> None:
    texts = ["浙江省杭州市西湖区文三路1号", "浙江省宁波市西湖区文三路1号", "朝阳区"]
    phones = ["13800138000", "13800138000", "123"]
    frame = address_feature_frame(texts, phones)
    assert list(frame.columns) == list(FEATURES)
    assert len(frame) == 3 and not frame.isna().any().any()
    assert frame["n_conflicting"].tolist()[:2] == [0, 1]
    assert frame["phone_invalid"].tolist() == [0, 0, 1]
    assert set(f"parser_{c}" for c in codes_of("address")) <= set(frame.columns)


def test_replaced_codes_in_old_data_resolve_to_their_successor() -> None:
    gaz = load_gazetteer()
    assert gaz["320684"].name == "海门区"  # 海门市 became 海门区 (320614) in 2020
    assert gaz.names("371202") == ("山东省", "济南市", "莱芜区")  # 莱芜市 merged into 济南
    assert "320684" not in gaz.regions and gaz.lookup("海门市")[0].adcode == "320614"


def test_priming_resolves_every_countys_standard_writing_and_keeps_no_address():
    """The service primes the parser at start: afterwards an unseen address written in standard
    form reuses its county's resolution; the primed addresses take no room in analyse's cache."""
    from features.address_parser import _resolve, analyse, prime

    kept = analyse.cache_info().currsize
    assert prime.__wrapped__() > 2800
    assert analyse.cache_info().currsize == kept
    misses = _resolve.cache_info().misses
    parse_address("四川省甘孜藏族自治州色达县色柯镇金马街6号")
    assert _resolve.cache_info().misses == misses
