"""Address parser core: raw text → standard province / city / district, detail, defects.

How it reads an address, and why:

1. ``clean_text`` strips what is not address (phones, labels, "(电联)", a pasted name) and keeps a
   compact copy without separators, so "浙江-杭州_西湖区" scans like "浙江杭州西湖区".
2. A longest-match scan over every surface form of every region (:mod:`features.address_lexicon`)
   finds the mentions. A form followed by 路 / 街 / 大道 … (陕西南路, 北京路, 中山北路) is a street,
   and a form followed by 镇 / 乡 / 街道 a town, so neither counts as a region.
3. Mentions that follow each other form a *block*; gaps inside the block or right after it are read
   fuzzily (sound-alike pinyin, one wrong character) against the regions the block allows there.
   The block with the most evidence is the address; text after it is the detail.
4. Every candidate adcode is a hypothesis; its support is the weighted number of mentions it agrees
   with. The best-supported, deepest hypothesis fills missing parents. Ties that no other clue
   (distance to the other named regions, quality of the match, a landline's area code) breaks are
   *ambiguous*: ranked candidates are returned, and the levels are filled from the most populous
   city's reading when the population prior separates them, else only the levels they share —
   never a random pick.
5. A functional zone written right after a city (苏州市工业园区, 武汉东湖高新区, 长沙经开区) is the
   county level, as in the platforms' region pickers: ``district`` is the zone as written after
   the city, without a repeated city name (苏州市苏州工业园区 → 工业园区). A zone has no code of
   its own: ``adcode`` is the official district holding most of a known zone
   (``ordersight/data/functional_zones.csv``), so routing, distances and duplicate keys match the
   same door written with its district, else the city's. A real district written with the zone
   (南京市江北新区浦口区) wins. A city without counties (东莞, 中山, 儋州, 嘉峪关) is complete at
   city level: what follows is a town (长安镇) and part of the detail.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from features.address_lexicon import (
    EXACT,
    FORMER,
    FUZZY,
    KIND_WEIGHT,
    SHORT,
    ZONE,
    ZONE_SUFFIXES,
    Lexicon,
    pinyin,
    spellings,
    stems_by_any_reading,
    zone_after_city,
)
from features.address_lexicon import get_lexicon as _lexicon
from features.address_outside import (
    OutsideReading,
    read_outside,
    read_outside_latin,
    valid_outside_phone,
)
from features.address_roman import regions_by_reading, romanised_regions
from features.address_text import (
    SEPARATOR_CHARS,
    TRAILING_PUNCTUATION,
    CleanText,
    clean_text,
    phone_kind,
)
from features.address_towns import (
    bare_town_county,
    inside_town,
    moved_town_county,
    town_at,
    town_county,
)
from ordersight.codes import CODES
from ordersight.gazetteer import CITY, COUNTY_SUFFIXES, DISTRICT, PROVINCE
from ordersight.schema import Candidate, ParsedAddress, trusted

__all__ = ["Analysis", "Mention", "analyse", "parse_address", "parse_addresses", "prime"]

# functional zones (经开区, 高新区, 工业园区, 郑东新区 …) are written where the district goes and
# the platforms' region pickers list them under their city, but they have no adcode
_ZONE_SUFFIX = "|".join(ZONE_SUFFIXES)
# the words between a zone's place name and its suffix in official names (武汉东湖新技术开发区,
# 北京经济技术开发区, 成都高新技术产业开发区)
_ZONE_QUALIFIER = "高新技术产业|新技术产业|高技术产业|经济技术|高新技术|新技术|高科技|经济|工业"
_DAY_ROADS = "八一|五一|五四|二七|三八|七一|六一|一二九"
_NOT_REGION_AFTER = re.compile(
    rf"(?P<zone>{_ZONE_SUFFIX})|"  # 江北新区 (南京) is a zone, not 江北区
    rf"(?P<named_zone>(?:{_ZONE_QUALIFIER})(?:{_ZONE_SUFFIX}))|"
    # 桥头 and a number's 里 start place names (温州桥头镇, 湖州八里店), not a bridge or a lane
    r"[东西南北中]?(环?路|街|大街|大道|道|巷|弄|里|胡同|桥(?!头))|"
    rf"(?P<day>(?:{_DAY_ROADS})[东西南北中]?[路街巷弄])|"  # 八一路, 五四路: named for a day
    r"[一二三四五六七八九十\d]{1,3}[东西南北中]?[路街巷弄]|"  # 新兴一路: a numbered road
    r"广场|公园|小区|花园|新村|大厦|中学|小学|大学(?!路)|学院(?!路)|学校|"  # 杭州学院路: a road
    r"医院|商场|银行|机场(?!路)|车站(?![东西南北中]?路)|站|新?城?镇|乡|村|苑|府|庭|阁|轩|湾|园|公寓|"
    r"家园|门|局|厅|派出所"
)
_ROAD_AFTER = re.compile(
    r"[东西南北中]?[一二三四五六七八九十\d]{0,3}[东西南北中]?(?:路|大街|大道|街(?!道)|巷|弄)"
)
_ZONE_NAMED_AFTER = re.compile(rf"(?:{_ZONE_QUALIFIER})?(?:{_ZONE_SUFFIX})")
_SUFFIXED = re.compile(
    r"([\u4e00-\u9fff]{2,7}?)(特别行政区|自治区|自治州|自治县|地区|省|市|区|县|旗|盟)"
)
_STREET_WORDS = "路|街|道|巷|弄"
_BUILDING_WORDS = "号|栋|幢|楼|单元|室|村|组|小区|大厦|花园|苑|园|公寓|广场|座"
_DETAIL_TOKEN = re.compile(f"{_STREET_WORDS}|{_BUILDING_WORDS}")
# a detail ending in its street or town (江南大道, 华阳街道正东街, 大沥街道, 黄村镇)
_STREET_LAST = re.compile(f"(?:{_STREET_WORDS}|胡同|镇|乡)$")
_BUILDING_WORD = re.compile(_BUILDING_WORDS)
# a named institution or housing estate is a door of its own, as a 小区 is (公兴中学, 人民法院,
# 翰林上岛, 华城金都, 东城一品), and a county has one 党校, one 法院 (江永县党校, 多伦县人民法院)
_NAMED_PLACE = re.compile(
    r".{2,}(?:学校|中学|小学|大学|学院|医院|卫生院|法院|检察院|党校|政府|派出所|银行|公司)"
    r"|.{2,}(?:城|府|邸|都|岛|郡|墅|阁|轩|居|汇|荟|湾|庭|公馆|一品|印象|名门|首府|天地)"
    r"|(?:人民)?(?:法院|检察院|医院|政府)|党校"
)
_DIGIT = re.compile(r"\d")
_LATIN = re.compile(r"[A-Za-z]")
# words of a detail that point elsewhere for the address (the chat, the order's note, a call) or
# say it is unknown or as before; a detail made of these alone names no place
_NOT_A_PLACE = re.compile(
    r"详见|请见|参见|见|看|备注|留言|聊天记录|聊天|私聊|私信|消息|短信|微信|信息|记录|订单|"
    r"同上|如上|以上|上面|上一单|上单|之前|以前|一样|同前|地址|不详|未知|不知道|待定|暂无|无|空|"
    r"电联|电话|联系|确认|具体|收件人|收货人|本人|打|到了|给我|我|再说|随便|告知|通知|请|和|的|"
    r"[\W_]"
)
# a door: a number or letter before its word (3号楼, 501室, B座), or after it in English (Room 501)
_DOOR = re.compile(
    r"(?:\d|[A-Za-z])\s*(?:号|栋|幢|楼|单元|室|座|层)"
    r"|(?i:room|rm|building|bldg|unit|floor|flat|apt)\.?\s*\d"
)
_SUFFIX_AT_END = re.compile(r"(特别行政区|自治区|自治州|自治县|地区|省|市|区|县|旗|盟)$")
_LEFTOVER_SUFFIX = frozenset("省市区县")
# the last character of a word before it: of a region (佛汕市), a town (宁围镇) or a street (上海路)
_WORD_END = frozenset("省市区县镇乡路街")
# words that start like a leftover suffix (巫溪县县城, 杭州市市民中心, 番禺区市桥街道, 萧山区市心
# 中路, 县前街, XX县人民医院, 市一中): detail, not a second 县 / 市
_INSTITUTION_WORDS = ("政府", "委", "府", "人民", "第", "实验", "中医", "妇幼", "医院", "公安")
_PLACE_WORDS = ("城", "道", "场", "民", "政", "中心", "中街", "桥", "心", "前", "后")
_WORDS_LIKE_SUFFIX = (
    *(c + w for c in "省市区县" for w in _INSTITUTION_WORDS),
    *(c + w for c in "市县" for w in _PLACE_WORDS),
    *(c + n + "中" for c in "市县区" for n in "一二三四五六七八九"),
    *("市区", "区域", "省道", "省直"),
)
# words for part of a town (老城区, 东城区, 新城区, 郊区) that are also districts' names somewhere
_AREA_WORD = re.compile(r"[东西南北中新老]?城区|[东西南北中]区|郊区|矿区|市中区")
_NOWHERE: frozenset[str] = frozenset()
_NO_HOLDERS: dict[str, int] = {}
_ADDRESS_CODES = tuple(code for code in CODES if code.startswith("ADDR_"))  # defects in this order
_AMBIGUITY_KM = 50.0


class Mention(NamedTuple):
    """One region reference in the compact text; ``cands`` are (adcode, kind) readings.
    (A named tuple: the scan makes several per address, and a frozen dataclass costs ~3× more to
    build.)"""

    start: int
    end: int
    form: str
    cands: tuple[tuple[str, str], ...]
    similarity: float = 1.0

    def weight(self, kind: str) -> float:
        return KIND_WEIGHT[kind] * self.similarity


@dataclass(frozen=True)
class Analysis:
    """Everything the parser learned about one address: the result plus the evidence behind it."""

    parsed: ParsedAddress
    clean: CleanText
    block: tuple[Mention, ...]
    consistent: tuple[tuple[Mention, str, str], ...]  # mention, adcode and kind agreeing with best
    stray_suffixes: int  # 省/市/区/县 left after a mention (新疆省, 西湖区区)
    conflicting: tuple[Mention, ...]
    noise: tuple[Mention, ...]
    top: tuple[tuple[str, float], ...]  # tied best hypotheses, ranked
    n_blocks: int
    n_hypotheses: int
    support_margin: float
    prefix_len: int  # characters before the regions, bar Latin letters, that are not the detail
    conflict_km: float
    phone: str | None
    zone: bool = False  # the county level is a functional zone (苏州市工业园区)


def _yield_suffix(s: str, hit: Mention, lex: Lexicon) -> Mention:
    """青岛市南区 is 青岛 + 市南区: give the suffix back when the next region needs it and is
    a child of this one."""
    shorter = lex.forms.get(hit.form[:-1]) if hit.form[-1] in "市区县" else None
    if not shorter:
        return hit
    parents = {c for c, _ in shorter}
    nxt = lex.longest_at(s, hit.end - 1)
    if any(parents & lex.ancestors[c] - {c} for c, _ in nxt):
        return Mention(hit.start, hit.end - 1, hit.form[:-1], shorter)
    return hit


def _is_place_name(
    s: str,
    start: int,
    end: int,
    cands: tuple[tuple[str, str], ...],
    breaks: frozenset[int],
    lex: Lexicon,
    before: Mention | None,
) -> bool:
    """陕西南路, 北京路, 新兴一路, 海淀苑, 城关镇: a region name glued to a street / estate / town
    word. Not when a separator follows (新罗 北苑街道) or a child region does (宁波镇海区), nor for
    a full name: an exact one, or a former one with its suffix (从化市街口街道; 南市街道 is a
    street: 南市 is 南市区 without its 区). A 市 that starts 市场 is a market's (北湖市场)."""
    if s[end - 1] in _LEFTOVER_SUFFIX and s.startswith("市场", end - 1):  # 北湖市场 is a market
        return True
    form = s[start:end]
    if end in breaks or all(
        k == EXACT or (k == FORMER and not _bare_former(form, c, lex)) for c, k in cands
    ):
        return False
    if town_at(s, start, end, [c for c, _ in cands]) or inside_town(s, start, end):
        return True  # its town (西咸新区 未央宫街道: 未央区's, not 未央 written short)
    after = _NOT_REGION_AFTER.match(s, end)
    if not after:
        return False
    if after.group("zone"):  # 江北新区 is a zone, not 江北区; 昆山开发区 is in 昆山市
        return _plain_districts(cands, lex)
    if after.group("named_zone"):  # 武汉市东湖新技术开发区 is not 南昌's 东湖区; 江宁 (南京) is
        return _plain_districts(cands, lex) and not _under(before, cands, lex)
    if after.group("day"):  # 广州市天河五一路 is 天河区's 五一路; 白沟新城五一路 is a street
        return not _under(before, cands, lex)
    codes = {c for c, _ in cands}
    return not any(codes & lex.ancestors[c] - {c} for c, _ in lex.longest_at(s, end))


