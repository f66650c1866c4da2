"""Addresses in Hong Kong, Macao and Taiwan: read from their own small table, not the mainland's.

cpca's divisions, and so the mainland gazetteer, stop at their province codes (810000, 820000,
710000), and their place names must not be read as a mainland namesake (香港九龙… is not 四川's
九龙县). An order shipped there is still an order: the province, the city and the district where
written, and the rest as the detail, so the rules can pass it, or hold it where the shop does not
ship (``restricted_region`` by ``province_adcode``). The defect model never saw one, and leaves
them to the rules (:mod:`features.address_features` gives it no row to read).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from features.address_text import main_number, valid_phone
from ordersight.gazetteer import (
    EXCLUDED_PROVINCES,
    OutsidePlace,
    load_gazetteer,
    outside_mainland,
)

__all__ = [
    "OutsideReading",
    "is_outside",
    "read_outside",
    "read_outside_latin",
    "valid_outside_phone",
]

# 青岛's 香港中路, 台湾街 and 香港城 are streets and estates of mainland cities
_START = re.compile(
    r"(?:中国)?(香港|澳门|台湾)(?:特别行政区|特区|省)?"
    r"(?![东西南北中]?(?:路|街|大道|大街|花园|广场|城|新城|新村|小区))"
)
# the parts people name between the province and the district: 香港岛 / 九龙 / 新界, 澳门半岛
_REGION_WORDS = re.compile(r"(?:香港岛|港岛|九龙|新界|半岛)?")
# a Taiwanese district after its city: 信义区, 前镇区, 竹北市, 礁溪乡, 头城镇
_TAIWAN_DISTRICT = re.compile(r"[\u4e00-\u9fff]{1,3}?区|[\u4e00-\u9fff]{1,2}?[市乡镇]")
_LONGEST_FORM = 6  # 圣安多尼堂区
# local numbers (main_number drops the mainland's +86 only): Hong Kong and Macao 8 digits after
# 852 / 853, Taiwan's mobiles 09xx xxx xxx and landlines 0x-xxxx-xxxx, after 886 without the 0
_LOCAL_PHONE = re.compile(
    r"(?:\+|00)?(?:(?:852|853)?[2-9]\d{7}|(?:886|0)9\d{8}|(?:886|0)[2-8]\d{7,8})"
)


@dataclass(frozen=True)
class OutsideReading:
    """What the table reads at the start of an address; ``end`` is where the detail starts."""

    province_adcode: str
    province: str
    city: str | None  # None: 台湾 alone, no city written
    district: str | None
    end: int


@dataclass(frozen=True)
class _Province:
    adcode: str
    name: str
    city: str | None  # Hong Kong and Macao are one city (as 北京 is); Taiwan has 22
    forms: dict[str, OutsidePlace]  # each written form → its place


@lru_cache(maxsize=1)
def _provinces() -> dict[str, _Province]:
    """Per province as written (香港, 澳门, 台湾), its table rows."""
    rows: dict[str, list[OutsidePlace]] = {}
    for place in outside_mainland():
        rows.setdefault(place.province[:2], []).append(place)
    out: dict[str, _Province] = {}
    for short, places in rows.items():
        cities = {p.city for p in places}
        forms = {f: p for p in places for f in (p.district or p.city, *p.forms)}
        first = places[0]
        city = first.city if len(cities) == 1 else None
        out[short] = _Province(first.province_adcode, first.province, city, forms)
    return out


@lru_cache(maxsize=1)
def _bare_cities() -> re.Pattern[str]:
    """Taiwan's cities and counties by their full names that no mainland region has (not 金门县
    or 连江县, which 泉州 and 福州 list), as an address may start with them."""
    gaz = load_gazetteer()
    names = {p.city for p in outside_mainland() if not p.district and not gaz.lookup(p.city)}
    return re.compile("|".join(sorted(names)))


def is_outside(adcode: str | None) -> bool:
    """Whether a parsed adcode is one of Hong Kong's, Macao's or Taiwan's."""
    return adcode is not None and adcode[:2] + "0000" in EXCLUDED_PROVINCES


