"""Surface-form index over the gazetteer for the address parser, built once per process.

Real order addresses name regions in many ways: full names (杭州市), short forms (杭州, 萧山),
autonomous-area names without the ethnic part (新疆, 塔什库尔干), former names (襄樊, 鄞县), the
county / city names of districts that were upgraded (萧山市, 余杭县 → 萧山区, 余杭区), and the names
autonomous counties and banners go by (长阳县, 鄂温克旗, 科左中旗). Every form
maps to the adcodes it may mean with the kind of match, so the parser can weigh the evidence.
A pinyin index over short names catches sound-alike typos (溪湖 → 西湖).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from itertools import islice, product

from pypinyin import Style, lazy_pinyin
from pypinyin import pinyin as _heteronyms

from ordersight.gazetteer import (
    CITY,
    DISTRICT,
    Gazetteer,
    Region,
    Zone,
    city_facts,
    functional_zones,
    load_gazetteer,
    moved_towns,
)

__all__ = [
    *("EXACT", "FORMER", "FUZZY", "KIND_WEIGHT", "SHORT", "ZONE", "ZONE_SUFFIXES", "Lexicon"),
    *("get_lexicon", "pinyin", "readings", "spellings", "stems_by", "stems_by_any_reading"),
    "zone_after_city",
]

EXACT, SHORT, FORMER, FUZZY = "exact", "short", "former", "fuzzy"
KIND_WEIGHT = {EXACT: 1.0, SHORT: 0.9, FORMER: 0.85, FUZZY: 0.75}
# the words that end a functional zone's name (苏州工业园区, 长沙经开区, 兰州新区, 郑州航空港区,
# 西安浐灞生态区, 西安国际港务区, 长春汽开区)
ZONE_SUFFIXES = (
    "经开区",
    "汽开区",
    "开发区",
    "高新区",
    "园区",
    "新区",
    "保税区",
    "度假区",
    "示范区",
    "合作区",
    "试验区",
    "实验区",
    "生态区",
    "港务区",
    "港区",
)
# a zone by its suffix: up to eight characters of place name before it, none a street's or a
# region's word, and no street word right after (苏州工业园区, 郑东新区; not 开发区路)
ZONE = re.compile(
    r"(?:(?![路街道巷弄号镇乡村区市县])[\u4e00-\u9fff]){0,8}?"
    rf"(?P<suffix>{'|'.join(ZONE_SUFFIXES)})(?![路街巷弄])"
)
_ONE_CHAR_SUFFIX = re.compile(r"(?<!地)[省市区县旗盟]$")  # 阿里地区 keeps 地区 whole
_UPGRADE_SUFFIXES = ("县", "市")  # 撤县设区 / 撤市设区: the old name still appears on orders
# 撤县设区 / 撤县设市 after the gazetteer's date: the new name is read as the same county
_UPGRADED_TO = ("区", "市")
_ETHNIC = re.compile(
    r"(维吾尔|哈萨克|柯尔克孜|塔吉克|锡伯|蒙古|回族|藏族|羌族|彝族|苗族|土家族|侗族|瑶族|壮族|"
    r"布依族|白族|傣族|哈尼族|傈僳族|景颇族|纳西族|怒族|独龙族|普米族|拉祜族|佤族|阿昌族|德昂族|"
    r"布朗族|黎族|畲族|仡佬族|水族|毛南族|仫佬族|满族|朝鲜族|达斡尔族|鄂温克族|鄂伦春族|土族|"
    r"撒拉族|保安族|东乡族|裕固族|各族|族)"
)


@lru_cache(maxsize=65_536)
def pinyin(text: str) -> str:
    """Toneless pinyin, the key for sound-alike matching (cached: the parser asks for the same
    region stems again and again, and pypinyin costs ~30 µs a call)."""
    return "".join(lazy_pinyin(text))


@lru_cache(maxsize=8_192)
def readings(char: str) -> tuple[str, ...]:
    """Every toneless reading of one character (都: dou, du), which :func:`pinyin` reads as
    the words around it say."""
    return tuple(dict.fromkeys(_heteronyms(char, style=Style.NORMAL, heteronym=True)[0]))


def spellings(text: str) -> Iterator[str]:
    """``text`` in every reading of its characters (the first 16)."""
    return ("".join(spelled) for spelled in islice(product(*map(readings, text)), 16))


def stems_by(spell: Callable[[str], Iterable[str]]) -> dict[str, tuple[str, ...]]:
    """Each spelling ``spell`` gives of a region's short name → the regions, each once."""
    out: defaultdict[str, list[str]] = defaultdict(list)
    for code, stem in get_lexicon().stems.items():
        for spelled in spell(stem):
            out[spelled].append(code)
    return {spelled: tuple(dict.fromkeys(codes)) for spelled, codes in out.items()}