def _under(before: Mention | None, cands: tuple[tuple[str, str], ...], lex: Lexicon) -> bool:
    """Whether a reading of the mention lies under a reading of the region written before it."""
    above = {c for c, _ in before.cands} if before else set()
    return any(above & lex.ancestors[c] for c, _ in cands)


def _bare_former(form: str, code: str, lex: Lexicon) -> bool:
    """A former name written without its suffix (双流 for 双流县; 南市 for 南市区, though it ends
    like one), not the old name itself nor a county's old suffix (余杭县 for 余杭区)."""
    olds = lex.gazetteer[code].former
    if form in olds:
        return False
    return form[-1] not in _LEFTOVER_SUFFIX or any(old.startswith(form) for old in olds)


def _bare(m: Mention, lex: Lexicon) -> bool:
    """Every reading of the mention is a name written short, current or former."""
    return all(k == SHORT or (k == FORMER and _bare_former(m.form, c, lex)) for c, k in m.cands)


def _plain_districts(cands: tuple[tuple[str, str], ...], lex: Lexicon) -> bool:
    """Every reading is a district, none named like a county-level city (昆山市 hosts its zones)."""
    return all(
        lex.level[c] == DISTRICT and not lex.gazetteer[c].name.endswith("市") for c, _ in cands
    )


def _across_break(s: str, start: int, end: int, breaks: frozenset[int], lex: Lexicon) -> bool:
    """Whether a form runs over a separator into a region's full name (冯瑞 13110812779 安岳县…:
    the phone taken out, 冯瑞安岳县 holds 瑞安, but the receiver's 瑞 is no part of it)."""
    return any(start < b < end and any(k == EXACT for _, k in lex.longest_at(s, b)) for b in breaks)


def _scan(s: str, lex: Lexicon, breaks: frozenset[int] = frozenset()) -> list[Mention]:
    """Greedy longest match of every surface form, skipping street, estate and town names."""
    out: list[Mention] = []
    n, last_end = len(s), 0
    prefixes = lex.lengths_by_prefix
    # most positions start no form: one comprehension finds those that may (every form has 2+)
    for i in [i for i in range(n - 1) if s[i : i + 2] in prefixes]:
        if i < last_end:
            continue
        # 佛汕市南海区: 市南 after unread text is that word's suffix, not 市南区 (read 南海区);
        # so are 镇 and 路 (宁围镇宁泰路 is not 镇宁县, 上海路南 not 唐山's 路南区)
        glued = i > last_end and s[i] in _WORD_END and i not in breaks
        before = out[-1] if out else None
        for length in prefixes[s[i : i + 2]]:
            if i + length > n:
                continue
            form = s[i : i + length]
            cands = lex.forms.get(form)
            if glued and cands and all(k == SHORT for _, k in cands):
                continue
            if cands and breaks and _across_break(s, i, i + length, breaks, lex):
                continue
            if cands and not _is_place_name(s, i, i + length, cands, breaks, lex, before):
                hit = _yield_suffix(s, Mention(i, i + length, form, cands), lex)
                out.append(hit)
                last_end = _known_zone_end(s, hit, lex)
                break
            city = lex.named_zones.get(form)
            if city and (before is None or any(lex.level[c] == PROVINCE for c, _ in before.cands)):
                # 贵州贵安新区 (河北 may be 天津's 河北区 too): the new area stands for its city,
                # read as written just before it (empty), and the zone fills the county level
                out.append(Mention(i, i, "", ((city, EXACT),)))
                last_end = i + length
                break
    return out


