"""Receiver addresses as people really type them, with labeled defects.

Clean variants (not labeled): 省/市 suffixes dropped on province or city (浙江杭州西湖区), the
province left out when the city is given, municipalities written twice (北京 北京市 朝阳区), a
functional zone written where the district goes (苏州市工业园区, 武汉东湖高新区), a county or
county-level city without its prefecture (浙江省桐庐县, 江苏省昆山市, 义乌市), spaces and commas,
name and phone pasted before or after, spaced or glued, courier notes like (电联), street names
that contain region names (南京东路 in 上海). Labeled defects are what a person or an automatic
correction must handle; see training/demo/README.md for the exact list.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

from pypinyin import lazy_pinyin

from ordersight.gazetteer import (
    CITY,
    COUNTY_SUFFIXES,
    DISTRICT,
    MUNICIPALITIES,
    PROVINCE,
    Gazetteer,
    county_towns,
    functional_zones,
    towns,
)
from training.demo import vocab

ADDRESS_CODES = (
    "ADDR_MISSING_LEVEL", "ADDR_NONSTANDARD_NAME", "ADDR_TYPO", "ADDR_FORMER_NAME",
    "ADDR_REGION_CONFLICT", "ADDR_AMBIGUOUS", "ADDR_REDUNDANT", "ADDR_DETAIL_MISSING",
    "ADDR_BAD_PHONE", "ADDR_UNPARSEABLE",
)  # fmt: skip
# what a platform's region picker still lets through (its region fields are always standard)
PICKER_CODES = frozenset(
    {"ADDR_MISSING_LEVEL", "ADDR_REDUNDANT", "ADDR_DETAIL_MISSING", "ADDR_BAD_PHONE"}
)
WRONG_PROVINCE_SUFFIX = {
    "新疆维吾尔自治区": "新疆省", "广西壮族自治区": "广西省", "内蒙古自治区": "内蒙省",
    "宁夏回族自治区": "宁夏省", "西藏自治区": "西藏省",
}  # fmt: skip
SEPARATORS = ["", "", "", " ", " ", ",", "，", "-"]
ZONE_SHARE = 0.3  # clean addresses in a zone's host district that name the zone instead
# clean addresses of a county or county-level city (昆山市, 桐庐县, 土默特左旗) typed without its
# prefecture city, as people usually write them (江苏省昆山市…, 浙江省桐庐县…, 义乌市稠城街道…)
COUNTY_LEVEL_SHARE = 0.4
PICKER_REPEATS_COUNTY = 0.5  # platform addresses of 潜江市 that repeat it below the province
SIBLING_CONFLICT_SHARE = 0.3  # conflicts written as two districts of one city (武昌区洪山区)
PASTED_TWICE_SHARE = 0.25  # repetitions that paste the whole address again after itself
# clean split-field addresses whose detail is the full address again, as exports and ERPs fill
# it (province 浙江省 … detail 浙江省 杭州市 西湖区 文三路90号)
FULL_DETAIL_SHARE = 0.1
# addresses missing a level that name only their town, as typed addresses often do
TOWN_ALONE_SHARE = 0.5


@dataclass
class Rendered:
    fields: dict[str, str | None]  # OrderAddress fields
    adcode: str
    detail: str  # the true street part (town + street), without notes
    zone: str | None = None  # the functional zone written in the district's place, if any


class AddressMaker:
    """Renders the address of a true district in a channel's style, optionally with a defect."""

    def __init__(self, gaz: Gazetteer):
        self.gaz = gaz
        districts = sorted(gaz.of_level(DISTRICT), key=lambda r: r.adcode)
        counts: dict[str, int] = defaultdict(int)
        for r in districts:
            counts[r.name] += 1
        self.ambiguous = [r.adcode for r in districts if counts[r.name] > 1]
        self.unique = {r.adcode for r in districts if len(gaz.lookup(r.name)) == 1}
        self.former = sorted(
            r.adcode for r in gaz.regions.values() if r.former and r.level != PROVINCE
        )
        self.cities_of: dict[str, list[str]] = defaultdict(list)
        for r in sorted(gaz.of_level(CITY), key=lambda r: r.adcode):
            if r.parent:
                self.cities_of[r.parent].append(r.adcode)
        self.homophones = _homophones(tuple(sorted({r.name for r in gaz.regions.values()})))
        self.zones = functional_zones()
        # a stream of its own: full-address details leave every other draw of the world as it was
        self.exports = random.Random("full-address details")
        self.alone = random.Random("towns written alone")  # so do towns written alone

    # -- truth selection -------------------------------------------------------------------
    def needs_truth(self, code: str | None, adcode: str) -> list[str] | None:
        """Districts the defect needs the true address to be in (None: any district works)."""
        if code == "ADDR_AMBIGUOUS" and adcode not in self.ambiguous:
            return self.ambiguous
        if code == "ADDR_FORMER_NAME" and not self._former_of(adcode):
            pool = []
            for code_ in self.former:
                region = self.gaz[code_]
                kids = self.gaz.children.get(code_, []) if region.level == CITY else [code_]
                pool += kids
            return sorted(pool)
        return None

    def _former_of(self, adcode: str) -> tuple[int, str] | None:
        for region in reversed(self.gaz.chain(adcode)):
            if region.former and region.level != PROVINCE:
                return region.level, region.former[0]
        return None

    # -- rendering -------------------------------------------------------------------------
    def render(self, adcode: str, style: str, code: str | None, rng: random.Random,
               person: tuple[str, str | None, str | None, str]) -> Rendered:  # fmt: skip
        """``style``: raw (one string), free (split fields typed by hand), picker (platform).
        ``person``: receiver, phone, town, street of the customer."""
        province, city, district = self.gaz.names(adcode)
        assert province and city and district
        receiver, phone, town, street = person
        true_detail = (town or "") + street
        muni = adcode[:2] + "0000" in MUNICIPALITIES
        p, c, d = province, city, district
        if style != "picker":
            p = rng.choice([province, province, self.gaz[adcode[:2] + "0000"].short])
            c = rng.choice([city, city, city, self.gaz.lookup(city)[0].short])
        if city == district:  # 省直辖县级市 such as 潜江市: some pickers repeat it as the county
            d = district if style == "picker" and rng.random() < PICKER_REPEATS_COUNTY else None
        zone = self._zone(adcode, rng) if code is None else None
        d = zone or d
        hand_typed = code is None and style != "picker"
        if hand_typed and _county_level(district, city) and rng.random() < COUNTY_LEVEL_SHARE:
            c = None
            p = p if rng.random() < 0.7 else None
        detail = true_detail
        if code == "ADDR_MISSING_LEVEL":
            p, c, d = self._drop_levels(adcode, p, c, d, style, rng)
            alone = self._town_alone(adcode, town, style)
            if alone:  # only the town and the street (仓前街道良睦路…)
                p = c = d = None
                detail = true_detail = alone + street
        elif code == "ADDR_AMBIGUOUS":  # and no town, which would say the city (鼓楼区五凤街道)
            p, c, detail = None, None, street
        elif code == "ADDR_NONSTANDARD_NAME":
            p, d = self._nonstandard(adcode, province, p, d, rng)
        elif code == "ADDR_TYPO":
            c, d = self._typo(c, d, rng)
        elif code == "ADDR_FORMER_NAME":
            level, old = self._former_of(adcode) or (DISTRICT, district)
            c, d = (old, d) if level == CITY else (c, old)
        elif code == "ADDR_REGION_CONFLICT":
            p, c, d = self._conflict(adcode, p, c, d, rng)
        elif code == "ADDR_REDUNDANT":
            regions = (p or "") + (c or "") + (d or "")
            if rng.random() < PASTED_TWICE_SHARE:  # …中山路1号南京市玄武区中山路1号
                detail += rng.choice(["", " "]) + regions + detail
            else:
                repeat = rng.choice([(c or "") + (d or ""), regions, d or c]) or ""
                # split fields whose detail names the levels once are a full address
                # (ordersight/address_fields.py); a repeat there is the levels twice, as in the
                # raw style
                twice = repeat if style != "raw" else ""
                detail = twice + repeat + rng.choice(["", " "]) + detail
        elif code == "ADDR_UNPARSEABLE":  # no region at all, nothing in the detail names one
            p = c = d = None
            brand = rng.choice(vocab.COMMUNITY_ROOTS[:10]) + rng.choice(vocab.COMMUNITY_TYPES)
            detail = f"{brand}{rng.randrange(1, 30)}栋{rng.randrange(1, 30)}0{rng.randrange(1, 5)}"
        elif code == "ADDR_DETAIL_MISSING":
            detail = rng.choice([*vocab.JUNK_DETAILS, "", town or ""])
        if code is None and style != "raw" and self.exports.random() < FULL_DETAIL_SHARE:
            detail = self._full_detail([p, c, d], detail)
        if code != "ADDR_DETAIL_MISSING" and rng.random() < 0.06:
            detail += rng.choice(vocab.NOISE)
        if style == "raw":
            # 北京北京市: harmless doubling, but not over a city written wrong (a typo, a conflict)
            if muni and p and c and code not in {"ADDR_TYPO", "ADDR_REGION_CONFLICT"}:
                c = city if rng.random() < 0.4 else None
            if p and c and rng.random() < 0.25 and code != "ADDR_NONSTANDARD_NAME":
                p = None
            raw = self._join([p, c, d], detail, receiver, phone, rng)
            fields = {"raw": raw, "receiver": receiver, "phone": phone}
        else:
            fields = {"province": p, "city": c, "district": d, "detail": detail or None,
                      "receiver": receiver, "phone": phone}  # fmt: skip
        return Rendered(fields, adcode, true_detail, zone)

    def _town_alone(self, adcode: str, town: str | None, style: str) -> str | None:
        """For a share of the addresses missing a level, the only region written is a town no
        other county holds: the customer's own, or one of the county's (a tenth of CCKS 2021's
        typed addresses start so: 观海卫镇昌兴村…). None for a picker, which always has its
        levels, or a county none of whose towns is its own alone."""
        if style == "picker" or self.alone.random() >= TOWN_ALONE_SHARE:
            return None
        held = towns()
        if town and held.get(town) == (adcode,):
            return town
        own = [t for t in county_towns().get(adcode, ()) if held[t] == (adcode,)]
        return self.alone.choice(own) if own else None

    def _full_detail(self, regions: list[str | None], detail: str) -> str:
        """The detail as an export writes it beside the region fields: the full address."""
        sep = self.exports.choice([" ", " ", "", ","])
        return sep.join(r for r in regions if r) + sep + detail

    def _zone(self, adcode: str, rng: random.Random) -> str | None:
        """Sometimes the zone the district hosts (苏州工业园区 in 吴中区), as people write it."""
        zones = self.zones.get(adcode)
        if zones and rng.random() < ZONE_SHARE:
            return rng.choice(zones).name
        return None

    def _join(self, regions: list[str | None], detail: str, receiver: str, phone: str | None,
              rng: random.Random) -> str:  # fmt: skip
        sep = rng.choice(SEPARATORS)
        text = sep.join(r for r in regions if r)
        text += rng.choice(["", sep, " "]) + detail
        roll = rng.random()  # a contact card pasted whole, spaced or glued (a "smart fill" box)
        if roll < 0.08 and phone:
            text = f"{receiver} {phone} {text}"
        elif roll < 0.12 and phone:
            text = f"{phone}{text}{receiver}"
        elif roll < 0.24 and phone:
            gap = rng.choice([" ", ",", "，"])
            text = f"{text}{gap if roll < 0.2 else ''}{receiver}{gap}{phone}"
        return text.strip() or "-"

    def _drop_levels(self, adcode: str, p, c, d, style: str, rng: random.Random):
        if style == "picker" or d is None or _county_level(d, c):
            # a district the platform's picker does not know yet; a county without its
            # prefecture is how people write it (see COUNTY_LEVEL_SHARE), not a defect
            return p, c, None
        roll = rng.random()
        if roll < 0.45 and adcode in self.unique:
            return None, None, d  # only the district: recoverable from the gazetteer
        if roll < 0.7:
            return p, None, d
        return p, c, None

    def _nonstandard(self, adcode: str, province: str, p, d, rng: random.Random):
        if province in WRONG_PROVINCE_SUFFIX and rng.random() < 0.7:
            return WRONG_PROVINCE_SUFFIX[province], d
        short = self.gaz[adcode].short
        if d and short != d:
            return p, short
        return WRONG_PROVINCE_SUFFIX.get(province, (p or province) + "省"), d

    def _typo(self, c: str | None, d: str | None, rng: random.Random):
        options = [(i, name) for i, name in enumerate((c, d)) if name]
        rng.shuffle(options)
        for which, name in options:
            wrong = self._misspell(name, rng)
            if wrong:
                return (wrong, d) if which == 0 else (c, wrong)
        return c, (d or "") + "区"  # nothing to misspell: a doubled suffix is a typo too

    def _misspell(self, name: str, rng: random.Random) -> str | None:
        positions = list(range(len(name) - 1))  # keep the suffix
        rng.shuffle(positions)
        for pos in positions:
            alternatives = self.homophones.get(name[pos], ())
            for alt in rng.sample(alternatives, len(alternatives)):
                wrong = name[:pos] + alt + name[pos + 1 :]
                if not self.gaz.lookup(wrong):
                    return wrong
        return None

    def _conflict(self, adcode: str, p, c, d, rng: random.Random):
        """A district from another city of the province, two districts of the same city written
        together (武昌区洪山区: which one?), or another municipality's name."""
        region = self.gaz[adcode]
        siblings = [
            self.gaz[x].name
            for x in self.gaz.children.get(region.parent or "", [])
            if x != adcode and self.gaz[x].level == DISTRICT
        ]
        if d and siblings and rng.random() < SIBLING_CONFLICT_SHARE:
            pair = [d, rng.choice(siblings)]
            rng.shuffle(pair)
            return p, c, "".join(pair)
        province = adcode[:2] + "0000"
        cities = [x for x in self.cities_of.get(province, []) if x != region.parent]
        if cities and d:
            other = self.gaz.children.get(rng.choice(cities), [])
            names = [self.gaz[x].name for x in other if self.gaz[x].name != d]
            if names:
                return p, c, rng.choice(names)
        other_name = self.gaz[rng.choice(sorted(MUNICIPALITIES - {province}))].name
        return (other_name, other_name, d) if province in MUNICIPALITIES else (p, other_name, d)


@lru_cache(maxsize=1)
def _homophones_pool() -> str:
    return "".join(vocab.GIVEN + vocab.SURNAMES + vocab.ROAD_ROOTS + vocab.COMMUNITY_ROOTS)


def _homophones(names: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """char → other characters with the same toneless pinyin (from region names and vocab)."""
    chars = sorted(set("".join(names)) | set(_homophones_pool()))
    by_sound: dict[str, list[str]] = defaultdict(list)
    for ch in chars:
        by_sound[lazy_pinyin(ch)[0]].append(ch)
    return {ch: tuple(x for x in by_sound[lazy_pinyin(ch)[0]] if x != ch) for ch in chars}


def _county_level(district: str, city: str | None) -> bool:
    """A county (桐庐县, 土默特左旗) or county-level city (昆山市 under 苏州市) under a
    prefecture, not the prefecture itself; an urban district (西湖区) is written with its city."""
    return district.endswith(COUNTY_SUFFIXES) and district != city
