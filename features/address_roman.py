"""Addresses written in pinyin or English (Room 1203, No. 88 Caoxi North Road, Xuhui District,
Shanghai): the region names they give, read back into characters so the parser can place them.

Cross-border platforms, hotels and buyers who type without a Chinese keyboard send such
addresses; the parser finds no region in them. Each Latin word (or two, 'Xu Hui') is looked up by
its toneless pinyin among the regions' short names; a word followed by a street word (Zhongshan
Road, Nanjing Rd) names a street, not a region. Where a name is several regions' (Nanshan: 深圳 or
鹤岗), the reading that agrees with the other names wins, then the higher level (Nanjing: the
city, not 南靖县).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache
from itertools import islice, product

from pypinyin import Style, pinyin

from features.address_lexicon import Lexicon, stems_by

__all__ = ["regions_by_reading", "romanised_regions"]

_WORD = re.compile(r"[a-z]+")
# words that say a level, not a name ('Xuhui District', 'Haidian Qu'): left out before the lookup
_LEVEL_WORDS = frozenset({
    "province", "sheng", "city", "shi", "district", "qu", "county", "xian", "new", "area", "zone",
    "autonomous", "region", "prefecture", "zizhiqu", "zizhizhou", "banner", "qi",
})  # fmt: skip
_DIRECTIONS = frozenset({
    "north", "south", "east", "west", "middle", "central", "bei", "nan", "dong", "xi", "zhong",
})  # fmt: skip
_STREET_WORDS = frozenset({
    "road", "rd", "street", "st", "avenue", "ave", "lu", "jie", "dajie", "dadao", "dao", "lane",
    "ln", "alley", "hutong", "xiang", "boulevard", "blvd", "highway", "hwy", "expressway",
})  # fmt: skip


def _names_a_street(words: list[str], after: int) -> bool:
    """Whether the words from ``after`` on (past direction words) start with a street word."""
    while after < len(words) and words[after] in _DIRECTIONS:
        after += 1
    return after < len(words) and words[after] in _STREET_WORDS


@lru_cache(maxsize=1)
def regions_by_reading() -> dict[str, tuple[str, ...]]:
    """Toneless pinyin → the regions whose short name reads so, every reading of a character
    that has several counted (朝阳 is Chaoyang as well as Zhaoyang, 长沙 Changsha); built once a
    process (~0.1 s, compiled: the parser's ``prime`` builds it at start, not a live order)."""
    return stems_by(_word_spellings)


def _word_spellings(stem: str) -> Iterator[str]:
    """A name in the readings pypinyin gives its characters as a word (the first 16)."""
    readings = pinyin(stem, style=Style.NORMAL, heteronym=True)
    return ("".join(spelled) for spelled in islice(product(*readings), 16))


def _mentions(words: list[str]) -> list[tuple[str, ...]]:
    """The candidate adcodes of each region name in ``words``, in order."""
    by_reading = regions_by_reading()
    out: list[tuple[str, ...]] = []
    i = 0
    while i < len(words):
        for width in (2, 1):  # the longer first: 'Xu Hui', 'Xian Ning' (咸宁, not 西安)
            name = "".join(words[i : i + width])
            codes = by_reading.get(name, ()) if len(name) >= 4 else ()
            if codes:
                if not _names_a_street(words, i + width):
                    out.append(codes)
                i += width
                break
        else:
            i += 1
    return out


def _pick(codes: tuple[str, ...], others: list[tuple[str, ...]], lex: Lexicon) -> str:
    """The reading that agrees with most other names (one is above the other), then the highest."""

    def agreement(code: str) -> int:
        return sum(
            any(code in lex.ancestors[o] or o in lex.ancestors[code] for o in group)
            for group in others
        )

    return min(codes, key=lambda c: (-agreement(c), lex.level[c], c))


def romanised_regions(text: str, lex: Lexicon) -> str | None:
    """The regions a Latin-script address names, in characters from the highest level down
    (上海市徐汇区), or None when it names none."""
    words = [
        w
        for w in _WORD.findall(unicodedata.normalize("NFKC", text).lower())
        if w not in _LEVEL_WORDS or w == "xian"  # 西安 is written as the county word
    ]
    mentions = _mentions(words)
    if not mentions:
        return None
    picked = {
        _pick(codes, mentions[:k] + mentions[k + 1 :], lex) for k, codes in enumerate(mentions)
    }
    ordered = sorted(picked, key=lambda c: (lex.level[c], c))
    names = [lex.gazetteer[c].name for c in ordered]
    return "".join(dict.fromkeys(names))  # 北京市 is the province and the city