def _known_zone_end(s: str, m: Mention, lex: Lexicon) -> int:
    """Where a known zone of the city ``m`` names ends, when one follows it, else ``m.end``: the
    names inside a zone's name are no regions (贵阳贵安新区 is not 保定's 安新县)."""
    cities = [code for code, _ in m.cands if lex.level[code] == CITY]
    zone = _zone_of(s, m.end, cities, lex) if cities else None
    if zone and any(_known_zone(zone, code, lex) for code in cities):
        return zone.end()
    return m.end


def _known_zone(zone: re.Match[str], city: str, lex: Lexicon) -> bool:
    return (city, zone_after_city(zone[0], lex.gazetteer[city])) in lex.zone_hosts


def _zone_of(s: str, pos: int, cities: list[str], lex: Lexicon) -> re.Match[str] | None:
    """The zone written at ``pos`` after one of ``cities``: one the table lists for it by a name
    no suffix gives (长春市净月区, 合肥市新站区), else any name ending in a zone's suffix."""
    listed = lex.listed_zones.match(s, pos)
    if listed and any(_known_zone(listed, code, lex) for code in cities):
        return listed
    return ZONE.match(s, pos)


def _hamming1(a: str, b: str) -> bool:
    return len(a) == len(b) and sum(x != y for x, y in zip(a, b, strict=True)) == 1


def _pool(lex: Lexicon, parents: list[Mention]) -> frozenset[str] | None:
    """Regions a fuzzy token after ``parents`` may be: below the last mention's readings."""
    if not parents:
        return None
    cands = parents[-1].cands
    if len(cands) == 1:  # the common case: the lexicon's own set, nothing built
        return lex.below.get(cands[0][0], _NOWHERE)
    return frozenset().union(*(lex.below.get(code, _NOWHERE) for code, _ in cands))


def _sounding(text: str, lex: Lexicon) -> tuple[str, ...]:
    """The regions whose short name sounds like ``text`` as pypinyin reads it, else in another
    reading of the characters of either (称都 reads chengdou, as 都 alone does, 成都 chengdu;
    钟庆 zhongqing, 重庆 chongqing and zhongqing: sound-alike typos all the same). For a name
    below a region already read: alone, a word's other readings find too many (翠苑小区: 苑小 is
    yunxiao, 云霄县), and :func:`_fuzzy_token` takes only pypinyin's reading there."""
    found = lex.by_pinyin.get(pinyin(text))
    if found:
        return found
    any_reading = stems_by_any_reading()
    for spelled in spellings(text):
        # one character mistyped, as typos are: 工业 is no 拱墅 though 墅 has a reading ye
        near = tuple(c for c in any_reading.get(spelled, ()) if _hamming1(text, lex.stems[c]))
        if near:
            return near
    return ()


def _fuzzy_token(
    s: str, pos: int, end: int, pool: frozenset[str] | None, lex: Lexicon
) -> Mention | None:
    """A typo'd or sound-alike region at ``pos`` (needs a suffix when unconstrained, and not a
    zone's: 滨海园区 is an industrial park, not 海原县 misheard)."""
    match = _SUFFIXED.match(s, pos, end)
    if match and pool is None and match.group(0).endswith(ZONE_SUFFIXES):
        match = None
    if match:
        stem = match.group(1)
        sound = (
            [c for c in _sounding(stem, lex) if c in pool]
            if pool is not None  # unconstrained, only the reading pypinyin gives
            else list(lex.by_pinyin.get(pinyin(stem), ()))
        )
        if sound:
            return Mention(pos, match.end(), match.group(0), tuple((c, FUZZY) for c in sound), 0.95)
        if pool:
            near = [c for c in pool if _hamming1(stem, lex.stems[c])]
            if len(near) == 1:
                return Mention(pos, match.end(), match.group(0), ((near[0], FUZZY),), 0.85)
    if pool:
        for length in (4, 3, 2):
            window = s[pos : pos + length]
            if len(window) < length or pos + length > end:
                continue
            sound = [c for c in _sounding(window, lex) if c in pool]
            if sound and not _street_after(s, pos + length, lex):
                if town_at(s, pos, pos + length, sound):
                    return None  # the town named after its county (西安市灞桥街道, 高邑镇)
                kinds = tuple((c, SHORT if lex.stems[c] == window else FUZZY) for c in sound)
                return Mention(pos, pos + length, window, kinds, 0.9)
    return None


def _street_after(s: str, end: int, lex: Lexicon) -> bool:
    """Whether a road's word follows (颍州南路, 井冈山大道, 新兴一路): the name read so far is the
    road's. Not a town's or a bridge's (余杭镇 and 宝安桥头街道 are in the district named), nor
    a region's name that starts like one (温州路桥区 is 温州 and 台州's 路桥区)."""
    return _ROAD_AFTER.match(s, end) is not None and not lex.longest_at(s, end)


def _zone_at(s: str, pos: int, after: Mention, lex: Lexicon) -> re.Match[str] | None:
    """A functional zone written at ``pos`` right after a city (苏州市工业园区)."""
    cities = [c for c, _ in after.cands if lex.level[c] == CITY]
    return _zone_of(s, pos, cities, lex) if cities else None


def _district_at_zone(token: Mention, zone: re.Match[str], lex: Lexicon) -> bool:
    """Whether a token read where a zone is written is a district after all: written exactly
    (南沙新区 → 南沙区), or a typo of a district named like a zone (什北新区 → 沈北新区)."""
    if all(k == SHORT for _, k in token.cands):
        return True
    return any(lex.gazetteer[c].name.endswith(zone["suffix"]) for c, _ in token.cands)


def _before_zone(s: str, block: list[Mention], lex: Lexicon) -> None:
    """A name followed by a zone is the zone's city (长沙经开区: 长沙市, not 长沙县), unless a
    district of the city named before it goes by that name (长春市朝阳经济开发区: the zone of
    朝阳区, not 辽宁's 朝阳市); a city named again just before its zone starts the zone's official
    name (苏州市苏州工业园区, 长沙市长沙经开区)."""
    m = block[-1]
    zone = _zone_at(s, m.end, m, lex)
    if not zone:
        return
    above = {c for c, _ in block[-2].cands} if len(block) > 1 else set()
    again = any(c in above for c, _ in m.cands)  # 长沙市长沙经开区: the city's own zone
    own = () if again else tuple((c, k) for c, k in m.cands if lex.gazetteer[c].parent in above)
    cands = own or tuple((c, k) for c, k in m.cands if lex.level[c] < DISTRICT)
    block[-1] = Mention(m.start, m.end, m.form, cands, m.similarity)
    if len(block) > 1 and {c for c, _ in cands} <= {c for c, _ in block[-2].cands}:
        whole = _zone_at(s, block[-2].end, block[-2], lex)
        if whole and whole.end() == zone.end():
            block.pop()


