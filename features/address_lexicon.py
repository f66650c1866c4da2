"""Surface-form index over the gazetteer for the address parser, built once per process.

Real order addresses name regions in many ways: full names (杭州市), short forms (杭州, 萧山),
autonomous-area names without the ethnic part (新疆, 塔什库尔干), former names (襄樊, 鄞县) and the
county / city names of districts that were upgraded (萧山市, 余杭县 → 萧山区, 余杭区). Every form
maps to the adcodes it may mean with the kind of match, so the parser can weigh the evidence.
A pinyin index over short names catches sound-alike typos (溪湖 → 西湖).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

from pypinyin import lazy_pinyin

from ordersight.gazetteer import DISTRICT, Gazetteer, load_gazetteer

__all__ = ["EXACT", "FORMER", "FUZZY", "KIND_WEIGHT", "SHORT", "Lexicon", "get_lexicon", "pinyin"]

EXACT, SHORT, FORMER, FUZZY = "exact", "short", "former", "fuzzy"
KIND_WEIGHT = {EXACT: 1.0, SHORT: 0.9, FORMER: 0.85, FUZZY: 0.75}
_ONE_CHAR_SUFFIX = re.compile(r"[省市区县旗盟]$")
_UPGRADE_SUFFIXES = ("县", "市")  # 撤县设区 / 撤市设区: the old name still appears on orders
_ETHNIC = re.compile(
    r"(维吾尔|哈萨克|柯尔克孜|塔吉克|锡伯|蒙古|回族|藏族|羌族|彝族|苗族|土家族|侗族|瑶族|壮族|"
    r"布依族|白族|傣族|哈尼族|傈僳族|景颇族|纳西族|怒族|独龙族|普米族|拉祜族|佤族|阿昌族|德昂族|"
    r"布朗族|黎族|畲族|仡佬族|水族|毛南族|仫佬族|满族|朝鲜族|达斡尔族|鄂温克族|鄂伦春族|土族|"
    r"撒拉族|保安族|东乡族|裕固族|各族|族)"
)


def pinyin(text: str) -> str:
    """Toneless pinyin, the key for sound-alike matching."""
    return "".join(lazy_pinyin(text))


@dataclass(frozen=True)
class Lexicon:
    """Surface form → ((adcode, kind), ...), plus helper indexes for fuzzy matching."""

    forms: dict[str, tuple[tuple[str, str], ...]]
    lengths_by_first: dict[str, tuple[int, ...]]  # form lengths per first character, longest first
    by_pinyin: dict[str, tuple[str, ...]]
    stems: dict[str, str]  # adcode → the stem compared in fuzzy matching (short name)
    ancestors: dict[str, frozenset[str]]  # adcode → itself and every region above it
    below: dict[str, tuple[str, ...]]  # adcode → children and grandchildren (fuzzy pools)
    gazetteer: Gazetteer

    def candidates(self, form: str) -> tuple[tuple[str, str], ...]:
        return self.forms.get(form, ())


_EXTRA_ALIASES = {"内蒙古自治区": ("内蒙",)}  # shorter than the ≥ 2-char rule would give


def _aliases(name: str, short: str) -> set[str]:
    """Short forms of one name: gazetteer short, one-char suffix dropped, ethnic part dropped."""
    out = {short, *_EXTRA_ALIASES.get(name, ())}
    bare = _ONE_CHAR_SUFFIX.sub("", name)
    if len(bare) >= 2:
        out.add(bare)
    if "自治" in name:
        match = _ETHNIC.search(name)
        if match and match.start() >= 2:
            out.add(name[: match.start()])
    out.discard(name)
    return {a for a in out if len(a) >= 2}


def build_lexicon(gaz: Gazetteer) -> Lexicon:
    """Pure construction of the index (exact beats short beats former for the same form)."""
    forms: dict[str, dict[str, str]] = defaultdict(dict)
    rank = {EXACT: 0, SHORT: 1, FORMER: 2}

    def add(form: str, code: str, kind: str) -> None:
        old = forms[form].get(code)
        if old is None or rank[kind] < rank[old]:
            forms[form][code] = kind

    stems: dict[str, str] = {}
    for code, region in gaz.regions.items():
        add(region.name, code, EXACT)
        aliases = _aliases(region.name, region.short)
        for alias in aliases:
            add(alias, code, SHORT)
        for old in region.former:
            for form in _aliases(old, old) | {old}:
                add(form, code, FORMER)
        stems[code] = min(aliases | {region.short}, key=len)
    known = set(forms)
    for code, region in gaz.regions.items():
        if region.level == DISTRICT and region.name.endswith("区"):
            for suffix in _UPGRADE_SUFFIXES:
                old = stems[code] + suffix
                if old not in known:
                    add(old, code, FORMER)
    lengths: dict[str, set[int]] = defaultdict(set)
    for form in forms:
        lengths[form[0]].add(len(form))
    by_pinyin: dict[str, list[str]] = defaultdict(list)
    for code, stem in stems.items():
        by_pinyin[pinyin(stem)].append(code)
    ancestors = {code: frozenset(r.adcode for r in gaz.chain(code)) for code in gaz.regions}
    below: dict[str, list[str]] = defaultdict(list)
    for code, chain in ancestors.items():
        for above in chain - {code}:
            below[above].append(code)
    return Lexicon(
        forms={f: tuple(c.items()) for f, c in forms.items()},
        lengths_by_first={k: tuple(sorted(v, reverse=True)) for k, v in lengths.items()},
        by_pinyin={k: tuple(v) for k, v in by_pinyin.items()},
        stems=stems,
        ancestors=ancestors,
        below={k: tuple(v) for k, v in below.items()},
        gazetteer=gaz,
    )


@lru_cache(maxsize=1)
def get_lexicon() -> Lexicon:
    """The process-wide lexicon over :func:`load_gazetteer` (built on first use, ~1 s)."""
    return build_lexicon(load_gazetteer())
