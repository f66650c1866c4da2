"""Towns written where the county goes, or alone (shapes of CCKS 2021's typed addresses): the
town names its county from the 2023 division codes (ordersight/data/towns.csv)."""

from __future__ import annotations

import pytest

from features.address import parse_address
from features.address_towns import town_county
from ordersight.gazetteer import county_towns, load_gazetteer, moved_towns, towns


@pytest.mark.parametrize(
    ("text", "levels", "adcode"),
    [
        ("观海卫镇昌兴村林家1005号", ("浙江省", "宁波市", "慈溪市"), "330282"),
        ("良渚街道古墩路与十新线交叉口未来城", ("浙江省", "杭州市", "余杭区"), "330110"),
        ("打浦桥街道蒙自路1134号8号楼", ("上海市", "上海市", "黄浦区"), "310101"),
        # a city without counties: its town is all there is below it
        ("虎门镇虎门大道四巷6号一楼", ("广东省", "东莞市", None), "441900"),
    ],
)
def test_a_town_written_alone_names_its_county(text: str, levels: tuple, adcode: str) -> None:
    """Was ADDR_UNPARSEABLE (held): the town is the county's, the levels are missing, and the
    standard form writes them."""
    p = parse_address(text)
    assert (p.province, p.city, p.district) == levels
    assert p.adcode == adcode
    assert p.defects == ("ADDR_MISSING_LEVEL",)
    assert p.standardized and p.standardized.endswith(text)


@pytest.mark.parametrize(
    ("text", "district"),
    [
        ("浙江省宁波市观海卫镇振观路75号", "慈溪市"),
        ("温州清江镇鲤鱼山村鲤龙路138号", "乐清市"),
        ("浙江省嘉兴市濮院镇上上城小区8幢", "桐乡市"),
        ("北京北京市窦店镇窦店村南1号", "房山区"),
        # a province alone: its one county with the town
        ("浙江省柳市镇柳江路140号", "乐清市"),
        # the suffix left off a town people know, right after the region (CCKS 2021)
        ("浙江省杭州市三墩紫金港路21号", "西湖区"),  # 三墩镇
        ("温州市柳市长虹村8号", "乐清市"),  # 柳市镇
        ("浙江省柳市柳江路140号", "乐清市"),
        ("杭州市下沙学源街158号", "钱塘区"),  # 下沙街道
        # a company's town first, its city or province further on (CCKS 2021)
        ("云龙镇前后陈村宁波四海琴业有限公司", "鄞州区"),
        ("宁围镇高教园区弘慧路浙江国际影视中心", "萧山区"),
        ("丈八沟街道沣惠南路100号陕西中烟", "雁塔区"),
    ],
)
def test_a_town_with_its_city_fills_the_county(text: str, district: str) -> None:
    """The county is left out (still ADDR_MISSING_LEVEL), but the correction now names it."""
    p = parse_address(text)
    assert p.district == district
    assert "ADDR_MISSING_LEVEL" in p.defects
    assert p.standardized and district in p.standardized


@pytest.mark.parametrize(
    "text",
    [
        "吉林省长春市建设西路227号",  # 德惠市's 建设街道: this is a road
        "上海市金桥中路968号",  # 浦东新区's 金桥镇
        "宁波市高桥路5号",  # 海曙区's 高桥镇
        "绍兴市城南花园3幢",  # 越城区's 城南街道 and 新昌县's 城南乡
        "杭州市紫金港路三墩公寓2幢",  # not right after the city
    ],
)
def test_a_bare_name_on_a_road_held_twice_or_further_on_fills_nothing(text: str) -> None:
    p = parse_address(text)
    assert p.district is None
    assert "ADDR_MISSING_LEVEL" in p.defects


@pytest.mark.parametrize(
    ("text", "district"),
    [
        ("浙江省杭州市乔司镇三鑫工业园鑫园路96号", "临平区"),  # 乔司街道 since 2011
        ("闻堰镇湘湖路1号", "萧山区"),  # 闻堰街道
        ("宁围镇宁泰路27号江宁大厦B幢", "萧山区"),  # 宁围街道; and no 镇宁县
    ],
)
def test_a_town_made_a_subdistrict_is_read_by_its_old_name(text: str, district: str) -> None:
    assert not {"乔司镇", "闻堰镇", "宁围镇"} & set(towns())
    assert parse_address(text).district == district


