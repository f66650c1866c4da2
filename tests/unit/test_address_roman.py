"""Addresses written in pinyin or English are placed by the region names they give
(features/address_roman.py, through the parser)."""

from __future__ import annotations

import unicodedata

import pytest

from features.address import parse_address
from features.address_lexicon import get_lexicon
from features.address_roman import romanised_regions


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("Room 1203, No. 88 Caoxi North Road, Xuhui District, Shanghai", ("上海市", "徐汇区")),
        ("No.1 Zhongguancun Street, Haidian District, Beijing 100080", ("北京市", "海淀区")),
        ("Guangdong Shenzhen Nanshan Keyuan Road 8", ("深圳市", "南山区")),  # not 鹤岗's 南山区
        ("Flat 3, 18 Tianhe Road, Tianhe District, Guangzhou", ("广州市", "天河区")),
        ("ＸＩＡＮ Yanta Qu, Chang'an South Road 1", ("西安市", "雁塔区")),  # full-width, 'Qu'
        ("Pudong New Area, Shanghai, Century Avenue 100", ("上海市", "浦东新区")),
        ("Hangzhou Xi Hu District, Wensan Road 90", ("杭州市", "西湖区")),  # a name in two words
        ("Jianguo Road 88, Chaoyang District, Beijing", ("北京市", "朝阳区")),  # 朝 read chao
        ("Chaoyang District, Shantou, Guangdong", ("汕头市", "潮阳区")),  # the other Chaoyang
        ("Xian Ning, Hubei, Wenquan Road 1", ("咸宁市", None)),  # two words before one
    ],
)
def test_a_latin_script_address_is_placed(text: str, where: tuple[str, str]) -> None:
    parsed = parse_address(text, "13800138000")
    assert (parsed.city, parsed.district) == where
    assert parsed.adcode and "ADDR_UNPARSEABLE" not in parsed.defects
    # the courier reads it as written (half-width, the postcode apart)
    assert parsed.detail == unicodedata.normalize("NFKC", text).replace("100080", "").strip()


def test_a_name_before_a_street_word_is_a_street() -> None:
    lex = get_lexicon()
    assert romanised_regions("88 Zhongshan Road, Nanjing", lex) == "南京市"  # not 中山市
    assert romanised_regions("Nanjing West Rd 1788, Jing'an, Shanghai", lex) == "上海市静安区"
    parsed = parse_address("88 Zhongshan Road, Nanjing")
    assert (parsed.city, parsed.district) == ("南京市", None)
    assert "ADDR_MISSING_LEVEL" in parsed.defects


def test_latin_text_that_names_no_region_stays_unparseable() -> None:
    assert romanised_regions("Lovely Garden Room 12", get_lexicon()) is None
    assert parse_address("Lovely Garden Room 12").defects[0] == "ADDR_UNPARSEABLE"
    # written in characters, the address is read as before (no Latin reading is added)
    chinese = parse_address("Beijing 北京市海淀区中关村大街27号")
    assert (chinese.district, chinese.defects) == ("海淀区", ())