@lru_cache(maxsize=1)
def stems_by_any_reading() -> dict[str, tuple[str, ...]]:
    """Every spelling of every region's short name, its characters read alone → the regions
    (重庆 is zhongqing as well as chongqing: 钟庆 sounds like it), for sound-alike typos
    pypinyin's own reading misses."""
    return stems_by(spellings)


@dataclass(frozen=True)
class Lexicon:
    """Surface form → ((adcode, kind), ...), plus helper indexes for fuzzy matching."""

    forms: dict[str, tuple[tuple[str, str], ...]]
    # form lengths per first two characters (every form has two or more), longest first: most
    # positions of an address start no form, and one lookup says so (named zones' lengths too)
    lengths_by_prefix: dict[str, tuple[int, ...]]
    by_pinyin: dict[str, tuple[str, ...]]
    stems: dict[str, str]  # adcode → the stem compared in fuzzy matching (short name)
    ancestors: dict[str, frozenset[str]]  # adcode → itself and every region above it
    # a county → the regions that once held its place, each with the level it reads at as a
    # former name: a moved county's old prefecture at the city level (四平市 above 公主岭市, now
    # under 长春), the county it took towns from at the county level (余杭临平…, 苍南龙港…)
    former_holders: dict[str, dict[str, int]]
    level: dict[str, int]  # adcode → PROVINCE / CITY / DISTRICT (the parser asks ~20× an address)
    below: dict[str, frozenset[str]]  # adcode → children and grandchildren (fuzzy pools)
    simplify: dict[int, int]  # traditional → simplified characters, for str.translate
    traditional: re.Pattern[str]  # finds any character ``simplify`` maps
    population: dict[str, float]  # city adcode → population (10k), big cities only
    area_city: dict[str, str]  # landline area code → city adcode
    zone_hosts: dict[tuple[str, str], str]  # (city adcode, zone) → the district holding most of it
    # a new area written without its city (贵州贵安新区, 四川省天府新区) → its city's adcode
    named_zones: dict[str, str]
    # the table's zones :data:`ZONE` cannot read: named without a suffix (长春净月区, 合肥新站区) or
    # with a long place name (郑州航空港经济综合实验区); read only after their own city
    listed_zones: re.Pattern[str]
    gazetteer: Gazetteer

    def candidates(self, form: str) -> tuple[tuple[str, str], ...]:
        return self.forms.get(form, ())

    def longest_at(self, s: str, i: int) -> tuple[tuple[str, str], ...]:
        """The readings of the longest form starting at ``s[i]``, or () where none does."""
        for length in self.lengths_by_prefix.get(s[i : i + 2], ()):
            cands = self.forms.get(s[i : i + length])
            if cands:
                return cands
        return ()

    def to_simplified(self, text: str) -> str:
        """廣東省 → 广东省; a scan first, as almost every address is simplified already."""
        return text.translate(self.simplify) if self.traditional.search(text) else text