def _zone_names(s: str, block: list[Mention], lex: Lexicon) -> None:
    """包河经济开发区, 江宁开发区, 昆山经济技术开发区: a zone named after the district or county
    that holds it. There the district's short name is the zone's official name, not a shortened
    spelling of the district: its readings are exact (only where every reading is a district)."""
    for i, m in enumerate(block):  # the regex only for the few short district readings
        if all(k == SHORT and lex.level[c] == DISTRICT for c, k in m.cands) and (
            _ZONE_NAMED_AFTER.match(s, m.end)
        ):
            block[i] = m._replace(cands=tuple((c, EXACT) for c, _ in m.cands))


def _fill(s: str, pos: int, end: int, block: list[Mention], lex: Lexicon) -> int:
    """Read fuzzy tokens from ``pos`` into ``block``; returns where reading stopped. A zone after
    the city is no typo of a district (西安高新区 is not 高陵区)."""
    for _ in range(3):
        while (
            pos < end and block and (s[pos] in _LEFTOVER_SUFFIX or _zhou_typed(s, pos, block, lex))
        ):
            pos += 1
        token = _fuzzy_token(s, pos, end, _pool(lex, block), lex) if pos < end else None
        if token is None:
            break
        zone = _zone_at(s, pos, block[-1], lex)
        if zone and not _district_at_zone(token, zone, lex):
            break
        if zone and zone[0] == token.form + "新区":  # 钱塘新区, 浑南新区: the district's old name
            token = token._replace(end=zone.end(), form=zone[0])
        block.append(token)
        pos = token.end
    return pos


def _zhou_typed(s: str, pos: int, block: list[Mention], lex: Lexicon) -> bool:
    """洲 typed for the 州 of an autonomous prefecture written short (红河洲元阳县: 州 and 洲 sound
    alike), right after it: a leftover suffix, so the county after it is read."""
    last = block[-1]
    return (
        s[pos] == "洲"
        and last.end == pos
        and any(lex.gazetteer[c].name.endswith("自治州") for c, _ in last.cands)
    )


def _prefix_token(s: str, first: Mention, lex: Lexicon) -> Mention | None:
    """A typo'd parent written just before the first exact mention (折江省杭州市)."""
    parents = {a for code, _ in first.cands for a in lex.ancestors[code] if a != code}
    head = s[: first.start]
    bare = head.rstrip("省市")
    for code in sorted(parents):  # a set's order changes between processes; the answer must not
        stem = lex.stems[code]
        tail = bare[-len(stem) :]
        if len(tail) == len(stem) and tail != stem:
            suffixed = len(bare) < len(head)
            if pinyin(tail) == pinyin(stem) or (suffixed and _hamming1(tail, stem)):
                start = len(bare) - len(stem)
                return Mention(start, first.start, head[start:], ((code, FUZZY),), 0.9)
    return None


def _sound_alike(block: list[Mention], lex: Lexicon) -> list[Mention]:
    """Give a mention that disagrees with the one before it a sound-alike reading that agrees
    (折江省杭州市溪湖区: 溪湖区 is real, in 本溪, but here it is 西湖区 misheard), or after a city
    the one district whose name it starts, written short (南京市雨花区: 雨花台区, not 长沙's
    雨花区)."""
    out = block[:1]
    for m in block[1:]:
        pool = _pool(lex, out)
        if pool and not any(c in pool for c, _ in m.cands):
            stem = _SUFFIX_AT_END.sub("", m.form)
            sound = [c for c in _sounding(stem, lex) if c in pool]
            if sound:
                m = Mention(
                    m.start, m.end, m.form, m.cands + tuple((c, FUZZY) for c in sound), 0.95
                )
            elif all(lex.level[c] == CITY for c, _ in out[-1].cands):
                longer = [c for c in pool if lex.stems[c].startswith(stem) and lex.stems[c] != stem]
                if len(longer) == 1:
                    m = Mention(m.start, m.end, m.form, m.cands + ((longer[0], SHORT),), 0.95)
        out.append(m)
    return out


def _closed(s: str, block: list[Mention], m: Mention, lex: Lexicon, breaks: frozenset[int]) -> bool:
    """After a district, a bare short form that names somewhere else is the start of the detail
    (宝山区金沙华庭: 金沙 is a housing estate here, not 金沙县; 宝安西乡: a street, not 西乡县),
    and so is the city named again as the start of a place's name (福田区深圳北站, 蜀山区合肥万达
    广场, 内黄县安阳新城, 黄埔区广州经济技术开发区) unless one of its districts follows. After a
    district written short, only a name in another province counts: a sibling district
    (杭州西湖余杭) stays a conflict. A district by its former name closes the regions as well
    (闸北区共和新路: 共和 is a street here, not 青海's 共和县). So does a word for part of a town
    that is also some district's name (新华区新城区, 印台区城区, 四会市东城区: 西安's 新城区, 大同's
    城区, 北京's 东城区), unless it is a district of the same city.

    A city without counties (东莞, 中山) is followed by its towns and streets, written at the
    county level like districts elsewhere (东莞市南城区, 中山市东区): all detail. After a city, a
    bare short form of a district in another province glued to the words after it is a place's
    name (重庆解放碑: not 焦作's 解放区; 清远市新城北江二路), and so is a town's quarter (衢州市西区
    白云中大道: the town's west, not 攀枝花's 西区; 天津市西城区 stays a conflict with 北京's)."""
    last = block[-1]
    if all(lex.level[c] == CITY and not lex.gazetteer.children.get(c) for c, _ in last.cands):
        return all(lex.level[c] == DISTRICT for c, _ in m.cands)
    area = m.form.endswith("区") and _AREA_WORD.fullmatch(m.form) is not None
    if not area and not _bare(m, lex):
        return False
    seen = {a for b in block for c, _ in b.cands for a in lex.ancestors[c]}
    # a word for part of a town that is no district of the regions read (else 武昌区洪山区)
    town_part = area and not any(lex.ancestors[c] - {c} & seen for c, _ in m.cands)
    if not any(lex.level[c] == DISTRICT for c, _ in last.cands):
        if area and len(m.form) == 2 and any(lex.level[c] == CITY for c, _ in last.cands):
            return town_part
        glued = m.end < len(s) and m.end not in breaks and not lex.longest_at(s, m.end)
        return (
            glued
            and any(lex.level[c] == CITY for c, _ in last.cands)
            and all(lex.level[c] == DISTRICT and c[:2] + "0000" not in seen for c, _ in m.cands)
        )
    if not all(k in (EXACT, SHORT, FORMER) and lex.level[c] == DISTRICT for c, k in last.cands):
        return False
    if area:  # the town's own 城区 / 东城区
        return town_part
    if any(c in seen for c, _ in m.cands):  # the city again: a place named after it, unless
        codes = {c for c, _ in m.cands}  # one of its districts follows (杭州西湖区 again)
        return not any(codes & lex.ancestors[c] - {c} for c, _ in lex.longest_at(s, m.end))
    if any(k == SHORT for _, k in last.cands):
        return not any(c[:2] + "0000" in seen for c, _ in m.cands)
    return True


def _bridged(s: str, pos: int, m: Mention, block: list[Mention], lex: Lexicon) -> bool:
    """A functional zone written between a city and its district (南京市江北新区浦口区)."""
    if not ZONE.fullmatch(s, pos, m.start):
        return False
    above = {c for c, _ in block[-1].cands}
    return any(above & lex.ancestors[c] - {c} for c, _ in m.cands)


def _blocks(s: str, lex: Lexicon, breaks: frozenset[int]) -> list[list[Mention]]:
    mentions = _scan(s, lex, breaks)
    if not mentions:
        for start in range(min(len(s), 8)):
            token = _fuzzy_token(s, start, len(s), None, lex)
            if token:
                mentions = [token]
                break
    blocks: list[list[Mention]] = []
    for m in mentions:
        if blocks:
            block = blocks[-1]
            pos = _fill(s, block[-1].end, m.start, block, lex)
            joined = pos >= m.start or _bridged(s, pos, m, block, lex)
            if joined and not _closed(s, block, m, lex, breaks):
                block.append(m)
                continue
        blocks.append([m])
    for block in blocks:
        _fill(s, block[-1].end, len(s), block, lex)
        _before_zone(s, block, lex)
        _zone_names(s, block, lex)
        if block[0].cands[0][1] != FUZZY:
            token = _prefix_token(s, block[0], lex)
            if token:
                block.insert(0, token)
    return [_seat_for_prefecture(_sound_alike(block, lex), lex) for block in blocks]