def read_outside(compact: str) -> OutsideReading | None:
    """The province, city and district an address starting with 香港 / 澳门 / 台湾, or with a
    Taiwanese city no mainland region is named like, names (``compact``: the cleaned text without
    separators), else None."""
    start = _START.match(compact)
    if start is not None:
        province = _provinces()[start[1]]
        after = start.end()
        pos = _REGION_WORDS.match(compact, after).end()  # type: ignore[union-attr]
    elif _bare_cities().match(compact):  # 台北市信义区…: the city alone names the province
        province, after, pos = _provinces()["台湾"], 0, 0
    else:
        return None
    longest = range(min(len(compact), pos + _LONGEST_FORM), pos, -1)
    form = next((compact[pos:end] for end in longest if compact[pos:end] in province.forms), None)
    if form is None:  # the province alone: the rest is the detail (九龙弥敦道…, Flat A, 10/F …)
        return OutsideReading(province.adcode, province.name, province.city, None, after)
    place, pos = province.forms[form], pos + len(form)
    district = place.district or None
    if district is None:  # Taiwan: the district, where written, by its suffix
        found = _TAIWAN_DISTRICT.match(compact, pos)
        if found:
            district, pos = found[0], found.end()
    return OutsideReading(province.adcode, province.name, place.city, district, pos)


# an address written in English names its province last (…, Kowloon, Hong Kong), not as a
# mainland street's or building's name (Hong Kong Middle Road, 青岛's 香港中路; Taiwan Plaza)
_NOT_A_STREET = (
    r"\b(?!\s+(?:middle|east|west|south|north|road|rd|street|st|avenue|ave|lane|garden|plaza"
    r"|building|tower|city|mall|center|centre)\b)"
)
_LATIN_PROVINCE = {
    short: re.compile(rf"\b(?:{names}){_NOT_A_STREET}", re.IGNORECASE)
    for short, names in (
        ("香港", r"hong\s*kong|kowloon|new\s+territories"),
        ("澳门", r"macau|macao"),
        ("台湾", r"taiwan"),
    )
}


@lru_cache(maxsize=1)
def _latin_places() -> tuple[tuple[re.Pattern[str], str, OutsidePlace], ...]:
    """Each place's English names as a pattern, longest first (New Taipei before Taipei), with
    the province as written in characters."""
    named = [(n, p) for p in outside_mainland() for n in p.latin]
    named.sort(key=lambda item: -len(item[0]))
    return tuple(
        (re.compile(rf"\b{re.escape(n)}\b", re.IGNORECASE), p.province[:2], p) for n, p in named
    )


def read_outside_latin(text: str) -> OutsideReading | None:
    """Hong Kong, Macao or Taiwan in an address written in English (Flat A, 10/F, 100 Nathan
    Road, Tsim Sha Tsui, Kowloon, Hong Kong): the province it names (a place name alone is not
    enough: Central, Taoyuan and Yilan are mainland names too) and the district or city where
    one is named; the whole text is the detail, as it is written in no level order."""
    short = next((s for s, pattern in _LATIN_PROVINCE.items() if pattern.search(text)), None)
    if short is None:
        return None
    province = _provinces()[short]
    named = (p for pattern, s, p in _latin_places() if s == short and pattern.search(text))
    place = next(named, None)
    if place is None:
        return OutsideReading(province.adcode, province.name, province.city, None, 0)
    return OutsideReading(province.adcode, province.name, place.city, place.district or None, 0)


def valid_outside_phone(phone: str | None) -> bool:
    """A receiver there may give a local number or a mainland one."""
    return valid_phone(phone) or bool(phone and _LOCAL_PHONE.fullmatch(main_number(phone)))