def test_a_subdistrict_named_like_a_town_elsewhere_reads_below_the_city_written() -> None:
    """九堡镇 is 瑞金's town and 九堡街道 杭州's: after 杭州市 it is 杭州's."""
    assert parse_address("杭州市九堡镇德胜东路3094号").district == "上城区"


@pytest.mark.parametrize(
    ("text", "town"),
    [
        ("城关镇人民路12号", "城关镇"),  # 88 counties' town
        ("太平镇新街3号", "太平镇"),
        ("仓前街道良睦路1399号", "仓前街道"),  # 余杭's, and 福州's
    ],
)
def test_a_town_many_counties_hold_names_none(text: str, town: str) -> None:
    assert len(towns()[town]) > 1
    p = parse_address(text)
    assert p.adcode is None
    assert "ADDR_UNPARSEABLE" in p.defects


def test_a_town_of_another_city_does_not_fill_the_county() -> None:
    """观海卫镇 is 宁波's: after 杭州市 it says nothing of 杭州's districts."""
    p = parse_address("浙江省杭州市观海卫镇振观路75号")
    assert (p.city, p.district) == ("杭州市", None)


@pytest.mark.parametrize(
    "text",
    [
        "杭州市五常大道181号",  # 五常街道's name, no suffix: a road
        "宁波市镇海路18号",  # 镇 starts a word
        "北京市张镇路1号",  # 张镇 (顺义): a one-character stem ends many words (前仓镇's 仓镇)
    ],
)
def test_a_town_is_read_by_its_suffix_only(text: str) -> None:
    assert parse_address(text).district is None


def test_a_town_read_in_a_longer_name() -> None:
    """At each suffix the longest name ending there: 滨海港镇 (滨海县's), not 海港镇 (秦皇岛's)."""
    assert towns()["海港镇"] == ("130302",)
    assert town_county("滨海港镇八滩村1号") == "320922"
    assert parse_address("首都机场街道机场路1号").district == "朝阳区"  # not 机场街道 (大连)
    assert parse_address("嘉定镇街道文化路234号").district == "嘉定区"  # not 嘉定镇 (信丰县)


def test_every_county_has_towns_and_every_town_a_county() -> None:
    """The table covers the mainland's counties as the gazetteer has them now."""
    held = county_towns()
    assert len(held) > 2800
    assert all(counties for counties in towns().values())
    assert held["330282"] and "观海卫镇" in held["330282"]


@pytest.mark.parametrize(
    ("text", "city", "adcode"),
    [
        ("鼓楼区五凤街道铜盘路1号", "福州市", "350102"),  # not 南京's, the bigger 鼓楼区
        ("朝阳区八里庄街道1号", "北京市", "110105"),
        ("普陀区长征镇1号", "上海市", "310107"),  # not 舟山's
    ],
)
def test_a_town_says_which_of_the_districts_of_that_name(text: str, city: str, adcode: str) -> None:
    """Was ADDR_AMBIGUOUS, the most populous district of the name: the town's is the one."""
    p = parse_address(text)
    assert (p.city, p.adcode) == (city, adcode)
    assert p.defects == ("ADDR_MISSING_LEVEL",)
    assert p.candidates == ()


def test_a_district_of_that_name_without_a_town_stays_ambiguous() -> None:
    p = parse_address("鼓楼区五四路1号")
    assert "ADDR_AMBIGUOUS" in p.defects
    assert len(p.candidates) == 4