def _seat_for_prefecture(block: list[Mention], lex: Lexicon) -> list[Mention]:
    """An autonomous prefecture's (地区's, 盟's) seat city written where the prefecture goes,
    before another county of it (贵州省都匀市瓮安县, 凯里市三穗县: 黔南's and 黔东南's seats, as
    people there write them) names the prefecture: the county after it is the address, not a
    conflict of two counties. The seat is taken as the prefecture's first county-level city by
    code (都匀 522701, 凯里 522601), as it is in most."""
    out = block[:1]
    for m in block[1:]:
        seat = out[-1]
        if len(seat.cands) == 1 and seat.cands[0][1] in (EXACT, SHORT):
            code = seat.cands[0][0]
            above = lex.gazetteer[code].parent or ""
            if (
                code == above[:4] + "01"
                and not lex.gazetteer[above].name.endswith("市")
                and any(lex.gazetteer[c].parent == above and c != code for c, _ in m.cands)
            ):
                out[-1] = seat._replace(cands=((above, SHORT),))
        out.append(m)
    return out


def _support(block: Sequence[Mention], hyp: str, lex: Lexicon) -> float:
    anc = lex.ancestors[hyp]
    held = lex.former_holders.get(hyp, _NO_HOLDERS)
    total = 0.0
    for m in block:
        weights = [m.weight(kind) for code, kind in m.cands if code in anc]
        weights += [m.weight(FORMER) for code, _ in m.cands if code in held]
        if weights:
            total += max(weights)
    return total


def _reading(
    m: Mention, hyp: str, lex: Lexicon, taken: frozenset[int] = frozenset()
) -> tuple[str, str] | None:
    """The deepest reading of ``m`` on ``hyp``'s chain at a level no other mention fixes
    (荆州荆州区: 荆州 is the city here); None when the mention disagrees with ``hyp``. A region
    that once held ``hyp``'s place reads as a former name at its level there: a moved county's
    old prefecture at the city level, the county a county took its towns from at the county
    level (余杭临平: 临平区's, 余杭 a former name)."""
    anc = lex.ancestors[hyp]
    held = lex.former_holders.get(hyp, _NO_HOLDERS)
    on_chain = sorted(
        [(lex.level[c], c, k) for c, k in m.cands if c in anc]
        + [(held[c], c, FORMER) for c, _ in m.cands if c in held and c not in anc]
    )
    free = [r for r in on_chain if r[0] not in taken] or on_chain
    return free[-1][1:] if free else None


def _proximity(block: Sequence[Mention], hyp: str, lex: Lexicon) -> float:
    """km from ``hyp`` to the nearest reading of each mention that disagrees with it (0 if none)."""
    gaps = []
    for m in block:
        if _reading(m, hyp, lex) is None:
            gaps.append(min(lex.gazetteer.distance_km(hyp, c) for c, _ in m.cands))
    return max(gaps, default=0.0)


def _prior(code: str, lex: Lexicon) -> float:
    """Order-volume prior for tied readings: the population of the reading's city (河东区 →
    天津 before 临沂); cities outside the table of big cities count as 0."""
    city = next((a for a in lex.ancestors[code] if a[4:] == "00" and a[2:] != "0000"), code)
    return lex.population.get(city, 0.0)


def _area_city(landline: str, lex: Lexicon) -> str | None:
    """The city a landline's area code names (022-… → 天津), a clue mobiles do not give."""
    digits = re.sub(r"\D", "", landline)
    digits = digits[2:] if digits.startswith("86") else digits
    return lex.area_city.get(digits[:3] if digits[1] in "12" else digits[:4])


def _rank(
    block: Sequence[Mention], lex: Lexicon, area_city: str | None = None
) -> tuple[list[tuple[str, float, tuple]], int, float]:
    """Hypotheses tied on support (deepest only), best first; hypothesis count; support margin."""
    hyps = {c for m in block for c, _ in m.cands}
    support = {h: _support(block, h, lex) for h in hyps}
    best = max(support.values())
    tied = [h for h in hyps if support[h] >= best - 1e-9]
    tied = [h for h in tied if not any(h != t and h in lex.ancestors[t] for t in tied)]
    ranked = []
    for h in tied:
        km = _proximity(block, h, lex)
        # a tie between levels that disagree trusts the higher, written-first level
        clues = (area_city in lex.ancestors[h], _prior(h, lex)) if len(tied) > 1 else (False, 0.0)
        ranked.append((h, support[h], (-round(km / _AMBIGUITY_KM), -lex.level[h], *clues)))
    ranked.sort(key=lambda t: (t[2], t[0]), reverse=True)
    covered = {a for h in tied for a in lex.ancestors[h]}
    rest = [v for h, v in support.items() if h not in covered]
    return ranked, len(hyps), best - max(rest, default=0.0)


def _levels(m: Mention, hyp: str, lex: Lexicon) -> set[int]:
    anc = lex.ancestors[hyp]
    held = lex.former_holders.get(hyp, _NO_HOLDERS)
    return {lex.level[c] if c in anc else held[c] for c, _ in m.cands if c in anc or c in held}


def _shared_names(codes: Sequence[str], lex: Lexicon) -> tuple[str | None, ...]:
    names = [lex.gazetteer.names(c) for c in codes]
    return tuple(col[0] if len(set(col)) == 1 else None for col in zip(*names, strict=True))


def _detail(clean: CleanText, end: int, stop: int | None = None) -> str:
    """Text after the region block (up to compact position ``stop``), cut from the cleaned
    original (separators kept, but for a bracket the cut leaves open: 昌盛小区(酒泉市玉门市))."""
    start = clean.origin[end - 1] + 1 if end > 0 else 0
    finish = clean.origin[stop] if stop is not None else len(clean.text)
    return clean.text[start:finish].lstrip(SEPARATOR_CHARS).rstrip(TRAILING_PUNCTUATION)


def _stray_at(s: str, end: int, mentioned: set[int]) -> bool:
    """Whether a suffix written again or left over follows a region ending at ``end`` (西湖区区,
    浦东区, 新疆省), not a word that starts like one (萧山区市心中路) nor a region ``mentioned``
    there."""
    return (
        s[end : end + 1] in _LEFTOVER_SUFFIX
        and end not in mentioned
        and not s.startswith(_WORDS_LIKE_SUFFIX, end)
        and not town_at(s, end, end + 1, ())  # 南安市省新镇: the town's 省
    )


def _past_stray(s: str, end: int, mentioned: set[int]) -> int:
    """Where the detail starts after the regions ending at ``end``: past a stray suffix
    (西湖区区文三路, 浦东区张江路: not 区文三路)."""
    return end + 1 if _stray_at(s, end, mentioned) else end


def _repeat_of(
    s: str, blocks: list[list[Mention]], block: list[Mention], best: str, lex: Lexicon
) -> list[Mention] | None:
    """Where the address starts again after its detail (…中山路1号南京市玄武区中山路1号, …南京西路
    1号上海市静安区: pasted twice): a later block of two or more regions, all on ``best``'s chain.
    One region alone is no repeat (文三路90号杭州电子科技大学 names a university), nor regions that
    start an institution's name (…90号杭州市西湖区人民政府)."""
    end = block[-1].end
    for later in blocks:
        if later[0].start >= end and len(later) >= 2:
            named = s.startswith(_INSTITUTION_WORDS, later[-1].end)
            if not named and all(_reading(m, best, lex) for m in later):
                return later
    return None