# colloquial forms no rule gives: 内蒙, the one-syllable 州 names of long prefectures
_EXTRA_ALIASES = {
    "内蒙古自治区": ("内蒙",),
    "巴音郭楞蒙古自治州": ("巴州",),
    "博尔塔拉蒙古自治州": ("博州",),
    "克孜勒苏柯尔克孜自治州": ("克州",),
    "西双版纳傣族自治州": ("版纳",),
    # the spoken 市 names of long city names (呼市赛罕区, 乌市天山区)
    "呼和浩特市": ("呼市",),
    "乌鲁木齐市": ("乌市",),
    "哈尔滨市": ("哈市",),
    "齐齐哈尔市": ("齐市",),
    # the state-level new area of 雄县, 容城县 and 安新县 (保定), where pickers put the city;
    # 雄安新区 itself is a zone (ordersight/data/functional_zones.csv)
    "保定市": ("雄安",),
}


# what people write for long county and banner names, beyond what the rules give (科左中旗 is
# 科尔沁左翼中旗, 莫旗 莫力达瓦达斡尔族自治旗): the names the areas go by, so they count as written
_ABBREVIATIONS = {
    "前郭尔罗斯蒙古族自治县": ("前郭县", "前郭"),
    "喀喇沁左翼蒙古族自治县": ("喀左县", "喀左"),
    "莫力达瓦达斡尔族自治旗": ("莫旗",),
    "科尔沁左翼中旗": ("科左中旗",),
    "科尔沁左翼后旗": ("科左后旗",),
    "科尔沁右翼前旗": ("科右前旗",),
    "科尔沁右翼中旗": ("科右中旗",),
    "土默特左旗": ("土左旗",),
    "土默特右旗": ("土右旗",),
    "达尔罕茂明安联合旗": ("达茂旗",),
    "察哈尔右翼前旗": ("察右前旗",),
    "察哈尔右翼中旗": ("察右中旗",),
    "察哈尔右翼后旗": ("察右后旗",),
    "阿拉善左旗": ("阿左旗",),
    "阿拉善右旗": ("阿右旗",),
    "东乌珠穆沁旗": ("东乌旗",),
    "西乌珠穆沁旗": ("西乌旗",),
    "苏尼特左旗": ("东苏旗",),
    "苏尼特右旗": ("西苏旗",),
    "新巴尔虎左旗": ("新左旗",),
    "新巴尔虎右旗": ("新右旗",),
    "陈巴尔虎旗": ("陈旗",),
    "鄂托克前旗": ("鄂前旗",),
    "乌拉特前旗": ("乌前旗",),
    "乌拉特中旗": ("乌中旗",),
    "乌拉特后旗": ("乌后旗",),
}


def _aliases(name: str, short: str) -> set[str]:
    """Short forms of one name: gazetteer short, one-char suffix dropped, ethnic part dropped
    (a name that is the ethnic group's own keeps it without 族: 鄂温克族自治旗 → 鄂温克)."""
    out = {short}
    bare = _ONE_CHAR_SUFFIX.sub("", name)
    if len(bare) >= 2:
        out.add(bare)
    if "自治" in name:
        match = _ETHNIC.search(name)
        if match and match.start() >= 2:
            out.add(name[: match.start()])
        elif match and match.start() == 0 and match[0].endswith("族"):
            out.add(match[0][:-1])
    out.discard(name)
    return {a for a in out if len(a) >= 2}


def _names_in_use(name: str, aliases: set[str]) -> set[str]:
    """The names an autonomous county or banner goes by, in everyday use and on its own signs:
    its place name with the suffix (长阳县 for 长阳土家族自治县, 鄂温克旗), and the abbreviations
    above. Not a nonstandard name: it keeps the suffix and names one county."""
    out = set(_ABBREVIATIONS.get(name, ()))
    for suffix in ("县", "旗"):
        if name.endswith("自治" + suffix):
            out.update(a + suffix for a in aliases if "自治" not in a and not a.endswith(suffix))
    return out - {name}


def _without_city_name(region: Region, gaz: Gazetteer) -> set[str]:
    """An autonomous county named after its city, written after the city without the name
    again (阜新市蒙古族自治县, 本溪市满族自治县)."""
    parent = gaz.regions.get(region.parent or "")
    if "自治" not in region.name or parent is None:
        return set()
    rest = region.name.removeprefix(parent.short)
    return {rest} if rest != region.name and _ETHNIC.match(rest) else set()