@pytest.mark.parametrize(
    ("text", "district", "detail"),
    [
        ("陕西省西安市灞桥街道金沙家园37-1-608", "灞桥区", "灞桥街道金沙家园37-1-608"),
        ("石家庄市高邑镇红旗村5组53号", "高邑县", "高邑镇红旗村5组53号"),
        ("杭州市余杭镇文一西路1号", "余杭区", "余杭镇文一西路1号"),  # 余杭街道 now
    ],
)
def test_a_town_named_after_its_county_is_the_town(text: str, district: str, detail: str) -> None:
    """Was the county written short, the town's suffix left as the detail (街道金沙家园…, whose
    correction read 西安市灞桥区街道金沙家园): the county is left out, and the town says it."""
    p = parse_address(text)
    assert (p.district, p.detail, p.defects) == (district, detail, ("ADDR_MISSING_LEVEL",))


def test_no_town_is_written_after_its_county_in_the_table() -> None:
    """The source writes 98 names after their county (博爱县许良镇): kept without it. A town
    named after its county (芒市镇, 七星区街道) stays."""
    gaz = load_gazetteer()
    written_after = [
        (county, name)
        for county, names in county_towns().items()
        for name in names
        for region in gaz.chain(county)
        if name.startswith(region.name) and len(name) - len(region.name) >= 3
    ]
    assert written_after == []
    assert towns()["许良镇"] == ("410822",)


@pytest.mark.parametrize(
    ("text", "district", "defects"),
    [
        # a town whose name runs on past its district's short name
        ("西安市 未央宫街道春晓新村25-4-2604", "未央区", ("ADDR_MISSING_LEVEL",)),
        # a town starting with a suffix's character is no suffix left over (was ADDR_TYPO)
        ("福建省泉州市南安市省新镇汉阳北路602号", "南安市", ()),
        ("河北省石家庄市行唐县市同乡科技路594号", "行唐县", ()),
        # but a county starting with a town's suffix is the county (乡城县, not 甘孜乡)
        ("四川省甘孜乡城县然乌乡王家村3组46号", "乡城县", ()),
        ("新疆省北屯双渠镇新民村6组77号", "北屯市", ("ADDR_NONSTANDARD_NAME",)),
    ],
)
def test_towns_beside_the_regions_read(text: str, district: str, defects: tuple) -> None:
    p = parse_address(text)
    assert (p.district, p.defects) == (district, defects)


@pytest.mark.parametrize(
    ("text", "district"),
    [
        ("冯瑞 13110812779 安岳县王家村9组49号", "安岳县"),  # not 瑞安 (冯瑞安岳县)
        ("夏云 18820153033 南京市 江宁区 高新北路483号", "江宁区"),  # not 云南
    ],
)
def test_a_name_pasted_before_a_phone_is_no_part_of_a_region(text: str, district: str) -> None:
    """The phone taken out glues the receiver's name to the address: a region's full name after
    the gap is read, not a short one spanning it (was a conflict, or the wrong province)."""
    p = parse_address(text)
    assert (p.district, p.defects) == (district, ())


@pytest.mark.parametrize("text", ["阳光小区26栋2603", "段纯 15885146346 绿城大厦17栋2004"])
def test_a_bare_name_opening_an_address_that_names_no_region_is_read_as_no_town(text: str):
    """阳光 is 花溪区's 阳光街道 and 段纯 灵石县's 段纯镇, but here an estate and a receiver."""
    p = parse_address(text)
    assert p.district is None
    assert "ADDR_UNPARSEABLE" in p.defects


@pytest.mark.parametrize(
    ("text", "district"),
    [
        ("瓯北镇黄田南路000号", "永嘉县"),  # 北镇: 辽宁's 北镇市 written short
        ("金清镇塘上工业区金清大道西000弄000号", "路桥区"),  # 清镇: 贵州's 清镇市
        ("宝应县 西安丰镇龙湖新村17栋", "宝应县"),  # 丰镇: 内蒙古's 丰镇市 (西安市 won)
        ("重固镇科苑大道40号", "青浦区"),  # 固镇: 安徽's 固镇县
    ],
)
def test_a_county_written_short_inside_a_towns_name_is_the_towns(text: str, district: str) -> None:
    """A region name begun inside a town's name is the town's (CCKS 2021's typed addresses and
    the demo world's: each read the other county before)."""
    p = parse_address(text)
    assert p.district == district and "ADDR_REGION_CONFLICT" not in p.defects