def _around_repeat(before: str, after: str) -> str:
    """The detail of an address pasted again: what follows the second copy of the regions holds
    the door when the first copy stopped short (湓浦街道 江西省九江市 九江学院附属医院…, 大浪街道
    广东省深圳市龙华区 大浪街道办羊台山庄…), and adds nothing when it repeats the first or is a
    bracket left over (昌盛小区(酒泉市玉门市))."""
    if len(after.strip(SEPARATOR_CHARS)) < 2 or after in before:
        return before
    if not before or after.startswith(before):
        return after
    return before + after


def _usable_detail(detail: str) -> bool:
    """A number or a building (3栋, 中山路十二号, 朱家林村, 幸福家园), an institution or estate by
    name (第三中学, 党校, 翰林上岛), or five characters or more that name some place (华中科技大学,
    绿城华庭京东快递站). Not a street or a town with no number after it (江南大道, 华阳街道正东街,
    大沥街道, 黄村镇: which door?), nor words saying the address is elsewhere (详见聊天记录,
    地址见备注信息, 到了打电话确认地址)."""
    if len(detail) < 2 or _street_without_door(detail):
        return False
    if _DIGIT.search(detail) or _BUILDING_WORD.search(detail) or _NAMED_PLACE.fullmatch(detail):
        return True
    return len(detail) >= 5 and len(_NOT_A_PLACE.sub("", detail)) >= 2


def _street_without_door(detail: str) -> bool:
    """Nothing after the street or town, and no number (花园路, 黄村镇: the 园 and 村 are in the
    names)."""
    return bool(_STREET_LAST.search(detail)) and not _DIGIT.search(detail)


def _prefix_len(compact: str, start: int) -> int:
    """Characters before the first region, bar Latin letters: those are a name or the region in
    English (ZHANG WEI, SHANGHAI 上海市…), never a Chinese region mistyped; digits stay (a
    phone missing a digit is left there)."""
    return start - len(_LATIN.findall(compact, 0, start))


def _names_a_door(text: str) -> bool:
    return bool(_DIGIT.search(text) or _DETAIL_TOKEN.search(text))


def _detail_before(clean: CleanText, start: int) -> str | None:
    """Text before the region block when it names a door (文三路90号 西湖区 杭州市 浙江省: exports
    that join detail, district, city and province in that order); a pasted name does not."""
    head = clean.text[: clean.origin[start]].strip(SEPARATOR_CHARS).strip() if start else ""
    return head if len(head) >= 2 and _names_a_door(head) else None


def _door_first(head: str, detail: str) -> bool:
    """The door written before the regions and the street after them (3号楼2单元201 浙江省杭州市
    滨江区江南大道): the detail is both, street first. A number without a door word (a postcode,
    订单号2025001) is not a door, nor a head when the text after the regions has its own number
    (江南大道3号 浙江省…江南大道3号: pasted twice)."""
    return not _DIGIT.search(detail) and bool(_DOOR.search(head))


def _noise(block: Sequence[Mention], consistent: set[int], best: str, lex: Lexicon) -> set[int]:
    """Disagreeing mentions written *before* a higher level (a pasted name such as 李江山浙江省)."""
    out = set()
    for i, m in enumerate(block):
        if i in consistent:
            continue
        own = min(lex.level[c] for c, _ in m.cands)
        later = [min(_levels(block[j], best, lex)) for j in consistent if j > i]
        if later and min(later) < own:
            out.add(i)
    return out


def _candidates(ranked: Sequence[tuple[str, float, tuple]], lex: Lexicon) -> tuple[Candidate, ...]:
    weights = [support * 0.5**i for i, (_, support, _) in enumerate(ranked)]
    total = sum(weights) or 1.0
    out = []
    for (code, _, _), weight in zip(ranked[:5], weights, strict=False):
        p, c, d = lex.gazetteer.names(code)
        out.append(
            Candidate(province=p, city=c, district=d, adcode=code, score=round(weight / total, 3))
        )
    return tuple(out)


def _standard(names: tuple[str | None, ...], detail: str) -> str | None:
    p, c, d = names
    if not any(names):
        return None
    parts = [p, c if c != p else None, d if d != c else None, detail]
    return "".join(x for x in parts if x)


def _result(
    names: tuple[str | None, ...],
    adcode: str | None,
    detail: str,
    confidence: float,
    flags: dict[str, bool],
    candidates: tuple[Candidate, ...] = (),
) -> ParsedAddress:
    """The parse as CONTRACT §3 gives it: the levels, their code, the detail and the standard
    form, and the defects ``flags`` raises in their order."""
    return trusted(
        ParsedAddress,
        province=names[PROVINCE],
        city=names[CITY],
        district=names[DISTRICT],
        adcode=adcode,
        detail=detail or None,
        confidence=confidence,
        candidates=candidates,
        defects=tuple(code for code in _ADDRESS_CODES if flags.get(code)),
        standardized=_standard(names, detail),
    )


def _unparseable(clean: CleanText, phone: str | None) -> Analysis:
    defects = ["ADDR_UNPARSEABLE"] + (["ADDR_BAD_PHONE"] if phone_kind(phone) == "invalid" else [])
    parsed = ParsedAddress(detail=clean.text or None, defects=tuple(defects))
    return Analysis(parsed, clean, (), (), 0, (), (), (), 0, 0, 0.0, len(clean.compact), 0.0, phone)


def _outside(clean: CleanText, reading: OutsideReading, phone: str | None) -> Analysis:
    """Hong Kong, Macao or Taiwan (:mod:`features.address_outside`): the levels its table reads,
    the rest the detail; the province's code is the deepest code there is."""
    names = (reading.province, reading.city, reading.district)
    detail = _detail(clean, reading.end)
    flags = {
        "ADDR_DETAIL_MISSING": not _usable_detail(detail),
        "ADDR_BAD_PHONE": phone_kind(phone) != "missing" and not valid_outside_phone(phone),
    }
    # no gazetteer evidence to weigh: as sure as the table, less where no district is named
    confidence = 0.9 if reading.district else 0.7
    parsed = _result(names, reading.province_adcode, detail, confidence, flags)
    return Analysis(parsed, clean, (), (), 0, (), (), (), 1, 0, 0.0, 0, 0.0, phone)


def _town_alone(clean: CleanText, county: str, phone: str | None) -> Analysis:
    """No region written but a town of one county (仓前街道良睦路1399号): that county's levels,
    each missing from the text, and the whole text the detail."""
    names = _lexicon().gazetteer.names(county)
    detail = _detail(clean, 0)
    flags = {
        "ADDR_MISSING_LEVEL": True,
        "ADDR_DETAIL_MISSING": not _usable_detail(detail),
        "ADDR_BAD_PHONE": phone_kind(phone) == "invalid",
    }
    # one word of evidence, as a county named alone with every level missing
    parsed = _result(names, county, detail, 0.5, flags)
    return Analysis(parsed, clean, (), (), 0, (), (), (), 0, 1, 0.0, 0, 0.0, phone)


# each mention's readings and match quality, in block order: all the resolution looks at
Signature = tuple[tuple[tuple[tuple[str, str], ...], float], ...]


@dataclass(frozen=True)
class _Resolution:
    """What a region block says, wherever it stands in the text: the ranked hypotheses and each
    mention's reading on the best one. A function of the block's :data:`Signature` (and a
    landline's city), so every address in the same district shares one (cached)."""

    ranked: tuple[tuple[str, float, tuple], ...]
    n_hypotheses: int
    margin: float
    decided: bool  # the text (or a landline's area code) picks the best hypothesis
    filled: bool  # the levels are filled from the best one (else only the shared ones)
    # per mention: its (adcode, kind) on the best hypothesis, None where it disagrees
    readings: tuple[tuple[str, str] | None, ...]
    consistent: tuple[int, ...]  # the mentions that agree, by position in the block
    conflicting: tuple[int, ...]  # those that disagree and are not noise before a higher level
    noise: tuple[int, ...]  # mentions that disagree before a higher level (a pasted name)
    names: tuple[str | None, ...]
    missing: frozenset[int]
    n_covered: int
    kinds: frozenset[str]
    short_district: bool
    quality: float
    conflict_km: float