def _colloquial(name: str, aliases: set[str]) -> set[str]:
    """Spoken forms beyond the rules (海西州, 恩施州, 巴州): matched, never used as fuzzy stems."""
    out = set(_EXTRA_ALIASES.get(name, ()))
    if name.endswith("自治州"):
        out.update(a + "州" for a in aliases if not a.endswith("州"))
    return out - {name}


def zone_after_city(zone: str, city: Region) -> str:
    """A zone's name as written after its city, without the city its name repeats (苏州工业园区
    → 工业园区), unless only the bare suffix would be left (兰州新区, 福州新区 stay whole)."""
    for form in (city.name, city.short):
        rest = zone[len(form) :]
        if zone.startswith(form) and rest not in ZONE_SUFFIXES:
            return rest
    return zone


def _zone_forms(zone: Zone, gaz: Gazetteer) -> set[str]:
    """A zone as written after its city: the usual form and the official name without the city
    (武汉东湖新技术开发区 → 东湖新技术开发区)."""
    return {zone.name, zone_after_city(zone.full_name, gaz[zone.city])}


def _listed_zones(names: Iterable[str]) -> re.Pattern[str]:
    """:attr:`Lexicon.listed_zones`: the zone names (each zone's forms, and its official name as
    written after the city: 郑州航空港经济综合实验区) that :data:`ZONE` does not read whole; longest
    first. The group is named ``suffix`` as in :data:`ZONE`: the whole name is the word that ends
    it."""
    odd = sorted((n for n in names if not ZONE.fullmatch(n)), key=lambda n: (-len(n), n))
    words = "|".join(map(re.escape, odd)) or "(?!)"  # none: a pattern that never matches
    return re.compile(f"(?P<suffix>{words})(?![路街巷弄])")


def _former_holders(gaz: Gazetteer) -> dict[str, dict[str, int]]:
    """County → its old prefecture if it moved (公主岭市 → {四平市: CITY}) and the counties of its
    city it took towns from (临平区 → {余杭区: DISTRICT}: ``moved_towns`` the other way round)."""
    out: dict[str, dict[str, int]] = defaultdict(dict)
    for county, prefectures in gaz.former_prefectures().items():
        out[county].update(dict.fromkeys(prefectures, CITY))
    for old, moved in moved_towns().items():
        for _, county in moved:
            out[county][old] = DISTRICT
    return dict(out)


def _named_zones(zones: Iterable[Zone], forms: Mapping[str, Mapping[str, str]]) -> dict[str, str]:
    """The new areas people write without their city, after the province or alone (贵州贵安新区,
    四川省天府新区, 河北雄安新区, 兰州新区, 杭州湾新区; the pickers list them at the city level):
    those whose name without 新区 is no other region's (not 江北新区: 江北 is 重庆's 江北区 too).
    Name → the city's adcode."""
    return {
        z.name: z.city
        for z in zones
        if z.name.endswith("新区")
        and not z.name.endswith("高新区")  # 火炬高新区: 厦门's, 中山's and 泉州's
        and len(z.name) > 3
        and forms.get(z.name[:-2], {}).keys() <= {z.city}
    }


def simplified_table(gaz: Gazetteer) -> dict[int, int]:
    """Traditional → simplified, one character each (廣東 → 广东), for ``str.translate``.
    Characters that occur in a region name stay as they are (乾安县 is not 干安县)."""
    from hanziconv.charmap import simplified_charmap, traditional_charmap

    keep = {ch for region in gaz.regions.values() for ch in region.name}
    return {
        ord(t): ord(s)
        for t, s in zip(traditional_charmap, simplified_charmap, strict=True)
        if t != s and t not in keep
    }


