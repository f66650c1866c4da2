"""The gazetteer over cpca's division data plus our change table."""

from __future__ import annotations

import pytest

from ordersight.gazetteer import CITY, DISTRICT, PROVINCE, is_full_name, load_gazetteer, short_name


@pytest.fixture(scope="module")
def gaz():
    return load_gazetteer()


def test_sizes_cover_mainland_china(gaz) -> None:
    assert len(gaz.of_level(PROVINCE)) == 31
    assert len(gaz.of_level(CITY)) > 330
    assert len(gaz.of_level(DISTRICT)) > 2800


@pytest.mark.parametrize(
    ("name", "level", "short"),
    [
        ("浙江省", PROVINCE, "浙江"),
        ("广西壮族自治区", PROVINCE, "广西"),
        ("内蒙古自治区", PROVINCE, "内蒙古"),
        ("延边朝鲜族自治州", CITY, "延边"),
        ("黔东南苗族侗族自治州", CITY, "黔东南"),
        ("萧山区", DISTRICT, "萧山"),
        ("长阳土家族自治县", DISTRICT, "长阳"),
        ("城区", DISTRICT, "城区"),
    ],
)
def test_short_names(name: str, level: int, short: str) -> None:
    assert short_name(name, level) == short


def test_hierarchy_and_municipalities(gaz) -> None:
    assert gaz.names("330109") == ("浙江省", "杭州市", "萧山区")
    assert gaz.names("110105") == ("北京市", "北京市", "朝阳区")
    assert gaz.names("429005") == (
        "湖北省",
        "潜江市",
        "潜江市",
    )  # 省直辖县级市 acts as its own city
    assert gaz.contains("330000", "330109") and not gaz.contains("320000", "330109")


def test_lookup_by_short_former_and_ambiguous_names(gaz) -> None:
    assert [r.adcode for r in gaz.lookup("萧山")] == ["330109"]
    assert [r.name for r in gaz.lookup("襄樊市")] == ["襄阳市"]
    assert [r.name for r in gaz.lookup("闸北区")] == ["静安区"]
    assert {gaz.names(r.adcode)[1] for r in gaz.lookup("朝阳区")} == {"北京市", "长春市"}
    assert gaz.lookup("梁平县")[0].name == "梁平区" and "500228" not in gaz.regions


def test_distance(gaz) -> None:
    assert 1000 < gaz.distance_km("110105", "310104") < 1150  # Beijing → Shanghai
    assert gaz.distance_km("330109", "330109") == 0


@pytest.mark.parametrize(
    ("name", "full"),
    [("浙江省", True), ("浙江", False), ("杭州", False), ("和县", True), ("临高县", True),
     ("阿坝藏族羌族自治州", True), ("锡林郭勒盟", True), ("西沙群岛", False)],
)  # fmt: skip
def test_a_name_in_full_ends_with_a_divisions_suffix(name: str, full: bool) -> None:
    assert is_full_name(name) is full