def _quality(readings: Sequence[tuple[Mention, str, str]]) -> float:
    """The mean weight of the readings that agree (an exact name 1, less for a short, former or
    fuzzy one, and for a poor match)."""
    return sum(m.weight(k) for m, _, k in readings) / max(1, len(readings))


@lru_cache(maxsize=16_384)
def _resolve(signature: Signature, area_city: str | None) -> _Resolution:
    lex = _lexicon()
    block = [Mention(0, 0, "", cands, similarity) for cands, similarity in signature]
    ranked, n_hyps, margin = _rank(block, lex, area_city)
    best = ranked[0][0]
    decided = len(ranked) == 1 or ranked[0][2][:3] > ranked[1][2][:3]  # text or landline clue
    # an undecided tie is still filled when the volume prior alone separates it (朝阳区 → 北京)
    filled = decided or ranked[0][2] > ranked[1][2]
    fixed = [_levels(m, best, lex) for m in block]
    readings = [
        _reading(
            m,
            best,
            lex,
            frozenset(lv for j, f in enumerate(fixed) if j != i and len(f) == 1 for lv in f),
        )
        for i, m in enumerate(block)
    ]
    agree = {i for i, k in enumerate(readings) if k}
    noise = _noise(block, agree, best, lex)
    consistent = [(block[i], *readings[i]) for i in sorted(agree)]  # type: ignore[misc]
    conflicting = [i for i in range(len(block)) if i not in agree and i not in noise]
    gaz = lex.gazetteer
    covered = set().union(*(_levels(m, best, lex) for m, _, _ in consistent))
    missing = {r.level for r in gaz.chain(best)} - covered
    if lex.level[best] < DISTRICT and gaz.children.get(best):
        missing.add(DISTRICT)
    parent = gaz[best].parent
    if DISTRICT in covered and parent and lex.level[parent] == PROVINCE:
        # a county under its province (潜江, 琼海, 石河子) stands at the city level too, and the
        # platforms' pickers write it at both (湖北省 潜江市 潜江市): not a repetition
        covered.add(CITY)
    elif CITY in covered and lex.level[best] == CITY and not gaz.children.get(best):
        # so does a city without counties (东莞, 中山, 儋州) at the county level (东莞市 东莞市)
        covered.add(DISTRICT)
    return _Resolution(
        ranked=tuple(ranked),
        n_hypotheses=n_hyps,
        margin=margin,
        decided=decided,
        filled=filled,
        readings=tuple(readings),
        consistent=tuple(sorted(agree)),
        conflicting=tuple(conflicting),
        noise=tuple(sorted(noise)),
        names=gaz.names(best) if filled else _shared_names([h for h, _, _ in ranked], lex),
        missing=frozenset(missing),
        n_covered=len(covered),
        kinds=frozenset(k for _, _, k in consistent),
        # a county-level city under its province (神农架, 潜江) is also its own city: short is fine
        short_district=any(
            k == SHORT and gaz[c].level == DISTRICT and gaz[gaz[c].parent or c].level == CITY
            for _, c, k in consistent
        ),
        quality=_quality(consistent),
        conflict_km=max(
            (min(gaz.distance_km(best, c) for c, _ in block[i].cands) for i in conflicting),
            default=0.0,
        ),
    )


def _incomplete(missing: set[int], best: str, lex: Lexicon) -> bool:
    """Whether a level the address needs is left out: the county level (where the city has
    counties), or the city above an urban district (西湖区文三路: which city's?). Not the province
    alone (杭州市滨江区… names it), nor the prefecture above a county or county-level city (桐庐县,
    昆山市), as the people who live there write them."""
    if DISTRICT in missing:
        return True
    name = lex.gazetteer[best].name
    county_level = lex.level[best] == DISTRICT and name.endswith(COUNTY_SUFFIXES)
    return CITY in missing and not county_level


def _evidence(block: list[Mention], lex: Lexicon) -> float:
    """How strongly a block names the address's regions: a word for part of a town alone
    (…商务园东区) is weak beside a region named elsewhere, and a former name written in full
    (奉化市, 下城区: once official) counts as a current one, not below a short name further on
    (奉化市斗门路中山锦庭: the estate's 中山; 下城区上塘路906号浙江昆剧团: the troupe's 浙江)."""
    weak = len(block) == 1 and _AREA_WORD.fullmatch(block[0].form) is not None
    named = sum(max(_strength(m, code, kind, lex) for code, kind in m.cands) for m in block)
    return named * (0.5 if weak else 1.0)


def _strength(m: Mention, code: str, kind: str, lex: Lexicon) -> float:
    """A reading's weight as evidence of the address (see :func:`_evidence`)."""
    if kind == FORMER and not _bare_former(m.form, code, lex):
        return m.weight(EXACT)
    return m.weight(kind)


def _chosen(
    s: str, blocks: list[list[Mention]], area_city: str | None, lex: Lexicon
) -> tuple[list[Mention], _Resolution, bool]:
    """The block with the most evidence, read; or the first copy of it where the address was
    pasted twice and the second copy names the regions better (江西南昌市…松湖镇江西省南昌市…):
    the address starts with the first, and the second is its repeat. True with the block where
    the text holds a second address, in another place, after the country's name (see
    :func:`_after_country`): that one is read."""
    block = blocks[0] if len(blocks) == 1 else max(blocks, key=lambda b: _evidence(b, lex))
    r = _read(block, area_city)
    best = r.ranked[0][0]
    for earlier in blocks:
        if earlier[0].start >= block[0].start:
            break
        if len(earlier) >= 2 and all(_reading(m, best, lex) for m in earlier):
            return earlier, _read(earlier, area_city), False
    pasted = _after_country(s, blocks, block, r, area_city, lex)
    return (*pasted, True) if pasted else (block, r, False)


def _tie_by_town(
    s: str, end: int, ranked: Sequence[tuple[str, float, tuple]], lex: Lexicon
) -> str | None:
    """The one region of a tie the text leaves (鼓楼区 is 南京's, 福州's, 徐州's and 开封's) that
    holds the town written after it (鼓楼区五凤街道…: 福州's, where the volume prior reads the
    bigger 南京's), among those of the best one's level; else None."""
    level = lex.level[ranked[0][0]]
    ties = [h for h, _, _ in ranked if lex.level[h] == level]
    county = town_county(s, end, within=ties)
    return next(h for h in ties if h in lex.ancestors[county]) if county else None


def _county_by_town(s: str, end: int, region: str) -> str | None:
    """The county under ``region`` (a city or province read, the county left out) that the
    town written names: after the region (宁波市观海卫镇…), there without its suffix (杭州市三墩…),
    or before it (云龙镇前后陈村宁波…)."""
    return (
        town_county(s, end, within=(region,))
        or bare_town_county(s, end, (region,))
        or town_county(s[:end], within=(region,))
    )


def _after_country(
    s: str,
    blocks: list[list[Mention]],
    block: list[Mention],
    r: _Resolution,
    area_city: str | None,
    lex: Lexicon,
) -> tuple[list[Mention], _Resolution] | None:
    """A complete address from its province on after the country's name, later than the one read
    and in another place (广东省深圳市宝安区中国浙江省杭州市余杭区金家路442号: a region picker's
    stale value, then the address the buyer pasted whole; CCKS 2021's typed addresses hold such),
    else None."""
    best = r.ranked[0][0]
    for later in blocks:
        start = later[0].start
        if start <= block[0].start or s[start - 2 : start] != "中国":
            continue
        if all(lex.level[c] != PROVINCE for c, _ in later[0].cands):
            continue  # 南苏州路333号中国东方航空公司: a company's name, no address
        read = _read(later, area_city)
        other = read.ranked[0][0]
        apart = best not in lex.ancestors[other] and other not in lex.ancestors[best]
        if apart and read.filled and DISTRICT not in read.missing:
            return later, read
    return None