def build_lexicon(gaz: Gazetteer, facts: dict[str, tuple[float, str]] | None = None) -> Lexicon:
    """Pure construction of the index (exact beats short beats former for the same form)."""
    forms: dict[str, dict[str, str]] = defaultdict(dict)
    rank = {EXACT: 0, SHORT: 1, FORMER: 2}

    def add(form: str, code: str, kind: str) -> None:
        if len(form) < 2:  # one character names nothing on its own (and the scan keys on two)
            return
        old = forms[form].get(code)
        if old is None or rank[kind] < rank[old]:
            forms[form][code] = kind

    stems: dict[str, str] = {}
    for code, region in gaz.regions.items():
        add(region.name, code, EXACT)
        aliases = _aliases(region.name, region.short)
        for alias in aliases | _colloquial(region.name, aliases):
            add(alias, code, SHORT)
        for form in _names_in_use(region.name, aliases):
            add(form, code, EXACT)
        for form in _without_city_name(region, gaz):
            add(form, code, SHORT)
        stems[code] = min(aliases | {region.short}, key=len)
    current = {form: set(codes) for form, codes in forms.items()}
    for code, region in gaz.regions.items():
        for old in region.former:
            add(old, code, FORMER)
            # a bare old name another region goes by names that region (芜湖 is 芜湖市, not the
            # former 芜湖县; 东山 stays 东山县, not 广州's former 东山区)
            for form in _aliases(old, old):
                if current.get(form, {code}) <= {code}:
                    add(form, code, FORMER)
    known = set(forms)
    upgraded: dict[str, set[str]] = defaultdict(set)
    for code, region in gaz.regions.items():
        if region.level == DISTRICT and region.name.endswith("区"):
            for suffix in _UPGRADE_SUFFIXES:
                old = stems[code] + suffix
                if old not in known:
                    add(old, code, FORMER)
        elif region.level == DISTRICT and region.name.endswith(_UPGRADE_SUFFIXES):
            for suffix in _UPGRADED_TO:  # newer than the gazetteer: 田阳县 is 田阳区 since 2019
                upgraded[stems[code] + suffix].add(code)
    for new, codes in upgraded.items():
        if new not in known and len(codes) == 1:  # a name two counties would share says nothing
            add(new, codes.pop(), EXACT)
    zones = [z for zs in functional_zones().values() for z in zs]
    zone_hosts = {(z.city, form): z.host for z in zones for form in _zone_forms(z, gaz)}
    named_zones = _named_zones(zones, forms)
    lengths: dict[str, set[int]] = defaultdict(set)
    for form in (*forms, *named_zones):
        lengths[form[:2]].add(len(form))
    by_pinyin: dict[str, list[str]] = defaultdict(list)
    for code, stem in stems.items():
        by_pinyin[pinyin(stem)].append(code)
    ancestors = {code: frozenset(r.adcode for r in gaz.chain(code)) for code in gaz.regions}
    simplify = simplified_table(gaz)
    below: dict[str, list[str]] = defaultdict(list)
    for code, chain in ancestors.items():
        for above in chain - {code}:
            below[above].append(code)
    return Lexicon(
        forms={f: tuple(c.items()) for f, c in forms.items()},
        lengths_by_prefix={k: tuple(sorted(v, reverse=True)) for k, v in lengths.items()},
        by_pinyin={k: tuple(v) for k, v in by_pinyin.items()},
        stems=stems,
        ancestors=ancestors,
        former_holders=_former_holders(gaz),
        level={code: r.level for code, r in gaz.regions.items()},
        below={k: frozenset(v) for k, v in below.items()},
        simplify=simplify,
        traditional=re.compile("[" + re.escape("".join(map(chr, simplify))) + "]"),
        population={code: pop for code, (pop, _) in (facts or {}).items()},
        area_city={area: code for code, (_, area) in (facts or {}).items() if area},
        zone_hosts=zone_hosts,
        named_zones=named_zones,
        listed_zones=_listed_zones({form for _, form in zone_hosts} | {z.full_name for z in zones}),
        gazetteer=gaz,
    )


@lru_cache(maxsize=1)
def get_lexicon() -> Lexicon:
    """The process-wide lexicon over :func:`load_gazetteer` (built on first use, ~1 s)."""
    return build_lexicon(load_gazetteer(), city_facts())
