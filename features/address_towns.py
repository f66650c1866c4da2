"""The county a town written in an address names (观海卫镇 → 慈溪市, 仓前街道 → 余杭区).

People write the town where the county goes (浙江省宁波市观海卫镇昌兴村…) or instead of every
region (仓前街道良睦路1399号): its county completes the address. A town is read with its suffix
only (镇, 乡, 街道, 苏木), as a town's bare name is as often a road's or an estate's, and only
where it names one county: 城关镇 is 88 counties' town, and read alone it names none. A town is
made a subdistrict as its county grows (撤镇设街道: 乔司镇 → 乔司街道), a township a town, and
people keep writing the old name: a name the table lacks is read as its upgrade.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from functools import lru_cache

from features.address_lexicon import get_lexicon
from ordersight.gazetteer import moved_towns, towns

__all__ = ["bare_town_county", "moved_town_county", "town_at", "town_county"]

_SUFFIX = re.compile(r"(?:镇|乡)?街道|苏木|镇|乡")  # 嘉定镇街道 (上海) is no 嘉定镇 (信丰县)
_MIN_STEM = 2  # 张镇, 新镇: a one-character stem is a word's last character too often
# 高桥路, 建设西路, 金桥中路 are roads, wherever 高桥镇, 建设街道, 金桥镇 lie
_ROAD = re.compile(r"[东西南北中]?(?:大?道|大?街|路|巷|弄)")
_UPGRADED = {"乡": ("镇", "街道"), "镇": ("街道",), "苏木": ("镇",)}
_NAMED = re.compile(rf"(.{{{_MIN_STEM},}}?)(?:{_SUFFIX.pattern})")  # stem, suffix


@lru_cache(maxsize=1)
def _longest() -> int:
    return max(map(len, towns()))


def _counties(stem: str, suffix: str, within: Collection[str]) -> set[str]:
    """The counties under one of ``within`` (anywhere if empty) holding the town ``stem +
    suffix``, or else its upgrade (乔司镇: 乔司街道; 杭州's 九堡镇, 瑞金's name, is 九堡街道)."""
    table, ancestors = towns(), get_lexicon().ancestors
    for name in (stem + suffix, *(stem + newer for newer in _UPGRADED.get(suffix, ()))):
        held = {c for c in table.get(name, ()) if not within or not ancestors[c].isdisjoint(within)}
        if held:
            return held
    return set()


@lru_cache(maxsize=1)
def _stems() -> dict[str, frozenset[str]]:
    """A town's name less its suffix (三墩 of 三墩镇) → the counties holding such a town."""
    out: dict[str, set[str]] = {}
    for name, counties in towns().items():
        if parts := _NAMED.fullmatch(name):
            out.setdefault(parts[1], set()).update(counties)
    return {stem: frozenset(counties) for stem, counties in out.items()}


def bare_town_county(text: str, start: int, within: Collection[str]) -> str | None:
    """The one county under one of ``within`` holding a town whose name, less its suffix, is
    written at ``start``, right after the region read (杭州市三墩…: 西湖区's 三墩镇; 温州市柳市…:
    乐清市's); the longest such name, where no region's name starts there and no road's suffix
    follows; else None. Only straight after a region: a bare name further on is as often a
    road's or an estate's (五常大道), and one opening an address that names no region as often
    the receiver's (段纯 1588… 绿城大厦: 灵石县 has a 段纯镇) or an estate's (阳光小区,
    翠苑大厦): read there, 52 of CCKS 2021's unparseable addresses named a county, 9 wrongly,
    and 70 of the demo's named 贵阳's 花溪区 or 杭州's 西湖区."""
    stems, lex = _stems(), get_lexicon()
    for end in range(min(len(text), start + _longest()), start + _MIN_STEM - 1, -1):
        held = stems.get(text[start:end])
        if held:
            held = {c for c in held if not lex.ancestors[c].isdisjoint(within)}
            return held.pop() if len(held) == 1 and _bare_at(text, start, end) else None
    return None


def _bare_at(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]``, a town's name less its suffix, is read as the town: no
    region's name starts there (临平区) and no road's suffix follows (五常大道, 光明中路)."""
    return not _ROAD.match(text, end) and not get_lexicon().longest_at(text, start)


def town_at(text: str, start: int, end: int, within: Collection[str]) -> bool:
    """Whether ``text[start:end]`` starts the name of a town under one of ``within`` (西安市灞桥
    街道…, 未央宫街道…: 灞桥区's and 未央区's towns, not the districts written short)."""
    suffix = _SUFFIX.search(text, end, start + _longest())
    # 甘孜乡城县: a region starts at the suffix (乡城县), no town ends there
    if not suffix or get_lexicon().longest_at(text, suffix.start()):
        return False
    return bool(_counties(text[start : suffix.start()], suffix[0], within))


def inside_town(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` lies inside a town's name begun before it (瓯北镇 holds 北镇,
    a county written short: read, 永嘉县's town was 辽宁's 北镇市)."""
    # a name begun before ``start`` ends before ``start + longest``
    suffix = _SUFFIX.search(text, start + 1, start + _longest())
    if not suffix or suffix.start() < end - 1:
        return False
    # begun before ``start``, ending at ``end - 1`` or later: every stem is _MIN_STEM long or more
    first = max(0, suffix.start() - _longest())
    return any(_counties(text[b : suffix.start()], suffix[0], ()) for b in range(first, start))


def town_county(text: str, start: int = 0, within: Collection[str] = ()) -> str | None:
    """The one county the first town written from ``start`` names, among the counties under one
    of ``within`` (regions' adcodes: the province or city read, or the regions of a tie) where
    given; else None (no town, or a name several counties hold there). At each suffix the
    longest name ending there is read (滨海港镇 before 海港镇)."""
    longest = _longest()  # (and the table, loaded on the first call)
    for suffix in _SUFFIX.finditer(text, start):
        first = max(start, suffix.end() - longest)
        for begin in range(first, suffix.start() - _MIN_STEM + 1):
            held = _counties(text[begin : suffix.start()], suffix[0], within)
            if held:
                if len(held) == 1:
                    return held.pop()
                break
    return None


@lru_cache(maxsize=1)
def _moved_stems() -> dict[str, tuple[tuple[str, str], ...]]:
    """County adcode → (stem, county) of each town moved out of it (余杭区: (乔司, 临平区) …)."""
    return {
        county: tuple((_NAMED.fullmatch(town)[1], to) for town, to in moved)  # type: ignore[index]
        for county, moved in moved_towns().items()
    }


def moved_town_county(text: str, start: int, county: str) -> str | None:
    """The county of its city that a town written at ``start``, right after ``county``, was
    moved to from ``county`` (杭州市余杭区乔司街道…: 临平区 since 2021; 宁波市鄞州区古林镇…: 海曙区
    since 2016), else None. The town is read with a suffix, today's or another (马巷镇, now 马巷
    街道), or without one as :func:`bare_town_county` reads it (余杭区乔司乔莫西路: where no road's
    suffix follows, 宝安区光明中路 is 宝安's road, and no region's name starts there)."""
    for stem, moved_to in _moved_stems().get(county, ()):
        if not text.startswith(stem, start):
            continue
        end = start + len(stem)
        if _SUFFIX.match(text, end) or _bare_at(text, start, end):
            return moved_to
    return None