@pytest.mark.parametrize(
    ("text", "district", "adcode"),
    [
        ("浙江省杭州市余杭区乔司街道永和路1号", "临平区", "330113"),  # 2021
        ("杭州余杭塘栖镇水北街12号", "临平区", "330113"),
        ("杭州市江干区下沙街道6号大街", "钱塘区", "330114"),  # 江干区 merged away the same year
        ("杭州市萧山区义蓬街道义府大街8号", "钱塘区", "330114"),
        ("宁波市鄞州区古林镇古林村5号", "海曙区", "330203"),  # 2016
        ("深圳市宝安区观澜街道大和路1号", "龙华区", "440309"),  # 2011, a district in 2016
        ("厦门市同安区马巷镇五星路3号", "翔安区", "350213"),  # 2003; a 街道 since
        ("浙江省温州市苍南县龙港镇世纪大道88号", "龙港市", "330383"),  # a city itself since 2019
        ("河北省张家口市宣化县大仓盖镇圆通快递", "桥东区", "130702"),  # 宣化县 merged away (2016)
        ("杭州余杭区乔司乔莫西路0000号00栋00楼", "临平区", "330113"),  # the town's bare name
        ("浙江省杭州市江干下沙幸福南路0号万事利工业园00幢0楼", "钱塘区", "330114"),
    ],
)
def test_a_town_written_under_the_county_it_left_is_read_where_it_lies(
    text: str, district: str, adcode: str
) -> None:
    """People keep writing a moved town under its old county (read as the old county before):
    the town says where the parcel goes, and the old county is a former name."""
    p = parse_address(text)
    assert (p.district, p.adcode) == (district, adcode)
    assert "ADDR_FORMER_NAME" in p.defects and "ADDR_REGION_CONFLICT" not in p.defects


@pytest.mark.parametrize(
    "text",
    [
        "杭州市余杭区五常街道文一西路1号",
        "杭州市余杭区临平路5号",
        "宁波市鄞州区高桥路8号",
        "广东省深圳市宝安区光明中路109号枫林花园30栋",  # 光明街道 is 光明区's
    ],
)
def test_a_town_that_stayed_or_a_road_named_like_a_moved_one_keeps_the_county(text: str) -> None:
    p = parse_address(text)
    assert p.district in {"余杭区", "鄞州区", "宝安区"}
    assert "ADDR_FORMER_NAME" not in p.defects


def test_every_moved_town_lies_in_its_county_and_no_longer_in_the_one_it_left() -> None:
    """The moved towns' table agrees with the 2023 division codes (towns.csv)."""
    gaz, held = load_gazetteer(), towns()
    moved = [(town, to, old) for old, rows in moved_towns().items() for town, to in rows]
    assert len(moved) >= 40
    for town, to, old in moved:
        # 龙港镇 became 龙港市 itself (2019)
        assert to in held.get(town, ()) or town[:-1] == gaz[to].short, town
        assert old not in held.get(town, ()), town
        assert gaz[to].parent == gaz[old].parent, town  # carved out of a county of its city


@pytest.mark.parametrize(
    ("text", "district"),
    [
        ("浙江杭州余杭临平迎宾路1号", "临平区"),  # 临平, 余杭's seat, a district since 2021
        ("深圳宝安龙华民治大道1号", "龙华区"),
        ("深圳市宝安区光明新区公明街道1号", "光明区"),
        ("苍南龙港江口路000号", "龙港市"),
    ],
)
def test_the_county_a_town_left_written_before_the_new_one_is_a_former_name(
    text: str, district: str
) -> None:
    """Was a conflict between two counties of one city (no county read, or the old one): the
    old county is where the place was, the new one where it is."""
    p = parse_address(text)
    assert p.district == district
    assert "ADDR_FORMER_NAME" in p.defects and "ADDR_REGION_CONFLICT" not in p.defects


def test_two_counties_of_a_city_that_never_traded_towns_still_conflict() -> None:
    p = parse_address("湖北省武汉市武昌区洪山区珞喻路1号")
    assert p.district is None and "ADDR_REGION_CONFLICT" in p.defects