def _read(block: list[Mention], area_city: str | None) -> _Resolution:
    """A block resolved (cached on its readings alone, which many addresses share)."""
    return _resolve(tuple((m.cands, m.similarity) for m in block), area_city)


@lru_cache(maxsize=65_536)
def analyse(text: str, phone: str | None = None) -> Analysis:
    """Parse one address and keep the evidence (cached: orders repeat addresses a lot)."""
    lex = _lexicon()
    clean = clean_text(text or "", lex.to_simplified)
    used_phone = phone or (clean.phones[0] if clean.phones else None)
    outside = read_outside(clean.compact)
    if outside:
        return _outside(clean, outside, used_phone)
    blocks = _blocks(clean.compact, lex, clean.breaks)
    if not blocks:
        county = town_county(clean.compact)
        if county:
            return _town_alone(clean, county, used_phone)
        # written in pinyin or English: read again behind its regions in characters (once: the
        # text read again holds them, so this finds none to add)
        latin = read_outside_latin(clean.text)
        if latin:
            return _outside(clean, latin, used_phone)
        regions = romanised_regions(clean.text, lex)
        if regions and regions not in text:
            return analyse(f"{regions} {text}", phone)
        return _unparseable(clean, used_phone)

    kind = phone_kind(used_phone)
    area = _area_city(used_phone, lex) if kind == "landline" and used_phone else None
    block, r, elsewhere = _chosen(clean.compact, blocks, area, lex)
    last = max(block, key=lambda m: (m.end, m.start))  # a named zone's city after its province
    tie = None if r.decided else _tie_by_town(clean.compact, last.end, r.ranked, lex)
    best = tie or r.ranked[0][0]
    decided, filled = r.decided or tie is not None, r.filled or tie is not None
    consistent = [(block[i], *r.readings[i]) for i in r.consistent]  # type: ignore[misc]
    conflicting = [block[i] for i in r.conflicting]
    names = lex.gazetteer.names(tie) if tie else r.names
    missing, adcode = set(r.missing), best if filled else None
    moved, quality, margin = None, r.quality, r.margin
    zone = _zone_at(clean.compact, last.end, last, lex) if lex.level[best] == CITY else None
    if zone:  # the zone fills the county level
        zone_name = zone_after_city(zone[0], lex.gazetteer[best])
        names = (*names[:DISTRICT], zone_name)
        adcode = lex.zone_hosts.get((best, zone_name)) or adcode
        missing.discard(DISTRICT)
    elif DISTRICT in missing and filled:  # a town may say which county (宁波市观海卫镇…)
        county = _county_by_town(clean.compact, last.end, best)
        if county:
            names, adcode = lex.gazetteer.names(county), county
    elif decided and lex.level[best] == DISTRICT:  # 余杭区乔司街道: 临平区's town since 2021
        moved = moved_town_county(clean.compact, last.end, best)
        if moved:  # the county written is the town's former one: weighed as a former name is
            consistent = [(m, moved, FORMER) if c == best else (m, c, k) for m, c, k in consistent]
            quality = _quality(consistent)
            margin -= (r.quality - quality) * len(consistent)
            best = adcode = moved
            names = lex.gazetteer.names(moved)
    again = _repeat_of(clean.compact, blocks, block, best, lex) if len(blocks) > 1 else None
    mentioned = {m.start for b in blocks for m in b}
    end = _past_stray(clean.compact, zone.end() if zone else last.end, mentioned)
    detail = _detail(clean, end, again[0].start if again else None)
    if again:  # the zone written again after its city is no detail either
        twice = _zone_at(clean.compact, again[-1].end, again[-1], lex) if zone else None
        end = _past_stray(clean.compact, twice.end() if twice else again[-1].end, mentioned)
        detail = _around_repeat(detail, _detail(clean, end))
    head = _detail_before(clean, block[0].start)
    street = _street_without_door(detail)  # the door may be the head (3号楼 …江南大道)
    if head and not street and not _usable_detail(detail):
        detail = head
    elif head and _door_first(head, detail):
        detail += (" " if head.isascii() else "") + head  # Room 101, Building 2 in English
    else:
        head = None
    starts = {m.start for m in block}
    stray = [k for m, _, k in consistent if _stray_at(clean.compact, m.end, starts)]
    flags = {
        "ADDR_MISSING_LEVEL": _incomplete(missing, best, lex),
        "ADDR_NONSTANDARD_NAME": r.short_district or SHORT in stray,
        "ADDR_TYPO": FUZZY in r.kinds or EXACT in stray,
        "ADDR_FORMER_NAME": FORMER in r.kinds or moved is not None,
        "ADDR_REGION_CONFLICT": bool(conflicting) or elsewhere,
        "ADDR_AMBIGUOUS": not decided,
        "ADDR_REDUNDANT": len(consistent) > r.n_covered or again is not None,
        "ADDR_DETAIL_MISSING": not _usable_detail(detail),
        "ADDR_BAD_PHONE": kind == "invalid",
    }
    level = lex.level[best]
    coverage = 1.0 if DISTRICT not in missing else (0.8 if level == CITY else 0.5)
    confidence = (
        quality
        * coverage
        * (0.5 if conflicting or elsewhere else 1.0)
        / (1 if decided else len(r.ranked))
    )
    confidence *= 0.95 if missing - {DISTRICT} else 1.0
    ranked = tuple(h for h in r.ranked if h[0] == tie) if tie else r.ranked
    candidates = _candidates(ranked, lex) if len(ranked) > 1 else ()
    parsed = _result(names, adcode, detail, round(min(1.0, confidence), 3), flags, candidates)
    return Analysis(
        parsed=parsed,
        clean=clean,
        block=tuple(block),
        consistent=tuple(consistent),
        stray_suffixes=len(stray),
        conflicting=tuple(conflicting),
        noise=tuple(block[i] for i in r.noise),
        top=tuple((h, support) for h, support, _ in ranked),
        n_blocks=len(blocks),
        n_hypotheses=r.n_hypotheses,
        support_margin=margin,
        prefix_len=0 if head else _prefix_len(clean.compact, block[0].start),
        conflict_km=r.conflict_km,
        phone=used_phone,
        zone=zone is not None,
    )


@lru_cache(maxsize=1)  # once a process
def prime() -> int:
    """Read every county's standard writing once (浙江省杭州市西湖区1号), so the resolutions of
    the region blocks most addresses write are cached before the first order: a fresh process's
    first 10,000 unseen demo addresses parse ~8 % faster (54 against 59 µs, compiled), for
    ~0.2 s at start. The addresses themselves are not kept (``analyse``'s cache is the orders').
    The indexes of regions by their pinyin are built too: else the first address written in
    pinyin waits ~0.1 s for one (in the demo, 1 of 400 addresses names no region in characters),
    and the first sound-alike typo in another reading (钟庆) ~0.02 s for the other; so is the
    table of towns and of their bare names, which the first address missing its county would
    wait ~0.2 s for."""
    lex = _lexicon()
    regions_by_reading()
    stems_by_any_reading()
    town_county("")
    bare_town_county("", 0, ())
    moved_town_county("", 0, "")
    counties = [code for code, level in lex.level.items() if level == DISTRICT]
    for code in counties:
        analyse.__wrapped__(_standard(lex.gazetteer.names(code), "1号") or "", None)
    return len(counties)


def parse_address(text: str, phone: str | None = None) -> ParsedAddress:
    """Standardise one raw address (CONTRACT §3 ``address`` plus ``defects``)."""
    return analyse(text, phone).parsed


def parse_addresses(
    texts: Sequence[str], phones: Sequence[str | None] | None = None
) -> list[ParsedAddress]:
    """Batch path: identical (address, phone) pairs are parsed once (and share one result)."""
    return [
        analyse(text, phone).parsed
        for text, phone in zip(texts, phones or [None] * len(texts), strict=True)
    ]
